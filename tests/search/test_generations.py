"""archive.search.generations: a value per index generation, computed once."""

import threading
import time

from archive.search.generations import PerGeneration


def test_threads_asking_at_once_share_one_computation():
    values, calls = PerGeneration(), []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return "table"

    answers = []
    threads = [
        threading.Thread(target=lambda: answers.append(values.get(("g", 1), slow)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == ["table"] * 4 and len(calls) == 1
    assert values.get(("g", 2), lambda: "newer") == "newer"  # a new generation: computed again


def test_a_reuse_rule_lets_a_value_serve_later_generations_but_peek_is_exact():
    def same_index(held, wanted, age):
        return held[0] == wanted[0] and age < 60

    values = PerGeneration(reuse=same_index)
    assert values.get(("index-a", 1), lambda: "words of a1") == "words of a1"
    assert values.get(("index-a", 2), lambda: "words of a2") == "words of a1"  # reused
    assert values.peek(("index-a", 2)) is None and values.peek(("index-a", 1)) == "words of a1"
    assert values.get(("index-b", 1), lambda: "words of b1") == "words of b1"  # a new index
