"""Platform modules. Everything platform-specific lives here; downstream sees ordinary HTML."""

from migrator.sources.base import Source, find_source

__all__ = ["Source", "find_source"]
