"""Tistory (``*.tistory.com`` and custom domains): public pages only (the Open API closed in 2024).

Discovery: ``/sitemap.xml`` (``/m/`` duplicates and category/tag/guestbook URLs dropped, ``lastmod`` kept),
``/rss`` for the newest posts, and, when the sitemap is missing or capped (about 1,000 URLs), numeric ids
enumerated down from the newest one until a configurable run of ids is missing. ``/entry/<title>`` and
``/<id>`` are one post: the numeric id read from the page decides.

Extraction does not depend on the skin: metadata from the head (``og:*``, ``article:*_time``) and the
``window.T.entryInfo`` / ``tiara`` JSON; the body from ``.tt_article_useless_p_margin``, then known skin
containers, then the uniform mobile page ``/m/<id>``. The editor's markup (``figure.imageblock``, grids,
file blocks, code blocks, ``moreLess`` folds, opengraph cards, video and map embeds, ``data-ke-*``) is turned
into ordinary HTML here, and every image URL is resolved to its original (``thumb?fname=`` unwrapped,
``cfile`` + ``?original``), so nothing downstream knows about Tistory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, quote, unquote, urljoin, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag
from lxml import etree

from migrator.config import Config
from migrator.errors import FetchError, NotABlogError, SourceError
from migrator.http import HttpClient
from migrator.models import Blog, Post

KST = timezone(timedelta(hours=9))
PROTECTED_TEXT = "보호되어 있는 글입니다"
DEFAULT_BODY_SELECTORS = (
    ".tt_article_useless_p_margin",
    "#article-view",
    ".article_view",
    ".area_view",
    "div.article-view",
    "div.entry-content",
    "article.content",
    "div.entry div.article",
    ".contents_style",
)
MOBILE_BODY_SELECTORS = (".blogview_content", "#mainContent .blogview_content", ".tt_article_useless_p_margin")
JUNK_SELECTORS = (
    "script",
    "style",
    "noscript",
    "ins.adsbygoogle",
    ".revenue_unit_wrap",
    "[data-tistory-react-app]",
    ".container_postbtn",
    ".postbtn_like",
    ".another_category",
    ".area_related",
    ".related_type",
    ".area_reply",
    ".area_comment",
    ".tt-sns-wrap",
    ".tt_box_namecard",
    ".subscription",
    ".btn_subscription",
    ".permalink__admin",
    ".my_edit",
    "#tistorySnsLayer",
    "[id^=entry][id$=Comment]",
    "svg",
    ".adsense",
    ".tt_adsense_top",
    ".tt_adsense_bottom",
    "[id^=google_ads]",
    ".revenue_unit_item",
)
_NUMERIC = re.compile(r"^/(\d+)/?$")
_ENTRY = re.compile(r"^/entry/([^/]+)/?$")
_MOBILE = re.compile(r"^/m/(\d+|entry/[^/]+)/?$")


# --- pure helpers ------------------------------------------------------------------------------------


def original_image_url(url: str) -> str:
    """The original of a Tistory/Kakao image URL.

    - ``…/thumb/R1280x0/?scode=mtistory2&fname=<encoded>`` -> the ``fname`` URL (unwrapped repeatedly)
    - ``…/cfile/tistory/<hex>`` -> ``…?original``
    - ``cfileNN.uf.tistory.com/image/<hex>`` -> ``…/original/<hex>``
    - ``blog.kakaocdn.net/dn/…`` and signed ``/dna/…?credential=…`` are originals already
    """
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    for _ in range(5):
        parts = urlsplit(url)
        if parts.path.startswith("/thumb/") and "fname=" in parts.query:
            fname = parse_qs(parts.query).get("fname", [""])[0]
            if fname:
                url = fname if "://" in fname else unquote(fname)
                if url.startswith("//"):
                    url = "https:" + url
                continue
        break
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if "/cfile/tistory/" in parts.path and not parts.query:
        return url + "?original"
    if re.match(r"^cfile\d+\.uf\.tistory\.com$", host) and parts.path.startswith("/image/"):
        return url.replace("/image/", "/original/", 1)
    return url


_SIGNATURE_PARAMS = frozenset({"credential", "expires", "allow_ip", "allow_referer", "signature"})


def stable_image_key(url: str) -> str:
    """A signed ``/dna/…?credential=…&expires=…&signature=…`` URL without its signature: the same image
    keeps one identity when Tistory re-signs it (every month)."""
    parts = urlsplit(url)
    if not parts.query or "signature=" not in parts.query:
        return url
    kept = [q for q in parts.query.split("&") if q.split("=", 1)[0] not in _SIGNATURE_PARAMS]
    return parts._replace(query="&".join(kept)).geturl()


def is_chrome_image(url: str) -> bool:
    """Tistory's own UI images (emoticons, no-image placeholders, profile pictures): not content."""
    return "/tistory_admin/" in url or re.search(r"tistory\d*\.daumcdn\.net/tistory/\d+/attach/", url) is not None


