from migrator.cli import entry

if __name__ == "__main__":  # not when a worker process (spawn) imports the main module
    entry()
