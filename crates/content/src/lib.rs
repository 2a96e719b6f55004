//! Lesson content: Markdown in, HTML that is safe to serve out.
//!
//! Authors write Markdown; learners get HTML. Everything an author writes, including
//! raw HTML inside the Markdown, goes through one allow-list sanitizer (ammonia, which
//! parses like a browser), so no lesson can carry script, event handlers, `javascript:`
//! URLs, frames, forms or styles into a learner's page, however it is encoded.
//!
//! The output is a [`SafeHtml`]; the only way to get one is [`render`], so code that
//! serves lesson HTML cannot skip the sanitizer by accident.

use std::collections::HashSet;

/// HTML produced by [`render`]: sanitized, safe to embed in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeHtml(String);

impl SafeHtml {
    /// The HTML text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The HTML text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Tags a lesson may use: text structure, emphasis, lists, tables, code, quotes, links
/// and images. Nothing interactive, embedded or styled (so table column alignment, which
/// the Markdown renderer expresses as a `style`, is dropped).
const TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Renders lesson Markdown to sanitized HTML.
pub fn render(markdown: &str) -> SafeHtml {
    use pulldown_cmark::{Options, Parser, html};
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    SafeHtml(sanitizer().clean(&raw).to_string())
}

fn sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::empty();
    b.add_tags(TAGS.iter().copied())
        .add_tag_attributes("a", ["href", "title"])
        .add_tag_attributes("img", ["src", "alt", "title"])
        .add_tag_attributes("ol", ["start"])
        // Only web and mail links; relative links stay (they point into the course).
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some("noopener noreferrer nofollow"))
        .strip_comments(true);
    b
}

#[cfg(test)]
mod tests;