def kage_url(ref: str) -> str:
    """``kage@a/b/c/img.png`` (raw editor placeholders) -> ``https://blog.kakaocdn.net/dn/a/b/c/img.png``."""
    return "https://blog.kakaocdn.net/dn/" + ref.split("@", 1)[1]


def looks_like_tistory(html: str) -> bool:
    markers = ("window.T.config", "T.config =", "tistory_admin", "tistory1.daumcdn.net/tistory", "TistoryBlog")
    return any(m in html for m in markers)


def parse_tistory_date(value: str | None) -> datetime | None:
    """ISO 8601 (``2011-06-27T13:04:10+09:00``), compact ``20131026232137`` (KST), or JSON-LD's
    ``20170710T21:30:38+09:00``."""
    if not value:
        return None
    v = value.strip()
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})", v)
    if m:
        return datetime(*map(int, m.groups()), tzinfo=KST)
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})T(.*)", v)
    if m:
        v = f"{m.group(1)}-{m.group(2)}-{m.group(3)}T{m.group(4)}"
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        try:
            dt = parsedate_to_datetime(v)
        except (TypeError, ValueError, IndexError):
            return None
    return dt if dt.tzinfo else dt.replace(tzinfo=KST)


def parse_visible_date(text: str | None) -> datetime | None:
    """A skin's visible date: "2025. 11. 13. 17:09", "2023. 1. 27. 23:37", "2017.07.10 21:30", "2011. 6. 27." (KST)."""
    if not text:
        return None
    m = re.search(r"(\d{4})\s*[.-]\s*(\d{1,2})\s*[.-]\s*(\d{1,2})\.?(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?", text)
    if not m:
        return None
    y, mo, d, h, mi, sec = (int(g) if g else 0 for g in m.groups())
    try:
        return datetime(y, mo, d, h, mi, sec, tzinfo=KST)
    except ValueError:
        return None


def classify_path(path: str) -> tuple[str, str] | None:
    """('id', '123') or ('entry', '<decoded title>') for a post URL path; None for anything else."""
    m = _NUMERIC.match(path)
    if m:
        return "id", m.group(1)
    m = _ENTRY.match(path)
    if m:
        return "entry", unquote(m.group(1))
    return None


def _json_after(html: str, marker: str) -> dict | None:
    """The JSON object assigned after ``marker`` in an inline script (``window.T.entryInfo = {...};``)."""
    i = html.find(marker)
    if i < 0:
        return None
    i = html.find("{", i)
    if i < 0 or html[html.find(marker) + len(marker) : i].strip(" =\t\n") != "":
        return None
    try:
        obj, _ = json.JSONDecoder().raw_decode(html[i:])
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


# --- editor markup -> ordinary HTML ------------------------------------------------------------------


def _img_from(span_or_img: Tag, soup: BeautifulSoup, name: str | None, alt: str | None) -> Tag | None:
    img = span_or_img if span_or_img.name == "img" else span_or_img.find("img")
    url = None
    if span_or_img.name != "img":
        url = span_or_img.get("data-url") or span_or_img.get("data-phocus")
    if not url and img is not None:
        url = img.get("data-src") or img.get("src")
        if (not url or url.startswith(("./", "data:"))) and img.get("srcset"):
            url = str(img["srcset"]).split(",")[0].split()[0]
    if not url:
        return None
    new = soup.new_tag("img", src=original_image_url(str(url)))
    alt = alt or (img.get("alt") if img is not None else None) or ""
    new["alt"] = alt
    fname = name or (img.get("data-filename") or img.get("filename") if img is not None else None)
    if fname:
        new["data-filename"] = fname
    return new


