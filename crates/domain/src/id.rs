//! Typed identifiers.
//!
//! Every entity ID is its own newtype so that passing a `UserId` where a `TenantId` is
//! expected fails to compile. IDs are UUIDv7, minted from the injected [`Clock`] so that
//! they sort by creation time and tests can pin them.

use crate::Clock;

/// Defines a UUID newtype with parsing, display and serde support.
#[macro_export]
macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// Mints a new time-ordered ID from the clock.
            pub fn generate(clock: &dyn $crate::Clock) -> Self {
                Self($crate::id::uuid_v7(clock))
            }
            /// Wraps an existing UUID (from storage or a parsed path segment).
            pub const fn from_uuid(id: uuid::Uuid) -> Self {
                Self(id)
            }
            /// The underlying UUID.
            pub const fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map(Self)
            }
        }
    };
}

/// A UUIDv7 whose timestamp comes from `clock`, with random low bits.
pub fn uuid_v7(clock: &dyn Clock) -> uuid::Uuid {
    let now = clock.now();
    let secs = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, secs, now.nanosecond());
    uuid::Uuid::new_v7(ts)
}

define_id!(
    /// Identifies a tenant (a school, bank or employer). Every store call takes one.
    TenantId
);
define_id!(
    /// Identifies a user account within one tenant.
    UserId
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;

    #[test]
    fn ids_round_trip_and_sort_by_clock() {
        let clock = ManualClock::at_unix(1_700_000_000);
        let a = TenantId::generate(&clock);
        clock.advance(time::Duration::seconds(1));
        let b = TenantId::generate(&clock);
        assert!(a < b, "v7 ids minted later sort later");
        let parsed: TenantId = a.to_string().parse().unwrap();
        assert_eq!(parsed, a);
        assert!("not-a-uuid".parse::<TenantId>().is_err());
    }
}
