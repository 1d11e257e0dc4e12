"""Conversion never loses words: the paths that used to drop or glue them, one test each (issue 10).

The golden cases (tests/golden) show whole documents; these pin the single rules, and
test_site_build.py builds the goldens with the real kramdown."""

import re

import pytest

from migrator import convert
from migrator.convert import code_language, parse
from migrator.sources.blogger import clean_html as as_handed_on


def md(html: str, amap: dict[str, str] | None = None) -> str:
    """The Markdown of ``html`` as a post reaches the converter: through its source's clean-up (the
    platform's markup, caption tables and old highlighters' code blocks, made ordinary HTML)."""
    return convert.html_to_markdown(as_handed_on(html), amap)


def html_to_clean_html(html: str, amap: dict[str, str] | None = None) -> str:
    return convert.html_to_clean_html(as_handed_on(html), amap)


def plain_text(html: str) -> str:
    return convert.plain_text(as_handed_on(html))


@pytest.mark.parametrize(
    ("html", "kept"),
    [
        ('<div><br><table class="tr-caption-container"><tr><td><img src="https://h/a.png"></td></tr>'
         '<tr><td class="tr-caption">Cap</td></tr></table></div>', ["![](https://h/a.png)", "*Cap*"]),
        ('<div><script src="https://gist.github.com/u/1.js"></script></div>', ['<script src="https://gist.github.com/u/1.js">']),
        ("<div><span>&nbsp;</span><video src=\"https://h/v.mp4\"></video></div>", ["<video"]),
        ('<p><span><figure><img src="https://h/f.png"></figure></span></p>', ["![](https://h/f.png)"]),
        ("<div><span><span>deep words</span></span></div>", ["deep words"]),
        ("<p><math><mi>x</mi></math></p>", ["x"]),
        ("<h2>&nbsp;<img src=\"https://h/h.png\"></h2>", ["## ![](https://h/h.png)"]),
    ],
)
def test_the_blank_pass_never_removes_media_embeds_or_text(html, kept):
    out = md(html)
    for piece in kept:
        assert piece in out, out


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>one<span> </span>two</p>", "one two\n"),
        ("<p>one<span>&nbsp;</span>two</p>", "one two\n"),
        ("<div>one<div></div>two</div>", "one  \ntwo\n"),
        ("<div>one<div><br></div>two</div>", "one\n\ntwo\n"),
        ("<p><strong>title<br></strong>text</p>", "**title**  \ntext\n"),
        ("<p><strong>title<br>\n</strong>text</p>", "**title**  \ntext\n"),
        ("<p><a href='https://x/'>link<br></a>text</p>", "[link](https://x/)  \ntext\n"),
        ("<p><code>code<br></code>text</p>", "`code`  \ntext\n"),
        ("<p>text<em><br>emphasis</em></p>", "text  \n*emphasis*\n"),
        ("<p><b>x<br><br></b>y</p>", "**x**\n\ny\n"),
    ],
)
def test_breaks_and_blanks_never_glue_words(html, expected):
    assert md(html) == expected


def test_empty_headings_are_dropped():
    assert md("<h2></h2><h3>&nbsp;</h3><h4><br></h4><h2><a name='x'></a></h2><p>x</p>") == "x\n"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>Term<br>: not a definition</p>", "Term  \n\\: not a definition\n"),
        ("<p>Term</p><p>: not a definition</p>", "Term\n\n\\: not a definition\n"),
        ("<blockquote><p>q<br>: c</p></blockquote>", "> q  \n> \\: c\n"),
        ("<p><b>Note</b>: mid-line colons stay as they are</p>", "**Note**: mid-line colons stay as they are\n"),
        ("<dl><dt>T</dt><dd>D</dd></dl>", "T\n:   D\n"),  # a real definition list is still one
        ("<p>Title<br>===</p>", "Title  \n\\=\\=\\=\n"),
        ("<p>a<br>^</p>", "a  \n&#94;\n"),
        ("<p>so~~ good~~</p>", "so\\~~ good\\~~\n"),
        ("<h2>Use {#this}</h2>", "## Use \\{#this}\n"),
        ("<pre>: in code\n===\n^</pre>", "```\n: in code\n===\n^\n```\n"),
    ],
)
def test_text_that_starts_a_line_like_markup_is_escaped(html, expected):
    assert md(html) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<img src="https://m/s?markers=a|b">', "![](https://m/s?markers=a%7Cb)\n"),
        ('<a href="https://m/?q=a|b">map</a>', "[map](https://m/?q=a%7Cb)\n"),
        ('<a href="https://m/?q=a|b">https://m/?q=a|b</a>', "[https://m/?q=a\\|b](https://m/?q=a%7Cb)\n"),
        ('<img src="https://m/a.png" alt="a|b" title="c|d">', '![a\\|b](https://m/a.png "c&#124;d")\n'),
        ('<img src="https://m/a b|c.png">', "![](https://m/a%20b%7Cc.png)\n"),
    ],
)
def test_pipes_in_urls_alt_and_titles_cannot_make_a_table(html, expected):
    assert md(html) == expected


