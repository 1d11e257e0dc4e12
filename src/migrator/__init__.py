"""migrator: move a blog (the platforms ``migrator.sources`` registers) into a Jekyll site, and keep it in
sync."""

__version__ = "0.1.0"
