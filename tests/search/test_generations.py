"""archive.search.generations: a value per index generation, computed once."""

import subprocess
import sys
import threading
import time

from django.conf import settings

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


_BUILD_A_TABLE = """
import gc, sys
from archive import long_lived
from django.conf import settings

from archive.search.generations import PerGeneration
if sys.argv[1] == "serving":
    long_lived.start_serving()
table = PerGeneration().get(("g", 1), lambda: [[word] for word in range(50_000)])
walked = {id(obj) for obj in gc.get_objects()}
print(sum(id(row) in walked for row in table))
"""


def test_a_web_worker_keeps_its_tables_out_of_the_collectors_walks():
    """Full collections in a serving process skip the tables (they cost 50-130 ms each)."""

    def rows_walked(mode: str) -> int:
        done = subprocess.run(
            [sys.executable, "-c", _BUILD_A_TABLE, mode],
            capture_output=True,
            text=True,
            check=True,
            cwd=settings.BASE_DIR,
        )
        return int(done.stdout)

    assert rows_walked("serving") == 0
    assert rows_walked("command") == 50_000  # a command or test process collects as usual
