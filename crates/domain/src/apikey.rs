//! API keys: named, per-tenant credentials for integrations, scoped to a subset of
//! permissions and acting for the user who owns them.
//!
//! A key is `nxk_live_` followed by 43 characters of base64url (32 random bytes). The
//! prefix makes a leaked key recognisable to secret scanners and lets the server tell
//! a key from a session token without a lookup. Only the SHA-256 of the whole key is
//! stored: 256 random bits need no slow hash, and a database leak then yields nothing
//! that authenticates. The first 12 characters after the prefix are kept in clear as
//! the key's `hint`, so an admin can tell keys apart.

use crate::access::Permission;
use crate::validation::{FieldError, FieldErrors};
use crate::{UserId, define_id};
use std::collections::BTreeSet;
use time::OffsetDateTime;

define_id!(
    /// Identifies an API key.
    ApiKeyId
);

/// What every key starts with.
pub const KEY_PREFIX: &str = "nxk_live_";
/// Characters after the prefix.
const SECRET_LEN: usize = 43;
/// Characters of the secret shown as the key's hint.
const HINT_LEN: usize = 12;
/// The longest overlap a rotation may give the old key.
pub const MAX_OVERLAP: time::Duration = time::Duration::days(7);
/// The longest a key name may be.
const MAX_NAME: usize = 100;

/// A presented key, checked for shape (not yet for existence).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret(String);

impl std::fmt::Debug for ApiKeySecret {
    // Never print the secret, even in a debug log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeySecret({}…)", self.hint())
    }
}

impl ApiKeySecret {
    /// Whether `raw` looks like a key at all (it has the prefix): the server then
    /// treats it as one and never as a session token.
    pub fn is_key(raw: &str) -> bool {
        raw.starts_with(KEY_PREFIX)
    }

    /// Parses a presented key.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let secret = raw
            .strip_prefix(KEY_PREFIX)
            .ok_or_else(|| crate::validation::invalid("invalid", "not an API key"))?;
        if secret.len() != SECRET_LEN
            || !secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(crate::validation::invalid(
                "invalid",
                "an API key is nxk_live_ and 43 characters of base64url",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// A new key from 32 random bytes.
    pub fn from_random(bytes: [u8; 32]) -> Self {
        use base64::Engine;
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        Self(format!("{KEY_PREFIX}{body}"))
    }

    /// The whole key, to show once to its creator.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What is stored to find the key again.
    pub fn hash(&self) -> String {
        crate::session::hash_token(&self.0)
    }

    /// The same hash as bytes (see [`crate::session::token_digest`]).
    pub fn digest(&self) -> [u8; 32] {
        crate::session::token_digest(&self.0)
    }

    /// The prefix and the secret's first characters, safe to show and to log.
    pub fn hint(&self) -> String {
        self.0.chars().take(KEY_PREFIX.len() + HINT_LEN).collect()
    }
}

/// A stored key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApiKey {
    /// Identity.
    pub id: ApiKeyId,
    /// What the admin called it.
    pub name: String,
    /// The user it acts for: its permissions are its scopes, as far as that user
    /// still holds them.
    pub owner: UserId,
    /// The permissions it may use.
    pub scopes: BTreeSet<Permission>,
    /// SHA-256 of the key, hex.
    pub hash: String,
    /// The key's first characters (see [`ApiKeySecret::hint`]).
    pub hint: String,
    /// Made.
    pub created_at: OffsetDateTime,
    /// When it stops working, if ever (a rotation sets it on the old key).
    pub expires_at: Option<OffsetDateTime>,
    /// When it was revoked.
    pub revoked_at: Option<OffsetDateTime>,
    /// Last successful use (recorded at most once a minute).
    pub last_used_at: Option<OffsetDateTime>,
    /// The client address of that use.
    pub last_used_ip: Option<String>,
    /// The key this one replaced, if it came from a rotation.
    pub rotated_from: Option<ApiKeyId>,
}

impl ApiKey {
    /// Whether the key authenticates at `now`.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now < e)
    }