def clean_editor_html(body: Tag, soup: BeautifulSoup, base: str) -> None:
    """Rewrite Tistory editor constructs in ``body`` (in place) into ordinary HTML."""
    for sel in JUNK_SELECTORS:
        for el in body.select(sel):
            el.decompose()

    # images: figure.imageblock / span.imageblock (legacy)
    for fig in body.select("figure.imageblock, span.imageblock"):
        name = fig.get("data-filename")
        span = fig.find("span", attrs={"data-url": True}) or fig
        caption = fig.find("figcaption")
        alt = (span.get("data-alt") if span is not fig else None) or (
            caption.get_text(" ", strip=True) if caption else None
        )
        img = _img_from(span if span is not fig else (fig.find("img") or fig), soup, name, alt)
        if img is None:
            fig.decompose()
            continue
        if fig.name == "figure":
            new = soup.new_tag("figure")
            new.append(img)
            if caption is not None and caption.get_text(strip=True):
                fc = soup.new_tag("figcaption")
                fc.string = caption.get_text(" ", strip=True)
                new.append(fc)
            fig.replace_with(new)
        else:
            fig.replace_with(img)

    # image grids: several images, one caption
    for fig in body.select("figure.imagegridblock"):
        new = soup.new_tag("figure")
        for span in fig.select("span[data-url]") or fig.find_all("img"):
            img = _img_from(span, soup, None, span.get("data-alt") if span.name == "span" else None)
            if img is not None:
                new.append(img)
        caption = fig.find("figcaption")
        if caption is not None and caption.get_text(strip=True):
            fc = soup.new_tag("figcaption")
            fc.string = caption.get_text(" ", strip=True)
            new.append(fc)
        fig.replace_with(new)

    # file attachments: a download link, relinked to the local copy like an image
    for fig in body.select("figure.fileblock"):
        a = fig.find("a", href=True)
        if a is None:
            fig.decompose()
            continue
        name_el = fig.select_one(".name")
        name = name_el.get_text(strip=True) if name_el else unquote(urlsplit(a["href"]).path.rsplit("/", 1)[-1])
        p = soup.new_tag("p")
        link = soup.new_tag("a", href=urljoin(base + "/", a["href"]))
        link["data-migrator-attachment"] = name
        link.string = name
        p.append(link)
        size = fig.select_one(".size")
        if size is not None and size.get_text(strip=True):
            p.append(NavigableString(f" ({size.get_text(strip=True)})"))
        fig.replace_with(p)
    for a in body.find_all("a", href=True):
        href = str(a["href"])
        if "/attachment/" in href and not a.get("data-migrator-attachment"):
            a["data-migrator-attachment"] = a.get_text(strip=True) or unquote(href.rsplit("/", 1)[-1])
            a["href"] = urljoin(base + "/", href)

    # more/less folds -> <details>
    for div in body.select('div[data-ke-type="moreLess"]'):
        details = soup.new_tag("details")
        summary = soup.new_tag("summary")
        summary.string = div.get("data-text-more") or "더보기"
        details.append(summary)
        content = div.select_one(".moreless-content") or div
        for child in list(content.contents):
            if isinstance(child, Tag) and "btn-toggle-moreless" in (child.get("class") or []):
                continue
            details.append(child.extract())
        div.replace_with(details)

    # opengraph link cards -> a readable link with title and description
    for fig in body.select('figure[data-ke-type="opengraph"]'):
        url = fig.get("data-og-url") or fig.get("data-og-source-url")
        a = fig.find("a", href=True)
        url = url or (a["href"] if a else None)
        title = fig.get("data-og-title") or (
            fig.select_one(".og-title").get_text(strip=True) if fig.select_one(".og-title") else url
        )
        desc = fig.get("data-og-description") or (
            fig.select_one(".og-desc").get_text(strip=True) if fig.select_one(".og-desc") else ""
        )
        host = fig.get("data-og-host") or ""
        quote_el = soup.new_tag("blockquote")
        p = soup.new_tag("p")
        if url:
            link = soup.new_tag("a", href=url)
            link.string = title or url
            strong = soup.new_tag("strong")
            strong.append(link)
            p.append(strong)
        else:
            p.string = title or ""
        quote_el.append(p)
        if desc:
            d = soup.new_tag("p")
            d.string = desc + (f" ({host})" if host else "")
            quote_el.append(d)
        fig.replace_with(quote_el)

    # video figures: keep the player iframe, else a link
    for fig in body.select('figure[data-ke-type="video"]'):
        iframe = fig.find("iframe")
        if iframe is not None:
            fig.replace_with(iframe.extract())
        elif fig.get("data-video-url"):
            p = soup.new_tag("p")
            a = soup.new_tag("a", href=fig["data-video-url"])
            a.string = fig.get("data-video-title") or fig["data-video-url"]
            p.append(a)
            fig.replace_with(p)
        else:
            fig.decompose()

    # Kakao map embeds only work on Tistory: a link to the place instead
    for iframe in body.select('iframe[data-ke-type="map"], iframe[src*="plusmapViewer"]'):
        data = parse_qs(str(iframe.get("data-maps-data") or iframe.get("mapdata") or ""))
        addr = (data.get("addr") or [""])[0]
        title = (data.get("title") or [""])[0]
        label = title or addr or "지도"
        p = soup.new_tag("p")
        a = soup.new_tag("a", href="https://map.kakao.com/?q=" + quote(addr or label))
        a.string = f"지도: {label}"
        p.append(a)
        iframe.replace_with(p)

    # code blocks keep their language; every other data-ke-* attribute goes
    for pre in body.find_all("pre"):
        lang = pre.get("data-ke-language")
        if lang:
            pre["data-lang"] = lang
    for img in body.find_all("img"):
        src = str(img.get("src") or "")
        if is_chrome_image(src):
            img.decompose()
            continue
        if img.get("data-src") and (not src or src.startswith("data:")):
            img["src"] = img["data-src"]
        if img.get("src"):
            img["src"] = original_image_url(str(img["src"]))
        for attr in ("srcset", "onerror", "onclick", "loading", "data-src", "data-phocus-index", "style"):
            if attr in img.attrs:
                del img[attr]
    for el in body.find_all(True):
        for attr in list(el.attrs):
            if attr.startswith("data-ke") or attr in (
                "contenteditable",
                "data-origin-width",
                "data-origin-height",
                "data-is-animation",
                "data-widthpercent",
                "data-phocus",
                "data-url",
                "data-alt",
                "data-highlighted",
                "id",
            ):
                if attr == "id" and el.name not in ("pre", "figure"):
                    continue
                del el[attr]
        if el.name in ("p", "span", "div", "blockquote", "ul", "ol", "table", "td", "th", "h2", "h3", "h4") and el.get(
            "style"
        ):
            del el["style"]

    # raw editor placeholders left in old content: [##_Image|kage@a/b/c/img.png|...|{json}_##]
    for text in body.find_all(string=re.compile(r"\[##_(?:Image|ImageGrid|1[CLR]|2C)\|")):
        html = str(text)
        html = re.sub(
            r"\[##_(?:Image|ImageGrid)\|([^|\]]+)\|[^\]]*?_##\]",
            lambda m: "".join(f'<img src="{kage_url(r)}">' for r in m.group(1).split(",") if r.startswith("kage@")),
            html,
        )
        html = re.sub(
            r"\[##_(?:1[CLR]|2C)\|cfile(\d+)\.uf\.([0-9A-Fa-f]+)\.(\w+)\|[^\]]*?_##\]",
            lambda m: f'<img src="http://cfile{m.group(1)}.uf.tistory.com/original/{m.group(2)}">',
            html,
        )
        text.replace_with(BeautifulSoup(html, "html.parser"))


