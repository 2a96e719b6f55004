//! Verifying a payment processor's signed webhooks: HMAC-SHA256 over
//! `"<timestamp>.<body>"`, sent as `t=<unix seconds>,v1=<hex>` (the scheme Stripe and
//! others use). The built-in manual provider receives no webhooks; this is here so a
//! card processor's adapter only has to name its header and secret.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is not `t=…,v1=…`.
    #[error("malformed signature header")]
    Malformed,
    /// Older or newer than the tolerance allows (a replay, or a skewed clock).
    #[error("signature timestamp outside the tolerance")]
    Stale,
    /// No `v1` matched.
    #[error("signature does not match")]
    Mismatch,
}

/// The `v1` signature of `body` at `timestamp`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length; an error here would only ever fail to match.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks `header` (`t=<unix>,v1=<hex>[,v1=<hex>…]`) against `body` at `now`, allowing
/// `tolerance_secs` of age either way. Any one `v1` may match (secrets rotate). Within
/// the tolerance a captured message can be replayed: adapters must also de-duplicate
/// by the processor's event ID.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => candidates.push(v),
            Some(_) => {}
            None => return Err(SignatureError::Malformed),
        }
    }
    let (Some(t), false) = (timestamp, candidates.is_empty()) else {
        return Err(SignatureError::Malformed);
    };
    if secret.is_empty() {
        // Anyone could compute a signature under an empty key.
        return Err(SignatureError::Mismatch);
    }
    if now.abs_diff(t) > tolerance_secs.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    // Decode each candidate and let the MAC compare in constant time (hex case and
    // length no longer matter to the comparison).
    let matches = candidates.iter().any(|c| {
        let (Ok(sig), Ok(mut mac)) = (
            hex::decode(c),
            <Hmac<Sha256> as KeyInit>::new_from_slice(secret),
        ) else {
            return false;
        };
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&sig).is_ok()
    });
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}
