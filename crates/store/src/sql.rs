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

/// `prefix%` for `LIKE … ESCAPE '\'`, with the prefix's own wildcards escaped. Case
/// folding is the backend's (SQLite folds ASCII), so use it on lower-case keys.
pub fn prefix_pattern(prefix: &str) -> String {
    let escaped = prefix
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("{escaped}%")
}

/// A filter that matches exactly, or, when it ends in `.`, as a prefix (a family such as
/// `auth.`). Returns `(exact, escaped LIKE pattern)`; at most one is set.
pub fn exact_or_prefix(filter: Option<&str>) -> (Option<String>, Option<String>) {
    match filter {
        Some(f) if f.ends_with('.') => {
            let escaped = f
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            (None, Some(format!("{escaped}%")))
        }
        Some(f) => (Some(f.to_owned()), None),
        None => (None, None),
    }
}
