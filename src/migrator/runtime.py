"""The process's garbage-collector policy, for the command-line process only (``entry``), never for a
library caller or the test suite, which keep Python's defaults.

Python's cyclic collector scans every container it tracks on each full collection: the modules' objects and,
on a big site, the manifest's records (hundreds of thousands of small objects that live the whole run). A
no-op resync of a 1,000-post blog spent about a sixth of its CPU in the collector (a third of it while the
interpreter exited). So: while the process starts (imports, config, the source opened, the manifest read:
some 40,000 objects, nearly all of them for the whole run) a collection comes only after 100,000 net
allocations, which a start does not reach (its four collections at 10,000 were 7 ms of a 0.26 s no-op; a
run that scans an export or an archive, and every command but migrate, ends its start earlier: see
:func:`long_lived`); what exists then is frozen (never scanned again; it is freed by reference counting as
usual), and from then on collections come after 10,000 net allocations instead of Python's 700. Cycles made
during the run (a parse tree's) are still collected.
"""

from __future__ import annotations

import gc

_ENABLED = False
STARTUP_THRESHOLD = 100_000  # net allocations between two collections while the process starts
RUN_THRESHOLD = 10_000  # and after (Python's default: 700)


def tune_gc() -> None:
    """Called once by the command-line entry point, before anything else is imported or built."""
    global _ENABLED
    _ENABLED = True
    gc.freeze()
    gc.set_threshold(STARTUP_THRESHOLD, 10, 10)


def long_lived() -> None:
    """The start is over: everything built so far lives until the run ends (the imports, the config, the
    manifest's records), so it is taken out of the collector's scans, and collections come every
    RUN_THRESHOLD allocations from now. Called by the pipeline once it holds the manifest, by the CLI before
    it scans an export or an archive (100,000 posts are millions of allocations, some of them cycles; with
    the imports not frozen, each full collection of a Takeout's scan walked every module's objects: 42.8 s
    instead of 25), and by the CLI for every other command once its arguments are read. Does nothing unless
    :func:`tune_gc` ran."""
    if _ENABLED:
        # no collection first: it cost 50 ms of a 0.6 s no-op; garbage not yet collected here (a page parsed
        # to open the source) stays until the run ends, a few MB at most
        gc.freeze()
        gc.set_threshold(RUN_THRESHOLD, 10, 10)


class LazyModule:
    """A module imported on its first attribute use: ``etree = LazyModule("lxml.etree")`` at the top of a
    platform module, so that importing the platform registry (every platform, for the config and the CLI's
    help) does not load what only some inputs need (lxml is 17 ms of a run that reads JSON feeds)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> object:
        import importlib

        module = importlib.import_module(self._name)
        self.__dict__.update(module.__dict__)  # later uses find the module's names here directly
        return getattr(module, attr)
