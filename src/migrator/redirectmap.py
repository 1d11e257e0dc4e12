"""The redirect map (every old path of a blog -> its new URL) and the script that follows it in a browser:
the part of ``migrator redirects`` that the old platform's own formats (a theme, a skin snippet: each
source declares its own) share with the server formats. Pure."""

from __future__ import annotations

import json
from dataclasses import dataclass

from migrator.urls import normalize_path


@dataclass(frozen=True)
class Redirect:
    old: str  # a normalized old path (see normalize_path)
    new: str  # the absolute URL on the new site
    kind: str  # post | page | tag | category | archive | feed | home
    title: str = ""


@dataclass(frozen=True)
class RedirectMap:
    platform: str
    old_origins: tuple[str, ...]  # the old blog's addresses: "https://blog.example.com", ...
    home: str  # the new site's home, absolute, ending in "/"
    redirects: tuple[Redirect, ...]  # exact old paths, sorted
    prefixes: tuple[tuple[str, str], ...] = ()  # (old path prefix, new URL), longest first: the rest of a kind
    landing: tuple[str, ...] = ()  # the landing pages the map points at: "tags", "categories", "archive"

    def lookup(self, path: str) -> str:
        """The new URL for an old path (with or without its query): an exact path, else the longest prefix,
        else the new home. :func:`redirect_script` does the same in the browser."""
        p = normalize_path(path)
        for r in self.redirects:
            if r.old == p:
                return r.new
        for prefix, new in self.prefixes:
            if p.startswith(prefix):
                return new
        return self.home

    def as_dict(self) -> dict[str, str]:
        return {r.old: r.new for r in self.redirects}


def _script_json(value: object) -> str:
    """JSON that is safe inside ``<script>``, a CDATA section and a skin's template: no ``<``, ``>``, ``&``
    (so no ``</script>``, ``<!--``, ``]]>``), no U+2028/2029, no ``[##_`` (a skin's substitution marker)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text.replace("[##", "[\\u0023#")


_SCRIPT = """(function () {
  /* written by migrator: every old address of this blog -> its new address */
  var R = new Map(%(map)s), P = %(prefixes)s, HOME = %(home)s;
  function norm(p) {
    try { p = decodeURIComponent(p); } catch (e) {}
    if (p.normalize) p = p.normalize("NFC");
    p = p.replace(/\\/{2,}/g, "/");
    if (p.length > 1) p = p.replace(/\\/+$/, "") || "/";
    return p.charAt(0) === "/" ? p : "/" + p;
  }
  var path = norm(location.pathname), to = R.get(path);
  for (var i = 0; !to && i < P.length; i++) if (path.indexOf(P[i][0]) === 0) to = P[i][1];
  to = to || HOME;
  if (location.hash && to.indexOf("#") < 0) to += location.hash;
  var head = document.head || document.getElementsByTagName("head")[0];
  var links = document.querySelectorAll('link[rel="canonical"]');
  if (!links.length) { var l = document.createElement("link"); l.rel = "canonical"; head.appendChild(l); links = [l]; }
  for (var j = 0; j < links.length; j++) links[j].href = to;
  var m = document.createElement("meta"); m.httpEquiv = "refresh"; m.content = "0; url=" + to; head.appendChild(m);
  location.replace(to);
})();"""


def redirect_script(rmap: RedirectMap) -> str:
    """The JavaScript every platform's own format (a theme, a skin snippet) runs: :meth:`RedirectMap.lookup` again,
    then ``<link rel=canonical>``, a ``<meta http-equiv=refresh>`` and ``location.replace()``."""
    return _SCRIPT % {
        "map": _script_json([[r.old, r.new] for r in rmap.redirects]),
        "prefixes": _script_json([list(p) for p in rmap.prefixes]),
        "home": _script_json(rmap.home),
    }
