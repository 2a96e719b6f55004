//! Helpers shared by the SQL backends.

/// `%term%` for a case-insensitive `LIKE … ESCAPE '\'`, with the term's own wildcards
/// escaped so a search for `50%` matches the literal text.
pub fn like_pattern(term: &str) -> String {
    let escaped = term
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}
