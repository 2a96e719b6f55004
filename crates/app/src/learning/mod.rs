//! Learning use cases: the course catalogue and its authoring workflow; enrolment,
//! cohorts and progress.
//!
//! Instructors (`course:write`) author; everyone in the tenant with `course:read` reads
//! the catalogue, where learners see only published courses and a draft is as good as
//! absent (404). Learners enrol themselves where a course allows it; instructors and
//! admins (`enrolment:write`) assign learners and run cohorts. Every privileged change
//! commits with its audit record.
//! Whole courses move as packages ([`package`]: export, import) and through the
//! platform [`library`].

pub mod achievements;
pub mod attempts;
pub mod banks;
pub mod cohorts;
pub mod courses;
mod decoded;
pub mod enrolment;
pub mod library;
pub mod outline;
pub mod package;
pub mod prerequisites;
pub mod progress;
pub mod publish;
pub mod rewards;

/// The clock's time cut to whole microseconds, which is what PostgreSQL keeps: a record
/// returned when written then equals the same record read back.
pub(crate) fn stored_now(clock: &dyn nexus_domain::Clock) -> time::OffsetDateTime {
    to_micros(clock.now())
}

/// `t` cut to whole microseconds (see [`stored_now`]).
pub(crate) fn to_micros(t: time::OffsetDateTime) -> time::OffsetDateTime {
    t.replace_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

/// Maps a store error where `NotFound` means `resource` is missing.
pub(crate) fn store_err(
    resource: &'static str,
) -> impl Fn(nexus_store::StoreError) -> crate::AppError {
    move |e| crate::AppError::from_store(resource, e)
}
