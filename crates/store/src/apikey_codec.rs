//! How an API key's scopes are stored: permission names separated by spaces (the
//! OAuth `scope` convention), the same on both backends.

use nexus_domain::access::Permission;
use std::collections::BTreeSet;

/// The stored form of `scopes`.
pub fn scopes_text(scopes: &BTreeSet<Permission>) -> String {
    scopes
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parses the stored form; an unknown name is a decoding error (the column is only
/// written by [`scopes_text`]).
pub fn scopes_from(text: &str) -> Result<BTreeSet<Permission>, String> {
    text.split_whitespace()
        .map(|s| Permission::parse(s).map_err(|e| e.message))
        .collect()
}