@pytest.mark.parametrize(
    ("html", "lang"),
    [
        ('<pre name="code" class="python">x</pre>', "python"),
        ('<pre name="code" class="csharp:nogutter">x</pre>', "csharp"),
        ('<pre name="code" class="c#:nocontrols:nogutter">x</pre>', "csharp"),
        ('<pre class="xml:nogutter">x</pre>', "xml"),
        ('<pre class="brush: js; gutter: false">x</pre>', "javascript"),
        ('<pre class="ruby">x</pre>', "ruby"),
        ('<pre><code class="html">x</code></pre>', "html"),
        ('<pre class="code">x</pre>', ""),  # a class that is no language
        ('<pre name="code" class="plain">x</pre>', ""),
    ],
)
def test_code_language(html, lang):
    assert code_language(parse(as_handed_on(html)).pre) == lang


@pytest.mark.parametrize(
    "html",
    [
        '<pre><pre class="brush: js">a\nb</pre></pre>',
        '<p><code><pre name="code" class="js">a\nb</pre></code></p>',
        '<b><pre class="brush: js">a\nb</pre></b>',
        '<textarea name="code" class="js">a\nb</textarea>',
    ],
)
def test_a_code_block_is_one_fenced_block(html):
    assert md(html) == "```javascript\na\nb\n```\n"
    assert html_to_clean_html(html).count("<pre") == 1


def test_lists_directly_inside_lists_nest_under_the_previous_item():
    assert md("<ul><li>a</li><ul><li>a.1</li></ul><li>b</li></ul>") == "- a\n  - a.1\n- b\n"
    assert md("<ol><li>a</li><ol><li>a.1</li></ol></ol>") == "1. a\n   1. a.1\n"
    assert md("<ul><li>a</li>stray<li>b</li></ul>") == "- a  \n  stray\n- b\n"
    assert html_to_clean_html("<ul><li>a</li><ul><li>a.1</li></ul></ul>") == "<ul><li>a<ul><li>a.1</li></ul></li></ul>\n"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<table><tr><td>a</td><td>b</td></tr></table>", "|  |  |\n| --- | --- |\n| a | b |\n"),
        ("<table><tr><th>h</th><th>i</th></tr><tr><td>a</td><td>b</td></tr></table>",
         "| h | i |\n| --- | --- |\n| a | b |\n"),
        ("<table><tr><th>k</th><td>v</td></tr></table>", "<table><tr><th>k</th><td>v</td></tr></table>\n"),
        ("<table><tr><th>h</th></tr></table>", "<table><tr><th>h</th></tr></table>\n"),
        ('<table><tr><td><iframe src="https://v/|"></iframe></td></tr></table>',
         '<table><tr><td><iframe src="https://v/|"></iframe></td></tr></table>\n'),
    ],
)
def test_tables_render_as_tables_in_kramdown(html, expected):
    assert md(html) == expected


def test_links_around_blocks_go_inside_them():
    assert md('<a href="https://x/"><h3>Title</h3><p>Text</p></a>') == (
        "### [Title](https://x/)\n\n[Text](https://x/)\n"
    )
    assert md('<a href="https://x/">before <div>block</div> after</a>') == (
        "[before](https://x/)\n\n[block](https://x/)\n\n[after](https://x/)\n"
    )


