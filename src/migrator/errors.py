"""Exit statuses and the error hierarchy.

Every error the tool raises on purpose is a :class:`MigratorError`: a one-line message plus a hint that
says what to do. ``cli.main`` is the only place that turns them into exit codes.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0  # everything migrated
    PARTIAL = 1  # the run finished but some items failed (listed, and recorded in the manifest)
    USAGE = 2  # usage or config error
    UNREACHABLE = 3  # the source could not be reached at all
    NOT_A_BLOG = 4  # the source was reached but is not a blog we can read (or an export with no posts)
    IO = 5  # the output directory could not be written
    INTERRUPTED = 130  # Ctrl-C


class MigratorError(Exception):
    """An expected failure with a one-line message and a hint."""

    status: ExitStatus = ExitStatus.UNREACHABLE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class UsageError(MigratorError):
    status = ExitStatus.USAGE


class ConfigError(UsageError):
    pass


class SourceError(MigratorError):
    """The source is unreachable (network, DNS, HTTP error on the blog itself)."""

    status = ExitStatus.UNREACHABLE


class NotABlogError(MigratorError):
    status = ExitStatus.NOT_A_BLOG


class OutputError(MigratorError):
    status = ExitStatus.IO


class FetchError(MigratorError):
    """One HTTP fetch failed for good (after retries). Per-item: never fatal on its own."""

    def __init__(self, message: str, hint: str | None = None, *, url: str = "", status_code: int | None = None):
        super().__init__(message, hint)
        self.url = url
        self.status_code = status_code


class BlockedAddressError(FetchError):
    """The URL resolves to a loopback/private/link-local/multicast address and that is not allowed."""


class ResponseTooLargeError(FetchError):
    pass


class BadBody(Exception):
    """A body that arrived whole but cannot be used (an image cut short with no Content-Length to tell, a
    feed page that is not JSON): the HTTP client fetches it again, as its retry policy says."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
