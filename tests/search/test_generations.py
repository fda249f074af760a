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
