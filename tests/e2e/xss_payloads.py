"""The XSS corpus for the generation / pairwise widgets: model output is hostile input.

Each payload, once its placeholders are filled, either calls ``window.__xss(N)`` (or
``alert(N)``) when it executes, or makes the page fetch ``<leak>/N...`` from a loopback
server, so the end-to-end test (tests/e2e/test_generation_e2e.py) can tell that one ran
or leaked: a page hook, dialogs, the page's requests and the server's hit log.

Families: script tags, event handlers, ``javascript:`` / ``data:`` / ``vbscript:`` URLs
(mixed case, entity-encoded, tab / newline / NUL inside), SVG and MathML tricks,
iframes, objects, forms and autofocus, CSS (``style`` with ``url()``, ``@import``,
``<link>``), ``<meta refresh>`` and ``<base>``, markdown links and images, attribute
breakouts, nested tags and known mutation-XSS strings (DOMPurify bypasses of the past,
``<noscript><p title="</noscript><img ...>">``).

The corpus is JSON inside the raw string below so that the browser unit tests
(js/test/sanitize.test.ts) read exactly the same payloads from this file.
"""

from __future__ import annotations

import json

N = "__N__"  # replaced by the payload's number
LEAK = "__LEAK__"  # replaced by the leak server's base URL, e.g. http://127.0.0.1:PORT/leak