# --- the source ----------------------------------------------------------------------------------------


_NOT_MODIFIED = object()


@dataclass(frozen=True)
class Listed:
    """A post URL found by discovery, before its page is read."""

    url: str
    key: tuple[str, str]  # ('id', '123') or ('entry', 'title')
    lastmod: str | None = None
    from_rss: bool = False


class TistorySource:
    name = "tistory"

    @staticmethod
    def matches_host(host: str) -> bool:
        return host == "tistory.com" or host.endswith(".tistory.com")

    @classmethod
    def open(cls, url: str, cfg: Config, http: HttpClient) -> TistorySource:
        src = cls(url, cfg, http)
        src._load_metadata()
        return src

    def __init__(self, url: str, cfg: Config, http: HttpClient) -> None:
        parts = urlsplit(url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.cfg = cfg
        self.tcfg = cfg.tistory
        self.http = http
        self.warnings: list[str] = []
        self.incomplete = False
        self.skipped: list[tuple[str, str]] = []
        self.blog = Blog(platform="tistory", url=self.origin, timezone=cfg.timezone or "Asia/Seoul")
        self._rss_items: list[dict] = []
        self.listed_ids: set[str] | None = None
        self.expected_total: int | None = None  # posts discovery found (for the progress bar)
        self._hosts = {(parts.hostname or "").lower()}
        if self.tcfg.delay > 0:
            http.set_host_delay(parts.netloc, self.tcfg.delay)

    # --- platform hooks ----------------------------------------------------------------------------------
    def is_platform_image(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return (
            host.endswith(("daumcdn.net", "kakaocdn.net"))
            or re.match(r"^cfile\d+\.uf\.tistory\.com$", host) is not None
        )

    def asset_key(self, url: str) -> str:
        return stable_image_key(url)

    def asset_headers(self, url: str) -> dict[str, str]:
        return {"Referer": self.origin + "/"} if self.tcfg.referer else {}

    def internal_path(self, url: str) -> str | None:
        parts = urlsplit(url)
        if (parts.hostname or "").lower() not in self._hosts:
            return None
        path = parts.path
        m = _MOBILE.match(path)
        if m:
            path = "/" + m.group(1)
        if classify_path(path) is None:
            return None
        return path + (f"#{parts.fragment}" if parts.fragment else "")

    # --- fetching --------------------------------------------------------------------------------------
    def _get_text(self, path_or_url: str) -> str | None:
        url = path_or_url if "://" in path_or_url else self.origin + path_or_url
        try:
            return self.http.get(url).text()
        except FetchError as e:
            if e.status_code in (404, 410):
                return None
            raise

    def _load_metadata(self) -> None:
        try:
            rss = self._get_text("/rss")
        except FetchError as e:
            raise SourceError(
                f"cannot read the blog: {e.message}", e.hint or "check the URL and your network"
            ) from None
        title = description = ""
        if rss:
            try:
                root = etree.fromstring(
                    rss.encode("utf-8"), parser=etree.XMLParser(recover=True, resolve_entities=False)
                )
            except etree.XMLSyntaxError:
                root = None
            channel = root.find("channel") if root is not None else None
            if channel is not None:
                title = channel.findtext("title") or ""
                description = channel.findtext("description") or ""
                link = (channel.findtext("link") or "").strip()
                if link:
                    self._hosts.add((urlsplit(link).hostname or "").lower())
                for item in channel.findall("item"):
                    self._rss_items.append(
                        {
                            "link": (item.findtext("link") or "").strip(),
                            "title": item.findtext("title") or "",
                            "pubDate": item.findtext("pubDate"),
                            "category": item.findtext("category"),
                            "description": item.findtext("description") or "",
                        }
                    )
        if not title:
            home = self._get_text("/")
            if home is None:
                raise NotABlogError(f"{self.origin} answered neither /rss nor / (HTTP 404)", "check the URL")
            if not looks_like_tistory(home):
                raise NotABlogError(
                    f"{self.origin} does not look like a Tistory blog", "check the URL or pass --platform"
                )
            soup = BeautifulSoup(home, "lxml")
            og = soup.find("meta", attrs={"property": "og:site_name"})
            title = (og.get("content") if og else None) or (soup.title.get_text(strip=True) if soup.title else "")
        self.blog = Blog(
            platform="tistory",
            url=self.origin,
            blog_id="",
            title=title.strip(),
            description=description.strip(),
            timezone=self.cfg.timezone or "Asia/Seoul",
        )

    # --- discovery -------------------------------------------------------------------------------------
    def _sitemap_urls(self) -> tuple[list[tuple[str, str | None]], bool]:
        """(URL, lastmod) pairs from /sitemap.xml (an index is followed); found=False when there is none."""
        out: list[tuple[str, str | None]] = []
        todo = [self.origin + "/sitemap.xml"]
        seen: set[str] = set()
        found = False
        while todo:
            url = todo.pop(0)
            if url in seen or len(seen) > 50:
                continue
            seen.add(url)
            try:
                text = self._get_text(url)
            except FetchError as e:
                self.warnings.append(f"could not read the sitemap {url}: {e.message}")
                continue
            if text is None:
                continue
            try:
                root = etree.fromstring(
                    text.encode("utf-8"), parser=etree.XMLParser(recover=True, resolve_entities=False)
                )
            except etree.XMLSyntaxError:
                root = None
            if root is None:
                self.warnings.append(f"the sitemap {url} is not XML")
                continue
            found = True
            for el in root.iter():
                tag = etree.QName(el).localname if isinstance(el.tag, str) else ""
                if tag == "sitemap":
                    loc = _child_text(el, "loc")
                    if loc:
                        todo.append(self._on_origin(loc))
                elif tag == "url":
                    loc = _child_text(el, "loc")
                    if loc:
                        out.append((loc, _child_text(el, "lastmod")))
        return out, found

    def _on_origin(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{self.origin}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    def discover(self) -> list[Listed]:
        """Every post URL we know of, each post once where the URL tells; ordered by id, then title."""
        listed: dict[tuple[str, str], Listed] = {}
        sitemap, found = self._sitemap_urls()
        for loc, lastmod in sitemap:
            parts = urlsplit(loc)
            if (parts.hostname or "").lower() not in self._hosts and parts.netloc != urlsplit(self.origin).netloc:
                self._hosts.add((parts.hostname or "").lower())
            key = classify_path(parts.path)
            if key is None:
                continue  # /m/<id> duplicates, /category, /tag, /guestbook, the home page
            listed.setdefault(key, Listed(self.origin + parts.path, key, lastmod))
        for item in self._rss_items:
            parts = urlsplit(item["link"])
            key = classify_path(parts.path)
            if key is not None and key not in listed:
                listed[key] = Listed(self.origin + parts.path, key, None, from_rss=True)
        ids = [int(k[1]) for k in listed if k[0] == "id"]
        capped = found and len(sitemap) >= self.tcfg.sitemap_cap
        mode = self.tcfg.enumerate
        if mode == "always" or (mode == "auto" and (not found or capped or any(x.from_rss for x in listed.values()))):
            if not found:
                self.warnings.append("the blog has no sitemap.xml: post ids were enumerated instead")
            elif capped:
                self.warnings.append(
                    f"the sitemap lists {len(sitemap)} URLs, its cap: older post ids were enumerated as well"
                )
            self._enumerate_from = max(ids) if ids else None
        else:
            self._enumerate_from = None
        return sorted(
            listed.values(), key=lambda x: (x.key[0] != "id", int(x.key[1]) if x.key[0] == "id" else 0, x.key[1])
        )

    # --- reading one post ------------------------------------------------------------------------------
    def posts(
        self, since: datetime | None = None, known: dict[str, tuple[str, str | None]] | None = None
    ) -> Iterator[Post]:
        """Every readable post. On a resync (``since`` and ``known``), a post whose sitemap ``lastmod`` equals
        the recorded modification time is not fetched again, and enumeration only looks above the newest
        known id."""
        listed = self.discover()
        self.expected_total = len(listed)
        known = known or {}
        seen_ids: set[str] = set()
        self.listed_ids = set() if since is not None else None
        todo: list[tuple[Listed, tuple | None]] = []
        for item in listed:
            path = urlsplit(item.url).path
            rec = known.get(path) or known.get(unquote(path))
            if since is not None and rec is not None and item.lastmod and rec[1]:
                a, b = parse_tistory_date(item.lastmod), parse_tistory_date(rec[1])
                if a is not None and a == b:
                    seen_ids.add(rec[0])
                    self.listed_ids.add(rec[0])  # unchanged: not fetched again
                    continue
            todo.append((item, rec))

        def read(job: tuple[Listed, tuple | None]):  # type: ignore[no-untyped-def]
            item, rec = job
            validators = (rec[2], rec[3]) if since is not None and rec is not None and not item.lastmod else None
            return self._read(item.url, listed=True, validators=validators)

        # pages are fetched side by side (at most `jobs`, and tistory.delay apart per host), yielded in order
        for (_item, rec), post in zip(todo, _ordered_map(read, todo, self.cfg.jobs), strict=True):
            if post is _NOT_MODIFIED:
                seen_ids.add(rec[0])
                self.listed_ids.add(rec[0])  # a conditional GET answered 304: unchanged
                continue
            if post is None or post.id in seen_ids:
                continue  # missing, or /entry/<title> and /<id> of one post
            seen_ids.add(post.id)
            yield post
        start = getattr(self, "_enumerate_from", None)
        if start is None:
            return
        floor = 0
        if since is not None:
            known_ids = [int(v[0]) for v in known.values() if str(v[0]).isdigit()]
            self.listed_ids.update(str(i) for i in known_ids)  # not re-read: cannot be judged cheaply
            floor = max(known_ids, default=0)
        missing_run = 0
        missing: list[int] = []
        for n in range(start, floor, -1):
            if str(n) in seen_ids:
                missing_run = 0
                continue
            post = self._read(f"{self.origin}/{n}", listed=False)
            if post is None:
                missing_run += 1
                missing.append(n)
                if missing_run >= self.tcfg.max_missing_run:
                    break
                continue
            missing_run = 0
            if post.id in seen_ids:
                continue
            seen_ids.add(post.id)
            yield post
        if missing:
            self.warnings.append(
                f"{len(missing)} post ids were missing, private or deleted while enumerating (e.g. /{missing[0]})"
            )

    def _read(self, url: str, *, listed: bool, validators: tuple[str | None, str | None] | None = None):
        """The post at ``url``; None for a missing id found by enumeration (listed ones are reported);
        ``_NOT_MODIFIED`` when ``validators`` (ETag, Last-Modified) made the server answer 304."""
        etag, last_modified = validators or (None, None)
        try:
            got = self.http.get(url, etag=etag, last_modified=last_modified)
        except FetchError as e:
            if not listed and e.status_code in (403, 404, 410):
                return None
            reason = f"deleted or private (HTTP {e.status_code})" if e.status_code in (403, 404, 410) else e.message
            return self._skipped_post(url, reason, failed=e.status_code not in (403, 404, 410))
        if got.status == 304:
            return _NOT_MODIFIED
        html = got.text()
        final_path = urlsplit(got.url).path
        if not listed and classify_path(final_path) is None and final_path != urlsplit(url).path:
            return None  # an enumerated id that redirects elsewhere (the home page): not a post
        post = self.parse_page(html, url)
        if post is not None and (got.etag or got.last_modified):
            post = replace(post, etag=got.etag, last_modified=got.last_modified)
        return post

    def _skipped_post(
        self,
        url: str,
        reason: str,
        *,
        failed: bool = False,
        post_id: str | None = None,
        title: str = "",
        published: datetime | None = None,
    ) -> Post:
        key = classify_path(urlsplit(url).path)
        pid = post_id or (key[1] if key and key[0] == "id" else f"entry:{key[1] if key else url}")
        return Post(
            id=pid,
            kind="post",
            status="live",
            title=title,
            html="",
            published=published or datetime(1970, 1, 1, tzinfo=KST),
            url=url,
            path=urlsplit(url).path,
            error=reason,
            skip=not failed,
        )

    def parse_page(self, html: str, url: str) -> Post | None:
        soup = BeautifulSoup(html, "lxml")

        def meta(prop: str) -> str | None:
            el = soup.find("meta", attrs={"property": prop}) or soup.find("meta", attrs={"name": prop})
            v = el.get("content") if el is not None else None
            return str(v).strip() if v else None

        entry_info = _json_after(html, "window.T.entryInfo") or {}
        tiara = (_json_after(html, "window.tiara") or {}).get("entry") or {}
        ld: dict = {}
        for script in soup.find_all("script", attrs={"type": "application/ld+json"}):
            try:
                data = json.loads(script.string or "")
            except ValueError:
                continue
            if isinstance(data, dict) and data.get("@type") in ("BlogPosting", "Article"):
                ld = data
        entry_id = str(entry_info.get("entryId") or tiara.get("entryId") or "")
        if not entry_id:
            txid = meta("article:txid") or ""
            entry_id = txid.rsplit("_", 1)[-1] if "_" in txid else ""
        if not entry_id:
            for candidate in (meta("dg:plink"), meta("og:url"), url):
                key = classify_path(urlsplit(candidate or "").path)
                if key and key[0] == "id":
                    entry_id = key[1]
                    break
        canonical = None
        link = soup.find("link", attrs={"rel": "canonical"})
        for candidate in (link.get("href") if link else None, meta("og:url"), meta("dg:plink"), url):
            if candidate and classify_path(urlsplit(candidate).path):
                canonical = self.origin + urlsplit(candidate).path
                break
        canonical = canonical or url
        if not entry_id:
            key = classify_path(urlsplit(canonical).path)
            entry_id = f"entry:{key[1]}" if key else url
        title = meta("og:title") or meta("title") or ld.get("headline") or tiara.get("entryTitle") or ""
        published = parse_tistory_date(meta("article:published_time")) or parse_tistory_date(ld.get("datePublished"))
        modified = parse_tistory_date(meta("article:modified_time")) or parse_tistory_date(ld.get("dateModified"))

        body_text = soup.get_text(" ")
        if PROTECTED_TEXT in body_text and soup.find("input", attrs={"type": "password"}) is not None:
            return self._skipped_post(
                canonical,
                "protected by a password: its text cannot be read",
                post_id=entry_id,
                title=title,
                published=published,
            )

        body = None
        for sel in self.tcfg.body_selectors or DEFAULT_BODY_SELECTORS:
            found = soup.select_one(sel)
            if found is not None and found.get_text(strip=True) or (found is not None and found.find("img")):
                body = found
                break
        if body is None and entry_id.isdigit():
            mobile = self._get_text(f"/m/{entry_id}")
            if mobile:
                msoup = BeautifulSoup(mobile, "lxml")
                for sel in MOBILE_BODY_SELECTORS:
                    found = msoup.select_one(sel)
                    if found is not None:
                        body, soup = found, msoup
                        break
        if published is None:
            published = self._rss_date(canonical)
        if published is None:
            for sel in ("time.date", "span.date", ".date", "time"):
                el = soup.select_one(sel)
                published = parse_visible_date(el.get("datetime") or el.get_text(" ", strip=True)) if el else None
                if published:
                    break
        if published is None:
            published = datetime(1970, 1, 1, tzinfo=KST)
            self.warnings.append(f"{canonical}: no publication date found; dated 1970-01-01 (edit the post's date)")
        if body is None:
            return self._skipped_post(
                canonical,
                "no post body found in the page (skin not recognised); set tistory.body_selectors",
                failed=True,
                post_id=entry_id,
                title=title,
                published=published,
            )
        # category: entryInfo, tiara, then the skin's category link near the article (never a menu)
        category = entry_info.get("categoryLabel") or tiara.get("categoryName") or ""
        if not category:
            category = skin_category(soup)
        categories = tuple(c.strip() for c in str(category).split("/") if c.strip() and c.strip() not in NO_CATEGORY)
        tags = [str(t) for t in tiara.get("tags") or [] if str(t).strip()]
        for a in soup.select("a[rel=tag]"):
            if _in_chrome(a):
                continue
            t = a.get_text(strip=True)
            if t and t not in tags:
                tags.append(t)
        for sel in self.tcfg.remove_selectors:
            for el in body.select(sel):
                el.decompose()
        clean_editor_html(body, soup, self.origin)
        thumb = meta("og:image")
        path = urlsplit(canonical).path
        key = classify_path(path)
        old = [f"/m/{entry_id}"] if entry_id.isdigit() else []
        if key and key[0] == "entry":
            old.append("/m" + path)
            if entry_id.isdigit():
                old.append(f"/{entry_id}")
        slug = key[1] if key and key[0] == "entry" else (title or entry_id)
        return Post(
            id=entry_id,
            kind="post",
            status="live",
            title=title,
            html=body.decode_contents(),
            published=published,
            updated=modified,
            url=canonical,
            path=path,
            slug=slug,
            categories=categories,
            tags=tuple(tags),
            summary=meta("og:description"),
            thumbnail=original_image_url(thumb) if thumb and not is_chrome_image(thumb) else None,
            old_urls=tuple(old),
        )

    def _rss_date(self, url: str) -> datetime | None:
        path = urlsplit(url).path
        for item in self._rss_items:
            if urlsplit(item["link"]).path == path:
                return parse_tistory_date(item.get("pubDate"))
        return None


def _ordered_map(fn, items: list, workers: int):  # type: ignore[no-untyped-def]
    """``map(fn, items)`` on a small thread pool, in order, with at most ``2 * workers`` results held."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        window: deque = deque()
        it = iter(items)
        for item in it:
            window.append(pool.submit(fn, item))
            if len(window) >= 2 * max(1, workers):
                break
        while window:
            yield window.popleft().result()
            nxt = next(it, None)
            if nxt is not None:
                window.append(pool.submit(fn, nxt))


NO_CATEGORY = frozenset({"분류 전체보기", "카테고리 없음", "분류없음", "분류 없음", "전체", "Uncategorized"})
_CHROME = re.compile(r"tt_category|category_list|sidebar|menu|gnb|lnb|\bnav|cloud|widget", re.I)
CATEGORY_SELECTORS = (
    ".heading a.category",
    ".artcle_category_info a",
    ".tit_category a",
    "a#category",
    "a.link_category",
    "a.category",
    ".category a[href^='/category']",
    "a[href^='/category/']",
)


def _in_chrome(el: Tag) -> bool:
    """Whether an element sits in the skin's menus, sidebars or footers rather than with the article."""
    for parent in el.parents:
        if parent.name in ("nav", "aside"):
            return True
        cls = " ".join(parent.get("class") or []) + " " + str(parent.get("id") or "")
        if _CHROME.search(cls):
            return True
    return False


def skin_category(soup: BeautifulSoup) -> str:
    """The post's category from the skin's own link, when the page has no entryInfo/tiara JSON."""
    for sel in CATEGORY_SELECTORS:
        for a in soup.select(sel):
            if _in_chrome(a) or "link_item" in (a.get("class") or []) or "link_tit" in (a.get("class") or []):
                continue
            path = urlsplit(str(a.get("href") or "")).path
            if path.startswith("/category/"):
                return unquote(path[len("/category/") :])
            if path.rstrip("/") == "/category":
                return ""  # the skin's link for "no category"
            text = a.get_text(strip=True)
            if text:
                return text
    return ""


def _child_text(el: etree._Element, name: str) -> str | None:
    for child in el:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return (child.text or "").strip() or None
    return None
