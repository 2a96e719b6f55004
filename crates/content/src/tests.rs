//! The sanitizer against a corpus of XSS payloads written the ways an author (or an
//! attacker with an author's account) could write them in Markdown.

use super::*;

/// Payloads: raw HTML, Markdown links and images, autolinks, encodings, and parser
/// confusion (mutation XSS). Each must come out inert.
const CORPUS: &[&str] = &[
    "<script>alert(1)</script>",
    "Hello <script src=https://evil.example/x.js></script> world",
    "<img src=x onerror=alert(1)>",
    "<img src=\"x\" onerror=\"alert(1)\">",
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">click</a>",
    "<a href=\"&#106;avascript:alert(1)\">click</a>",
    "<a href=\"&#x6A;avascript&#58;alert(1)\">click</a>",
    "<a href=\"java\tscript:alert(1)\">click</a>",
    "<a href=\" javascript:alert(1)\">click</a>",
    "<a href=\"vbscript:msgbox(1)\">click</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">click</a>",
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    "![img](javascript:alert(1))",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<javascript:alert(1)>",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\">ok</a>",
    "<p style=\"background:url(javascript:alert(1))\">styled</p>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<div style=\"width:expression(alert(1))\">x</div>",
    "<details open ontoggle=alert(1)>x</details>",
    "<form action=\"https://evil.example\"><input name=p type=password></form>",
    "<button formaction=javascript:alert(1)>x</button>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"https://evil.example/\">",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<!--<script>alert(1)</script>-->",
    "<template><script>alert(1)</script></template>",
    "<video><source onerror=alert(1)></video>",
    "<body onload=alert(1)>",
    "<table background=\"javascript:alert(1)\"><tr><td>x</td></tr></table>",
    "`<script>alert(1)</script>` and ```\n<script>alert(1)</script>\n```",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | <script>alert(1)</script> |",
    "> <a href=\"javascript:alert(1)\">quoted</a>",
    "- <svg/onload=alert(1)>\n- item",
    "<a href=\"https://ok.example\" target=\"_blank\">new tab</a>",
];

/// Text that must never appear inside a tag of sanitized output (lower-cased). The same
/// words may appear as visible text, which the sanitizer escapes and which cannot run.
const FORBIDDEN_IN_TAGS: &[&str] = &[
    "javascript:",
    "vbscript:",
    "data:",
    "onerror",
    "onload",
    "onclick",
    "ontoggle",
    "style",
    "srcdoc",
    "formaction",
    "target",
    "xlink",
];

/// Tags whose opening bracket must never survive unescaped anywhere.
const FORBIDDEN_TAGS: &[&str] = &[
    "<script",
    "<svg",
    "<math",
    "<iframe",
    "<object",
    "<embed",
    "<style",
    "<form",
    "<input",
    "<button",
    "<meta",
    "<base",
    "<link",
    "<noscript",
    "<template",
    "<video",
    "<source",
    "<body",
    "<details",
];

/// The markup (everything between `<` and `>`) of sanitized HTML, lower-cased.
fn markup(html: &str) -> Vec<String> {
    html.split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap_or_default().to_ascii_lowercase())
        .collect()
}

/// Every tag name and attribute name in `html` (as serialized by the sanitizer).
fn tags_and_attributes(html: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let close = rest.find('>').unwrap_or(rest.len());
        let inside = rest[..close].trim_start_matches('/');
        let name: String = inside
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        let mut attrs = Vec::new();
        let mut in_quotes = false;
        let mut current = String::new();
        for c in inside[name.len()..].chars() {
            match c {
                '"' => in_quotes = !in_quotes,
                '=' if !in_quotes => attrs.push(std::mem::take(&mut current).trim().to_owned()),
                c if !in_quotes && c.is_whitespace() => current.clear(),
                c if !in_quotes => current.push(c),
                _ => {}
            }
        }
        out.push((name.to_ascii_lowercase(), attrs));
        rest = &rest[close..];
    }
    out
}

#[test]
fn every_payload_in_the_corpus_comes_out_inert() {
    let allowed_attrs = ["href", "title", "src", "alt", "start", "rel"];
    for payload in CORPUS {
        let html = render(payload).into_string();
        let lower = html.to_ascii_lowercase();
        for bad in FORBIDDEN_TAGS {
            assert!(
                !lower.contains(bad),
                "{payload:?} rendered {html:?}, which contains {bad:?}"
            );
        }
        for tag in markup(&html) {
            for bad in FORBIDDEN_IN_TAGS {
                assert!(
                    !tag.contains(bad),
                    "{payload:?} rendered <{tag}>, which contains {bad:?}: {html:?}"
                );
            }
        }
        for (tag, attrs) in tags_and_attributes(&html) {
            assert!(
                TAGS.contains(&tag.as_str()),
                "{payload:?} rendered a <{tag}>: {html:?}"
            );
            for a in attrs {
                assert!(
                    allowed_attrs.contains(&a.as_str()),
                    "{payload:?} rendered attribute {a:?}: {html:?}"
                );
            }
        }
    }
}

#[test]
fn ordinary_lesson_markdown_keeps_its_structure() {
    let md = "# Budgeting\n\nSpend **less** than you *earn*.\n\n\
              1. Track\n2. Plan\n\n\
              | Need | Share |\n|:-----|------:|\n| Rent | 30% |\n\n\
              > Pay yourself first.\n\n\
              See [the FCA](https://www.fca.org.uk/ \"regulator\") or [next lesson](../lesson-2).\n\n\
              ![chart](https://cdn.example/chart.png)\n\n\
              ```\nlet rate = 0.05;\n```\n\n~~old~~ and `inline <b>code</b>`";
    let html = render(md).into_string();
    for expected in [
        "<h1>Budgeting</h1>",
        "<strong>less</strong>",
        "<em>earn</em>",
        "<ol>",
        "<table>",
        "<td>30%</td>",
        "<blockquote>",
        "<a href=\"https://www.fca.org.uk/\" title=\"regulator\" rel=\"noopener noreferrer nofollow\">the FCA</a>",
        "<a href=\"../lesson-2\" rel=\"noopener noreferrer nofollow\">next lesson</a>",
        "<img src=\"https://cdn.example/chart.png\" alt=\"chart\">",
        "<pre><code>let rate = 0.05;\n</code></pre>",
        "<del>old</del>",
        "<code>inline &lt;b&gt;code&lt;/b&gt;</code>",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in {html}");
    }
}

#[test]
fn code_shows_markup_as_text_instead_of_running_it() {
    let html = render("```html\n<script>alert(1)</script>\n```").into_string();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
}
