"""Long-lived tables kept out of the garbage collector's full walks, in web workers.

A full collection walks every container object alive. In a web worker most of them
belong to tables that live as long as the process or the index generation: pypinyin's
phrase dictionary (about 200,000 lists), the suggestion, pinyin and facet tables.
Measured at 20,000 articles, each full collection took 50-130 ms, a whole request's
worth, several times a minute under load. ``gc.freeze()`` moves every object alive to
a generation collections skip; reference counting still frees them when dropped.

The server freezes once started and again after each per-generation table is built;
other processes (commands, tests) never freeze, so their cyclic garbage is collected.
"""

import gc

_serving = False


def start_serving() -> None:
    """From now on this process freezes what it keeps (gunicorn: each worker, and the
    master before it forks, so workers also share those pages instead of copying them)."""
    global _serving
    _serving = True
    gc.collect()
    gc.freeze()


def table_built() -> None:
    """A long-lived table was just built: out of the collector's way, if serving."""
    if _serving:
        gc.collect(1)  # the young garbage of the build, not frozen with it
        gc.freeze()
