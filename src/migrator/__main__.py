"""``python -m migrator`` and the ``migrator`` command. The collector is tuned first (:func:`tune_gc`), so that
the imports of the CLI, which build most of what a run keeps, already run under the start's policy."""

import sys


def run() -> None:
    from migrator.runtime import tune_gc

    tune_gc()
    try:
        from migrator.cli import entry
    except KeyboardInterrupt:  # Ctrl-C while Python imports the modules
        from migrator.errors import ExitStatus

        sys.stderr.write("migrator: interrupted\n")
        sys.exit(int(ExitStatus.INTERRUPTED))
    entry()


if __name__ == "__main__":  # not when a worker process (spawn) imports the main module
    run()
