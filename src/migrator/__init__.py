"""migrator: move a Blogger or Tistory blog into a Jekyll site, and keep it in sync."""

__version__ = "0.1.0"
