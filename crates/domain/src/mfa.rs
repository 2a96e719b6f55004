//! Second factors: TOTP (RFC 6238) and recovery codes.
//!
//! TOTP codes are 6 digits over 30-second steps (HMAC-SHA1, RFC 4226 truncation), and a
//! code is accepted for the current step ±1. The caller records the step it accepted and
//! never accepts that step (or an earlier one) again, so a code cannot be replayed.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};

/// Seconds per TOTP step.
pub const STEP_SECS: i64 = 30;

/// Where a session stands with its second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = MfaState))]
#[serde(rename_all = "snake_case")]
pub enum MfaState {
    /// No second factor needed for this user.
    None,
    /// Password accepted; the second factor is still owed.
    Pending,
    /// Policy requires a second factor the user has not enrolled yet.
    EnrollRequired,
    /// Both factors passed.
    Passed,
}

impl MfaState {
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Pending => "pending",
            Self::EnrollRequired => "enroll_required",
            Self::Passed => "passed",
        }
    }
    /// Parses the storage name.
    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::None,
            Self::Pending,
            Self::EnrollRequired,
            Self::Passed,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
    /// Whether the session may use the API beyond the MFA endpoints.
    pub fn is_complete(self) -> bool {
        matches!(self, Self::None | Self::Passed)
    }
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding (what authenticator apps expect).
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let v = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            out.push(B32[((v >> (35 - i * 5)) & 31) as usize] as char);
        }
    }
    out
}

/// Decodes base32 (case-insensitive, padding and spaces ignored).
pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut bits = 0u64;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|c| *c != b'=' && *c != b' ') {
        let v = B32.iter().position(|b| *b == c.to_ascii_uppercase())?;
        bits = (bits << 5) | v as u64;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push(((bits >> n) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The HOTP value (RFC 4226) of `counter`, as 6 digits.
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    let Ok(mut mac) = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(secret) else {
        return 0;
    };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = (h[19] & 0x0f) as usize;
    let bin = (u32::from(h[off]) & 0x7f) << 24
        | u32::from(h[off + 1]) << 16
        | u32::from(h[off + 2]) << 8
        | u32::from(h[off + 3]);
    bin % 1_000_000
}

/// The TOTP step of a Unix time.
pub fn step_at(unix: i64) -> i64 {
    unix.div_euclid(STEP_SECS)
}

/// The 6-digit code for a Unix time.
pub fn code_at(secret: &[u8], unix: i64) -> String {
    format!(
        "{:06}",
        hotp(secret, u64::try_from(step_at(unix)).unwrap_or(0))
    )
}

/// The step whose code `code` is, within ±1 step of `unix` and after `last_used`.
pub fn matching_step(secret: &[u8], code: &str, unix: i64, last_used: Option<i64>) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix);
    [now - 1, now, now + 1]
        .into_iter()
        .filter(|s| last_used.is_none_or(|l| *s > l))
        .find(|s| {
            let expected = format!("{:06}", hotp(secret, u64::try_from(*s).unwrap_or(0)));
            // Constant-time over the six digits.
            expected
                .bytes()
                .zip(code.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        })
}

/// The `otpauth://` URI an authenticator app scans.
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B (SHA1 seed), last six of the eight-digit values.
    #[test]
    fn rfc_6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(secret, t), code, "t={t}");
        }
    }

    #[test]
    fn codes_are_accepted_once_within_one_step() {
        let secret = b"12345678901234567890";
        let t = 1_234_567_890;
        let code = code_at(secret, t);
        let step = matching_step(secret, &code, t + 29, None).unwrap();
        assert_eq!(step, step_at(t));
        assert_eq!(
            matching_step(secret, &code, t, Some(step)),
            None,
            "replay refused"
        );
        assert!(
            matching_step(secret, &code, t + 31, None).is_some(),
            "previous step still accepted"
        );
        assert_eq!(matching_step(secret, &code, t + 95, None), None, "too old");
        assert_eq!(matching_step(secret, "12345", t, None), None);
        assert_eq!(matching_step(secret, "abcdef", t, None), None);
    }

    #[test]
    fn base32_round_trips() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("mzxw6ytboi").unwrap(), b"foobar");
        let bytes: Vec<u8> = (0..20).collect();
        assert_eq!(base32_decode(&base32_encode(&bytes)).unwrap(), bytes);
        assert!(base32_decode("not base32!").is_none());
        assert!(
            otpauth_uri("FinAI Nexus", "ada@x.example", "ABC").starts_with(
                "otpauth://totp/FinAI%20Nexus:ada%40x.example?secret=ABC&issuer=FinAI%20Nexus"
            )
        );
    }
}
