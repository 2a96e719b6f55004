//! Server-side sessions and login throttling.
//!
//! A session is identified to the client by an opaque random token; only its SHA-256 is
//! stored, so a database leak yields no usable tokens. The same holds for the per-session
//! CSRF token. A session ends on logout or revocation, after `idle_timeout` without use,
//! or at `expires_at` whatever its use.

use crate::{TenantId, UserId, define_id};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::Duration;
use time::OffsetDateTime;

define_id!(
    /// Identifies a session (safe to show: it is not the token).
    SessionId
);

/// SHA-256 (hex) of a secret token, as stored.
pub fn hash_token(raw: &str) -> String {
    hex_digest(&token_digest(raw))
}

/// SHA-256 of a secret token, as bytes: a lookup key that needs no hex.
pub fn token_digest(raw: &str) -> [u8; 32] {
    Sha256::digest(raw.as_bytes()).into()
}

/// A digest in lower-case hex, as [`hash_token`] stores it.
pub fn hex_digest(digest: &[u8; 32]) -> String {
    // Digit by digit into one allocation (`hex::encode` collects chars one by one):
    // this runs on every authenticated request.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push(char::from(DIGITS[usize::from(b >> 4)]));
        hex.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    hex
}

/// A new session to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// Identity.
    pub id: SessionId,
    /// Whose.
    pub user: UserId,
    /// Hash of the bearer token.
    pub token_hash: String,
    /// Hash of the CSRF token.
    pub csrf_hash: String,
    /// Login time.
    pub created_at: OffsetDateTime,
    /// Absolute end.
    pub expires_at: OffsetDateTime,
    /// Ends after this long without use.
    pub idle_timeout: Duration,
    /// Client address at login.
    pub ip: Option<String>,
    /// Client software at login.
    pub user_agent: Option<String>,
    /// Where the session stands with its second factor.
    pub mfa_state: crate::mfa::MfaState,
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Identity.
    pub id: SessionId,
    /// Tenant.
    pub tenant: TenantId,
    /// Whose.
    pub user: UserId,
    /// Hash of the CSRF token.
    pub csrf_hash: String,
    /// Login time.
    pub created_at: OffsetDateTime,
    /// Last use (updated at most once a minute).
    pub last_seen_at: OffsetDateTime,
    /// Absolute end.
    pub expires_at: OffsetDateTime,
    /// Idle timeout in seconds.
    pub idle_timeout_secs: u32,
    /// Client address at login.
    pub ip: Option<String>,
    /// Client software at login.
    pub user_agent: Option<String>,
    /// When it was revoked (logout counts).
    pub revoked_at: Option<OffsetDateTime>,
    /// Where the session stands with its second factor.
    pub mfa_state: crate::mfa::MfaState,
}

impl Session {
    /// Whether the session may be used at `now`.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none()
            && now < self.expires_at
            && now < self.last_seen_at + time::Duration::seconds(i64::from(self.idle_timeout_secs))
    }
}

/// A brute-force threshold: `threshold` failures within `window` lock for `lock_for`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRule {
    /// Counting window.
    pub window: Duration,
    /// Failures that trigger the lock.
    pub threshold: u32,
    /// Lock length.
    pub lock_for: Duration,
}

/// A throttle counter's state after an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleState {
    /// Failures in the current window.
    pub failures: u32,
    /// Locked until this instant, if locked.
    pub locked_until: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Clock, ManualClock};

    #[test]
    fn liveness_honours_revocation_idle_and_absolute_limits() {
        let c = ManualClock::at_unix(1_780_000_000);
        let s = Session {
            id: SessionId::generate(&c),
            tenant: TenantId::generate(&c),
            user: UserId::generate(&c),
            csrf_hash: hash_token("csrf"),
            created_at: c.now(),
            last_seen_at: c.now(),
            expires_at: c.now() + time::Duration::hours(12),
            idle_timeout_secs: 1800,
            ip: None,
            user_agent: None,
            revoked_at: None,
            mfa_state: crate::mfa::MfaState::None,
        };
        assert!(s.is_live(c.now() + time::Duration::minutes(29)));
        assert!(!s.is_live(c.now() + time::Duration::minutes(30)), "idle");
        let mut used = s.clone();
        used.last_seen_at = c.now() + time::Duration::hours(11) + time::Duration::minutes(50);
        assert!(
            !used.is_live(c.now() + time::Duration::hours(12)),
            "absolute, however recently used"
        );
        let mut revoked = s;
        revoked.revoked_at = Some(c.now());
        assert!(!revoked.is_live(c.now()));
        // FIPS 180-2's test vector, in lower-case hex.
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(hash_token("abc"), hash_token("abd"));
    }
}