def test_an_image_without_src_keeps_its_alt_text():
    assert md('<p><img alt="a [lost] picture"> and text</p>') == "a \\[lost\\] picture and text\n"
    assert md('<p><a href="https://x/"><img alt="alt"></a></p>') == "[alt](https://x/)\n"


def test_an_http_link_to_an_image_shown_over_https_is_relinked_to_the_one_download():
    html = '<a href="http://h.bp.blogspot.com/-a/s0/a.png"><img src="https://h.bp.blogspot.com/-a/s0/a.png"></a>'
    amap = {"https://h.bp.blogspot.com/-a/s0/a.png": "/assets/img/p/a.png"}
    assert md(html, amap) == "[![](/assets/img/p/a.png)](/assets/img/p/a.png)\n"
    assert html_to_clean_html(html, amap) == '<a href="/assets/img/p/a.png"><img src="/assets/img/p/a.png"/></a>\n'


def test_caption_tables_keep_every_image_and_cell():
    html = (
        '<table class="tr-caption-container"><tr><td><img src="https://h/1.png"></td><td><img src="https://h/2.png">'
        '</td></tr><tr><td class="tr-caption">Both</td></tr><tr><td>after</td></tr></table>'
    )
    assert md(html) == "![](https://h/1.png)![](https://h/2.png)\n\n*Both*\n\nafter\n"
    assert plain_text(html) == "after"  # the excerpt still skips captions


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("text<center>centered</center>after", "text\n\ncentered\n\nafter\n"),
        ("a<address>addr</address>b<header>head</header>c<footer>foot</footer>d", "a\n\naddr\n\nb\n\nhead\n\nc\n\nfoot\n\nd\n"),
        ("<fieldset><legend>Legend</legend>field text</fieldset>", "Legend\n\nfield text\n"),
        ("<ul><li>a<ul><li>b</li></ul>c</li></ul>", "- a\n  - b\n\n  c\n"),  # not "- bc"
        ("<p>ruby <ruby>漢<rt>kan</rt></ruby> end</p>", "ruby 漢(kan) end\n"),
        ("<select><option>one</option><option>two</option></select>", "one two\n"),
        ("<p><em>a</em><em>b</em> <b>c</b><strong>d</strong></p>", "*ab* **cd**\n"),  # "*a**b*" shows its stars
        ("<p>&gt;&gt; not a quote</p>", "\\>> not a quote\n"),
    ],
)
def test_words_of_unknown_blocks_and_odd_inline_markup_stay_apart(html, expected):
    assert md(html) == expected


@pytest.mark.parametrize(
    ("html", "words"),
    [
        ('<p>a <a name="more">b <a name="more"></a> c</a> d</p>', "abcd"),  # lxml nests them
        ('<ul><li>x<a name="more">y<!--more-->z</a></li></ul>', "xyz"),
        ('<table><tr><td><a name="more"><a name="more"><a name="more"></a></a></a>w</td></tr></table>', "w"),
    ],
)
def test_an_excerpt_break_inside_a_removed_break_is_not_an_error(html, words):
    """A break inside another (nested ``<a name="more">``, or ``<!--more-->`` inside one) went with the outer
    break and then failed the post ("Element has no parent"), and an anchor's own words went with it."""
    out = md(html)
    assert "<!--more-->" in out, out
    assert re.findall(r"[a-z]", out.replace("<!--more-->", " ")) == list(words), out


def test_words_inside_the_more_anchor_are_kept():
    assert md('<p>a <a name="more">b</a> c</p>').split() == ["a", "<!--more-->", "b", "c"]


@pytest.mark.parametrize(
    ("html", "closing"),
    [
        ('<table><tr><td>a<a name="more"></a>b</td></tr><tr><td>c</td></tr></table>', "</table>"),
        ("<ul><li>a<!--more--></li><li>b</li></ul>", "</ul>"),
        ('<h2>Head<a name="more"></a>ing</h2>', "</h2>"),
        ('<p><a href="https://x/">link <!--more--> text</a></p>', "</a>"),
    ],
)
def test_the_excerpt_break_never_cuts_a_table_list_heading_or_link(html, closing):
    out = md(html)
    assert not out.split("<!--more-->")[1].strip(), out  # it moved after the whole construct
    kept = html_to_clean_html(html)
    assert kept.index("<!--more-->") > kept.index(closing), kept