    /// `active`, `expired` or `revoked`.
    pub fn status(&self, now: OffsetDateTime) -> &'static str {
        match (self.revoked_at, self.is_live(now)) {
            (Some(_), _) => "revoked",
            (None, true) => "active",
            (None, false) => "expired",
        }
    }
}

/// A request to create a key, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    /// Its name.
    pub name: String,
    /// Its scopes (at least one).
    pub scopes: BTreeSet<Permission>,
    /// Optional end.
    pub expires_at: Option<OffsetDateTime>,
}

impl NewApiKey {
    /// Parses a name, scope names and an optional expiry, reporting every bad field.
    pub fn parse(
        name: &str,
        scopes: &[String],
        expires_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control)
        {
            errors.push(
                "name",
                "invalid",
                format!("a name of 1 to {MAX_NAME} printable characters"),
            );
        }
        let mut parsed = BTreeSet::new();
        for s in scopes {
            match Permission::parse(s) {
                Ok(Permission::PlatformOperate) => errors.push(
                    "scopes",
                    "not_allowed",
                    "platform:operate cannot be given to an API key",
                ),
                Ok(p) => {
                    parsed.insert(p);
                }
                Err(e) => errors.push("scopes", e.code, e.message),
            }
        }
        if scopes.is_empty() {
            errors.push("scopes", "required", "give the key at least one scope");
        }
        if expires_at.is_some_and(|e| e <= now) {
            errors.push(
                "expires_at",
                "in_the_past",
                "the expiry must be in the future",
            );
        }
        if errors.is_empty() {
            Ok(Self {
                name: name.to_owned(),
                scopes: parsed,
                expires_at,
            })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap()
    }

    #[test]
    fn a_random_key_parses_and_hides_its_secret() {
        let key = ApiKeySecret::from_random([7; 32]);
        assert!(ApiKeySecret::is_key(key.expose()));
        assert_eq!(key.expose().len(), KEY_PREFIX.len() + SECRET_LEN);
        assert_eq!(ApiKeySecret::parse(key.expose()).unwrap(), key);
        assert_eq!(key.hint().len(), KEY_PREFIX.len() + HINT_LEN);
        assert!(!format!("{key:?}").contains(key.expose()));
        assert_eq!(key.hash().len(), 64);
        assert_ne!(key.hash(), ApiKeySecret::from_random([8; 32]).hash());
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in [
            "",
            "nxk_live_",
            "nxk_test_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
            "nxk_live_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
            "nxk_live_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB!",
            "session-token",
        ] {
            assert!(ApiKeySecret::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn new_keys_report_every_bad_field() {
        let errors = NewApiKey::parse(
            " ",
            &[
                "course:read".into(),
                "nope".into(),
                "platform:operate".into(),
            ],
            Some(now()),
            now(),
        )
        .unwrap_err();
        let fields: Vec<_> = errors
            .as_slice()
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("name", "invalid"),
                ("scopes", "unknown_value"),
                ("scopes", "not_allowed"),
                ("expires_at", "in_the_past")
            ]
        );
        assert!(NewApiKey::parse("ok", &[], None, now()).is_err());
        let ok = NewApiKey::parse(" CI export ", &["course:read".into()], None, now()).unwrap();
        assert_eq!(ok.name, "CI export");
        assert_eq!(ok.scopes, [Permission::CourseRead].into());
    }

    #[test]
    fn status_follows_revocation_and_expiry() {
        let key = ApiKey {
            id: ApiKeyId::from_uuid(uuid::Uuid::nil()),
            name: "k".into(),
            owner: UserId::from_uuid(uuid::Uuid::nil()),
            scopes: BTreeSet::new(),
            hash: String::new(),
            hint: String::new(),
            created_at: now(),
            expires_at: Some(now() + time::Duration::hours(1)),
            revoked_at: None,
            last_used_at: None,
            last_used_ip: None,
            rotated_from: None,
        };
        assert_eq!(key.status(now()), "active");
        assert_eq!(key.status(now() + time::Duration::hours(1)), "expired");
        let revoked = ApiKey {
            revoked_at: Some(now()),
            ..key
        };
        assert_eq!(revoked.status(now()), "revoked");
        assert!(!revoked.is_live(now()));
    }
}
