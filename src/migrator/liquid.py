"""Liquid escaping: a post's text printed as written by Jekyll. Its own module (no YAML, no records) so that
the conversion's worker processes import it without the site generator (6 MiB less a worker)."""

from __future__ import annotations

import re

_RAW_OPEN, _RAW_CLOSE = "{% raw %}", "{% endraw %}"
_LIQUID_BRACE = re.compile(r'\{\{ "\{" \}\}')


def _brace_escape(line: str) -> str:
    return re.sub(r"\{(?=[{%])", '{{ "{" }}', line)


def escape_liquid(text: str) -> str:
    """Make ``{{`` and ``{%`` print literally under Liquid (Jekyll 3.10 and 4.x), in prose and code alike.

    A line that holds Liquid-looking text is wrapped in ``{% raw %}...{% endraw %}`` (readable, and a line
    is never split by the excerpt separator). A line that itself mentions ``endraw`` cannot be wrapped, so
    each ``{`` that starts a delimiter there becomes the expression ``{{ "{" }}``, which prints one brace.
    """
    if "{{" not in text and "{%" not in text:
        return text  # no line to change
    out = []
    for line in text.split("\n"):
        if "{{" in line or "{%" in line:
            line = _brace_escape(line) if "endraw" in line else "{% raw %}" + line + "{% endraw %}"
        out.append(line)
    return "\n".join(out)


def unescape_liquid(text: str) -> str:
    """Undo :func:`escape_liquid` (a line wrapped in ``{% raw %}…{% endraw %}``, or ``{{ "{" }}`` for one
    brace) so the text reads as a visitor of the built site sees it."""
    if "{" not in text:
        return text  # no line to change
    out = []
    for line in text.split("\n"):
        if line.startswith(_RAW_OPEN) and line.endswith(_RAW_CLOSE):
            line = line[len(_RAW_OPEN) : -len(_RAW_CLOSE)]
        else:
            line = _LIQUID_BRACE.sub("{", line)
        out.append(line)
    return "\n".join(out)
