//! User accounts within a tenant.
//!
//! Invariants: an [`Email`] is trimmed, lowercased and shaped `local@domain`; a
//! [`Password`] is 12–128 characters and never printed; a stored account holds only a
//! [`PasswordHash`] (PHC string), never the password.

use crate::paging::{Order, PageRequest};
use crate::validation::{FieldError, invalid};
use crate::{TenantId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A normalised e-mail address; unique per tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Parses `local@domain` (domain with a dot), at most 254 bytes, lowercased.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().to_lowercase();
        let shaped = s.len() <= 254
            && s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            })
            && !s.chars().any(char::is_whitespace);
        if shaped {
            Ok(Self(s))
        } else {
            Err(invalid("format", "must be an e-mail address"))
        }
    }
    /// The address text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A clear-text password on its way to being hashed. Its `Debug` is redacted.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Parses a password of 12 to 128 characters (NIST 800-63B: length over rules).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let n = raw.chars().count();
        if n < 12 {
            return Err(invalid("too_short", "must be at least 12 characters"));
        }
        if n > 128 {
            return Err(invalid("too_long", "must be at most 128 characters"));
        }
        Ok(Self(raw.to_owned()))
    }
    /// The secret text; callers hash it immediately.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// A PHC-format password hash (argon2id).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string produced by the hasher or read from storage.
    pub fn from_phc(phc: String) -> Self {
        Self(phc)
    }
    /// The PHC string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash([redacted])")
    }
}

/// What a user may do inside their tenant (coarse; fine-grained RBAC comes with identity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = UserRole))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages the tenant: users, branding, courses.
    Admin,
    /// Authors courses and runs classes.
    Instructor,
    /// Takes courses and trades in the simulator.
    Learner,
}

impl Role {
    /// Stable storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Instructor => "instructor",
            Self::Learner => "learner",
        }
    }
    /// Parses the storage and wire name.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw {
            "admin" => Ok(Self::Admin),
            "instructor" => Ok(Self::Instructor),
            "learner" => Ok(Self::Learner),
            _ => Err(invalid(
                "unknown_value",
                "must be one of: admin, instructor, learner",
            )),
        }
    }
}

/// A user account as stored (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Identity.
    pub id: UserId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Login and contact address.
    pub email: Email,
    /// Name shown to classmates and instructors.
    pub display_name: String,
    /// Coarse role.
    pub role: Role,
    /// When the owner last proved they read `email` (`None`: not yet).
    pub email_verified_at: Option<OffsetDateTime>,
    /// When the account was created.
    pub created_at: OffsetDateTime,
}

/// A parsed request to create an account; the password is already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login address; unique per tenant.
    pub email: Email,
    /// Shown name.
    pub display_name: String,
    /// Coarse role.
    pub role: Role,
    /// argon2id hash of the password.
    pub password_hash: PasswordHash,
    /// Set when the address is already proven (e.g. the invitation link was mailed to it).
    pub email_verified_at: Option<OffsetDateTime>,
}

/// Filter, sort and window for listing users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    /// Only users with this role.
    pub role: Option<Role>,
    /// Case-insensitive substring of e-mail or display name.
    pub search: Option<String>,
    /// Sort direction over e-mail.
    pub order: Order,
    /// Window.
    pub page: PageRequest,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_passwords() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "ada",
            "ada@",
            "@x.com",
            "ada@localhost",
            "a b@x.com",
            "a@x.com.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        let p = Password::parse("correct horse battery").unwrap();
        assert_eq!(format!("{p:?}"), "Password([redacted])");
    }
}