# JSON: a list of {"name", "kind": "html" | "md", "text"}.
_CORPUS = r"""
[
 {"name": "script tag", "kind": "html", "text": "<script>__xss(__N__)</script>"},
 {"name": "script tag, mixed case", "kind": "html", "text": "<ScRiPt>__xss(__N__)</sCrIpT>"},
 {"name": "script src", "kind": "html", "text": "<script src=\"__LEAK__/__N__.js\"></script>"},
 {"name": "img onerror", "kind": "html", "text": "<img src=x onerror=__xss(__N__)>"},
 {"name": "img onerror, mixed case", "kind": "html", "text": "<IMG SRC=x OnErRoR=__xss(__N__)>"},
 {"name": "img remote src", "kind": "html", "text": "<img src=\"__LEAK__/__N__.png\" alt=\"leak\">"},
 {"name": "img slash separators", "kind": "html", "text": "<img/src=\"x\"/onerror=__xss(__N__)>"},
 {"name": "img onerror, entity-encoded JS", "kind": "html", "text": "<img src=x onerror=\"&#95;&#95;xss(__N__)\">"},
 {"name": "img onerror alert dialog", "kind": "html", "text": "<img src=x onerror=alert(__N__)>"},
 {"name": "img eval(src) alert", "kind": "html", "text": "<img src=x:alert(alt) onerror=eval(src) alt=__N__>"},
 {"name": "img srcset", "kind": "html", "text": "<img srcset=\"__LEAK__/__N__.srcset 1x\" src=\"__LEAK__/__N__.srcset-src\">"},
 {"name": "picture source srcset", "kind": "html", "text": "<picture><source srcset=\"__LEAK__/__N__.pic\"><img src=\"__LEAK__/__N__.pic-img\"></picture>"},
 {"name": "svg onload", "kind": "html", "text": "<svg onload=__xss(__N__)>"},
 {"name": "svg slash onload", "kind": "html", "text": "<svg/onload=__xss(__N__)>"},
 {"name": "svg script", "kind": "html", "text": "<svg><script>__xss(__N__)</script></svg>"},
 {"name": "svg animate onbegin", "kind": "html", "text": "<svg><animate onbegin=__xss(__N__) attributeName=x dur=1s></animate></svg>"},
 {"name": "svg set onmouseover", "kind": "html", "text": "<svg><set attributeName=\"onmouseover\" to=\"__xss(__N__)\"/></svg>"},
 {"name": "svg xlink javascript link", "kind": "html", "text": "<svg><a xlink:href=\"javascript:__xss(__N__)\"><text x=\"20\" y=\"20\">click</text></a></svg>"},
 {"name": "svg image remote", "kind": "html", "text": "<svg><image href=\"__LEAK__/__N__.svgimg\" /></svg>"},
 {"name": "svg style @import", "kind": "html", "text": "<svg><style>@import url(__LEAK__/__N__.svgcss);</style></svg>"},
 {"name": "svg use data url", "kind": "html", "text": "<svg><use href=\"data:image/svg+xml,&lt;svg id=x xmlns=%22http://www.w3.org/2000/svg%22&gt;&lt;image href=%221%22 onerror=%22__xss(__N__)%22/&gt;&lt;/svg&gt;#x\"/></svg>"},
 {"name": "mathml href", "kind": "html", "text": "<math href=\"javascript:__xss(__N__)\"><mi>click</mi></math>"},
 {"name": "mathml maction", "kind": "html", "text": "<math><maction actiontype=\"statusline\" xlink:href=\"javascript:__xss(__N__)\">x</maction></math>"},
 {"name": "mXSS math/mtext/mglyph/style", "kind": "html", "text": "<math><mtext><table><mglyph><style><img src=x onerror=__xss(__N__)>"},
 {"name": "mXSS DOMPurify 2.0.17 (form/math)", "kind": "html", "text": "<form><math><mtext></form><form><mglyph><style></math><img src onerror=__xss(__N__)>"},
 {"name": "mXSS DOMPurify 2.2.2 (textarea in svg)", "kind": "html", "text": "<math><mi><mglyph><svg><mtext><textarea><path id=\"</textarea><img onerror=__xss(__N__) src=1>\"></textarea></mtext></svg></mglyph></mi></math>"},
 {"name": "mXSS svg/p/style", "kind": "html", "text": "<svg></p><style><a id=\"</style><img src=1 onerror=__xss(__N__)>\">"},
 {"name": "mXSS noscript title", "kind": "html", "text": "<noscript><p title=\"</noscript><img src=x onerror=__xss(__N__)>\">"},
 {"name": "noembed", "kind": "html", "text": "<noembed><img title=\"</noembed><img src=x onerror=__xss(__N__)>\"></noembed>"},
 {"name": "xmp", "kind": "html", "text": "<xmp><img src=x onerror=__xss(__N__)></xmp>"},
 {"name": "template", "kind": "html", "text": "<template><img src=x onerror=__xss(__N__)></template>"},
 {"name": "iframe javascript src", "kind": "html", "text": "<iframe src=\"javascript:__xss(__N__)\"></iframe>"},
 {"name": "iframe srcdoc", "kind": "html", "text": "<iframe srcdoc=\"<script>parent.__xss(__N__)</script>\"></iframe>"},
 {"name": "iframe remote", "kind": "html", "text": "<iframe src=\"__LEAK__/__N__.html\"></iframe>"},
 {"name": "iframe data url", "kind": "html", "text": "<iframe src=\"data:text/html,<script>parent.__xss(__N__)</script>\"></iframe>"},
 {"name": "frameset", "kind": "html", "text": "<frameset><frame src=\"__LEAK__/__N__.frame\"></frameset>"},
 {"name": "object data javascript", "kind": "html", "text": "<object data=\"javascript:__xss(__N__)\"></object>"},
 {"name": "object remote", "kind": "html", "text": "<object data=\"__LEAK__/__N__.obj\"></object>"},
 {"name": "embed remote", "kind": "html", "text": "<embed src=\"__LEAK__/__N__.swf\">"},
 {"name": "form action javascript + autofocus", "kind": "html", "text": "<form action=\"javascript:__xss(__N__)\"><input type=submit autofocus onfocus=__xss(__N__)></form>"},
 {"name": "button formaction", "kind": "html", "text": "<form id=f1></form><button form=f1 formaction=\"javascript:__xss(__N__)\">go</button>"},
 {"name": "input autofocus onfocus", "kind": "html", "text": "<input autofocus onfocus=__xss(__N__)>"},
 {"name": "input type image", "kind": "html", "text": "<input type=image src=\"__LEAK__/__N__.inputimg\">"},
 {"name": "select autofocus", "kind": "html", "text": "<select autofocus onfocus=__xss(__N__)><option>x</option></select>"},
 {"name": "textarea autofocus", "kind": "html", "text": "<textarea autofocus onfocus=__xss(__N__)>x</textarea>"},
 {"name": "keygen autofocus", "kind": "html", "text": "<keygen autofocus onfocus=__xss(__N__)>"},
 {"name": "isindex", "kind": "html", "text": "<isindex type=image src=1 onerror=__xss(__N__)>"},
 {"name": "body onload", "kind": "html", "text": "<body onload=__xss(__N__)>"},
 {"name": "body background", "kind": "html", "text": "<body background=\"__LEAK__/__N__.bodybg\">"},
 {"name": "details ontoggle", "kind": "html", "text": "<details open ontoggle=__xss(__N__)><summary>s</summary>x</details>"},
 {"name": "marquee onstart", "kind": "html", "text": "<marquee onstart=__xss(__N__)>x</marquee>"},
 {"name": "video source onerror", "kind": "html", "text": "<video><source onerror=__xss(__N__)></video>"},
 {"name": "video poster", "kind": "html", "text": "<video poster=\"__LEAK__/__N__.poster\"></video>"},
 {"name": "audio onerror", "kind": "html", "text": "<audio src=x onerror=__xss(__N__)></audio>"},
 {"name": "div hover handlers", "kind": "html", "text": "<div onmouseover=__xss(__N__) onclick=__xss(__N__) onmouseenter=__xss(__N__)>hover me __N__</div>"},
 {"name": "link stylesheet", "kind": "html", "text": "<link rel=stylesheet href=\"__LEAK__/__N__.css\">"},
 {"name": "link prefetch", "kind": "html", "text": "<link rel=prefetch href=\"__LEAK__/__N__.prefetch\">"},
 {"name": "style @import", "kind": "html", "text": "<style>@import '__LEAK__/__N__.import.css';</style>"},
 {"name": "style url()", "kind": "html", "text": "<style>body{background:url(__LEAK__/__N__.bg)}</style>"},
 {"name": "style attribute url()", "kind": "html", "text": "<div style=\"background-image:url(__LEAK__/__N__.div)\">styled</div>"},
 {"name": "style attribute url() quoted", "kind": "html", "text": "<p style=\"background:url('__LEAK__/__N__.p')\">styled</p>"},
 {"name": "style attribute expression()", "kind": "html", "text": "<div style=\"width:expression(__xss(__N__))\">ie</div>"},
 {"name": "table background", "kind": "html", "text": "<table><tr><td background=\"__LEAK__/__N__.td\">x</td></tr></table>"},
 {"name": "meta refresh javascript", "kind": "html", "text": "<meta http-equiv=\"refresh\" content=\"0;url=javascript:__xss(__N__)\">"},
 {"name": "meta refresh remote", "kind": "html", "text": "<meta http-equiv=\"refresh\" content=\"0;url=__LEAK__/__N__.meta\">"},
 {"name": "base href", "kind": "html", "text": "<base href=\"__LEAK__/__N__/\"><a href=\"relative\">rel</a>"},
 {"name": "a javascript", "kind": "html", "text": "<a href=\"javascript:__xss(__N__)\">click</a>"},
 {"name": "a javascript mixed case", "kind": "html", "text": "<a href=\"JaVaScRiPt:__xss(__N__)\">click</a>"},
 {"name": "a javascript leading spaces", "kind": "html", "text": "<a href=\"   javascript:__xss(__N__)\">click</a>"},
 {"name": "a javascript decimal entities", "kind": "html", "text": "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;__xss(__N__)\">click</a>"},
 {"name": "a javascript hex entities", "kind": "html", "text": "<a href=\"&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;__xss(__N__)\">click</a>"},
 {"name": "a javascript padded entities no semicolons", "kind": "html", "text": "<a href=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058__xss(__N__)\">click</a>"},
 {"name": "a javascript &colon;", "kind": "html", "text": "<a href=\"javascript&colon;__xss(__N__)\">click</a>"},
 {"name": "a javascript tab entity", "kind": "html", "text": "<a href=\"jav&#x09;ascript:__xss(__N__)\">click</a>"},
 {"name": "a javascript newline entity", "kind": "html", "text": "<a href=\"java&#10;script:__xss(__N__)\">click</a>"},
 {"name": "a javascript null byte", "kind": "html", "text": "<a href=\"java\u0000script:__xss(__N__)\">click</a>"},
 {"name": "a vbscript", "kind": "html", "text": "<a href=\"vbscript:__xss(__N__)\">click</a>"},
 {"name": "a data text/html", "kind": "html", "text": "<a href=\"data:text/html,%3Cscript%3E__xss(__N__)%3C/script%3E\">click</a>"},
 {"name": "a protocol-relative", "kind": "html", "text": "<a href=\"//127.0.0.1:1/__N__\">click</a>"},
 {"name": "a with onclick and ping", "kind": "html", "text": "<a href=\"https://example.com/__N__\" onclick=\"__xss(__N__)\" ping=\"__LEAK__/__N__.ping\">ok link</a>"},
 {"name": "attribute breakout", "kind": "html", "text": "\"><script>__xss(__N__)</script>"},
 {"name": "attribute breakout single quote", "kind": "html", "text": "'><img src=x onerror=__xss(__N__)>"},
 {"name": "unclosed img", "kind": "html", "text": "<img src=x onerror=__xss(__N__)//"},
 {"name": "nested script", "kind": "html", "text": "<scr<script>ipt>__xss(__N__)</scr</script>ipt>"},
 {"name": "double angle", "kind": "html", "text": "<<script>script>__xss(__N__)<</script>/script>"},
 {"name": "markdown link javascript", "kind": "md", "text": "[click](javascript:__xss(__N__))"},
 {"name": "markdown link JAVASCRIPT", "kind": "md", "text": "[click](JAVASCRIPT:__xss(__N__))"},
 {"name": "markdown link entity-encoded", "kind": "md", "text": "[click](&#106;avascript:__xss(__N__))"},
 {"name": "markdown link data url", "kind": "md", "text": "[click __N__](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"},
 {"name": "markdown image remote", "kind": "md", "text": "![leak](__LEAK__/__N__.md-img)"},
 {"name": "markdown image javascript", "kind": "md", "text": "![x](javascript:__xss(__N__))"},
 {"name": "markdown image in link", "kind": "md", "text": "[![x](__LEAK__/__N__.nested)](javascript:__xss(__N__))"},
 {"name": "markdown reference image", "kind": "md", "text": "![ref][r__N__]\n\n[r__N__]: __LEAK__/__N__.ref"},
 {"name": "markdown autolink javascript", "kind": "md", "text": "<javascript:__xss(__N__)>"},
 {"name": "markdown code block with html", "kind": "md", "text": "```html\n<img src=x onerror=__xss(__N__)>\n<script>__xss(__N__)</script>\n```"},
 {"name": "markdown inline html in list", "kind": "md", "text": "- item <img src=x onerror=__xss(__N__)>\n- [x] task <svg onload=__xss(__N__)>"},
 {"name": "markdown table with handlers", "kind": "md", "text": "| a | b |\n|---|---|\n| <img src=x onerror=__xss(__N__)> | <a href=\"javascript:__xss(__N__)\">x</a> |"},
 {"name": "markdown link title breakout", "kind": "md", "text": "[x](https://example.com \"title\\\" onmouseover=\\\"__xss(__N__)\")"}
]
"""

CORPUS: list[dict[str, str]] = json.loads(_CORPUS)


def payloads(leak_base: str, start: int = 1) -> list[tuple[int, str, str]]:
    """(number, name, text) for every payload, numbered from `start`, pointing at
    `leak_base` (no trailing slash)."""
    return [
        (n, p["name"], p["text"].replace(N, str(n)).replace(LEAK, leak_base.rstrip("/")))
        for n, p in enumerate(CORPUS, start)
    ]


assert len(CORPUS) >= 50, "the corpus needs at least 50 payloads"
assert all(N in p["text"] for p in CORPUS), "every payload must carry its number"
