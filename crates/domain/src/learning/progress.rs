//! A learner's progress through a course: lessons completed, time spent, the course
//! completion percentage and where to resume.
//!
//! Time is reported by the client ("I have spent N more seconds on this lesson"), which
//! a learner could inflate. [`credit_time`] bounds each report by the wall-clock time
//! since the previous one, so a tampered client can at most claim the time that really
//! passed.

use super::course::{CourseId, LessonId};
use crate::UserId;
use serde::Serialize;
use time::OffsetDateTime;

/// The most one report can add: a heartbeat-sized slice, so a first report (with nothing
/// earlier to measure against) cannot claim hours.
pub const MAX_REPORT_SECONDS: u32 = 900;

/// One learner's record for one lesson.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonProgress {
    /// The learner.
    pub user: UserId,
    /// The course the lesson belongs to.
    pub course: CourseId,
    /// The lesson.
    pub lesson: LessonId,
    /// Credited time on the lesson.
    pub seconds_spent: u32,
    /// First visit.
    pub first_seen_at: OffsetDateTime,
    /// Latest report.
    pub last_seen_at: OffsetDateTime,
    /// When it was first marked complete (never undone).
    pub completed_at: Option<OffsetDateTime>,
}

/// One report from the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visit {
    /// Seconds spent since the previous report.
    pub seconds: u32,
    /// The learner finished the lesson.
    pub completed: bool,
}

/// The seconds a report is credited with: at most [`MAX_REPORT_SECONDS`], and never
/// more than has passed since the previous report.
pub fn credit_time(reported: u32, last_seen: Option<OffsetDateTime>, now: OffsetDateTime) -> u32 {
    let capped = reported.min(MAX_REPORT_SECONDS);
    match last_seen {
        None => capped,
        Some(prev) => {
            let elapsed = u32::try_from((now - prev).whole_seconds().max(0)).unwrap_or(u32::MAX);
            capped.min(elapsed)
        }
    }
}

/// The record after a visit. Completion is sticky: reading a finished lesson again
/// adds time but never un-completes it.
pub fn apply_visit(
    existing: Option<LessonProgress>,
    key: (UserId, CourseId, LessonId),
    visit: Visit,
    now: OffsetDateTime,
) -> LessonProgress {
    let (user, course, lesson) = key;
    let prev = existing.as_ref().map(|p| p.last_seen_at);
    let mut p = existing.unwrap_or(LessonProgress {
        user,
        course,
        lesson,
        seconds_spent: 0,
        first_seen_at: now,
        last_seen_at: now,
        completed_at: None,
    });
    p.seconds_spent = p
        .seconds_spent
        .saturating_add(credit_time(visit.seconds, prev, now));
    p.last_seen_at = now;
    if visit.completed && p.completed_at.is_none() {
        p.completed_at = Some(now);
    }
    p
}

/// A learner's standing in one course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CourseProgress))]
pub struct CourseProgress {
    /// Lessons in the published course.
    pub lessons_total: u32,
    /// Of those, completed.
    pub lessons_completed: u32,
    /// Completed share, rounded down (100 only when every lesson is done).
    pub percent: u8,
    /// Credited time over the course's lessons.
    pub seconds_spent: u64,
    /// Where to carry on: `null` once every lesson is complete.
    pub resume: Option<LessonId>,
}

/// Summarises progress against the published lesson order. Records for lessons no
/// longer in the course (removed in a later version) do not count.
///
/// The resume point is the lesson seen last if it is unfinished; otherwise the first
/// unfinished lesson after it, wrapping round to the start of the course.
pub fn summarize(order: &[LessonId], records: &[LessonProgress]) -> CourseProgress {
    let find = |id: &LessonId| records.iter().find(|r| &r.lesson == id);
    let done = |id: &LessonId| find(id).is_some_and(|r| r.completed_at.is_some());
    let total = u32::try_from(order.len()).unwrap_or(u32::MAX);
    let completed = u32::try_from(order.iter().filter(|id| done(id)).count()).unwrap_or(0);
    let percent = if total == 0 {
        0
    } else {
        u8::try_from(u64::from(completed) * 100 / u64::from(total)).unwrap_or(100)
    };
    let seconds_spent = order
        .iter()
        .filter_map(find)
        .map(|r| u64::from(r.seconds_spent))
        .sum();
    let last_seen = order
        .iter()
        .enumerate()
        .filter_map(|(i, id)| find(id).map(|r| (r.last_seen_at, i)))
        .max()
        .map_or(0, |(_, i)| i);
    let resume = (0..order.len())
        .map(|k| &order[(last_seen + k) % order.len()])
        .find(|id| !done(id))
        .copied();
    CourseProgress {
        lessons_total: total,
        lessons_completed: completed,
        percent,
        seconds_spent,
        resume,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;

    fn ids(n: usize) -> Vec<LessonId> {
        let clock = ManualClock::at_unix(1_700_000_000);
        (0..n).map(|_| LessonId::generate(&clock)).collect()
    }

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_700_000_000 + secs).unwrap()
    }

    fn record(lesson: LessonId, seen: i64, done: bool) -> LessonProgress {
        let clock = ManualClock::at_unix(1);
        LessonProgress {
            user: UserId::generate(&clock),
            course: CourseId::generate(&clock),
            lesson,
            seconds_spent: 60,
            first_seen_at: at(0),
            last_seen_at: at(seen),
            completed_at: done.then(|| at(seen)),
        }
    }

    #[test]
    fn reported_time_is_bounded_by_real_time() {
        assert_eq!(credit_time(120, None, at(0)), 120);
        assert_eq!(credit_time(5_000, None, at(0)), MAX_REPORT_SECONDS);
        assert_eq!(
            credit_time(300, Some(at(0)), at(30)),
            30,
            "only 30 s passed"
        );
        assert_eq!(credit_time(300, Some(at(100)), at(0)), 0, "clock went back");
    }

    #[test]
    fn completion_is_sticky_and_time_accumulates() {
        let [l] = ids(1)[..] else { unreachable!() };
        let clock = ManualClock::at_unix(1);
        let key = (UserId::generate(&clock), CourseId::generate(&clock), l);
        let p = apply_visit(
            None,
            key,
            Visit {
                seconds: 0,
                completed: false,
            },
            at(0),
        );
        assert_eq!(p.seconds_spent, 0);
        let p = apply_visit(
            Some(p),
            key,
            Visit {
                seconds: 200,
                completed: true,
            },
            at(120),
        );
        assert_eq!(
            p.seconds_spent, 120,
            "bounded by the 120 s since the first visit"
        );
        assert_eq!(p.completed_at, Some(at(120)));
        let p = apply_visit(
            Some(p),
            key,
            Visit {
                seconds: 10,
                completed: false,
            },
            at(600),
        );
        assert_eq!(p.completed_at, Some(at(120)), "never un-completed");
        assert_eq!(p.seconds_spent, 130);
        assert_eq!(p.first_seen_at, at(0));
    }

    #[test]
    fn percent_and_resume_point_follow_the_published_order() {
        let l = ids(4);
        let none = summarize(&l, &[]);
        assert_eq!((none.percent, none.resume), (0, Some(l[0])));
        // Finished lesson 2 last: resume at the next unfinished one after it.
        let recs = [record(l[0], 10, true), record(l[2], 20, true)];
        let p = summarize(&l, &recs);
        assert_eq!((p.lessons_completed, p.percent), (2, 50));
        assert_eq!(p.resume, Some(l[3]));
        assert_eq!(p.seconds_spent, 120);
        // Lesson 3 seen last but unfinished: resume there.
        let recs = [record(l[0], 10, true), record(l[3], 30, false)];
        assert_eq!(summarize(&l, &recs).resume, Some(l[3]));
        // Everything after the last seen is done: wrap to the first gap.
        let recs = [record(l[2], 5, false), record(l[3], 30, true)];
        assert_eq!(summarize(&l, &recs).resume, Some(l[0]));
        let all: Vec<_> = l.iter().map(|id| record(*id, 1, true)).collect();
        let p = summarize(&l, &all);
        assert_eq!((p.percent, p.resume), (100, None));
        // A record for a lesson since removed counts for nothing.
        let stray = record(ids(1)[0], 99, true);
        assert_eq!(summarize(&l[..1], &[stray]).lessons_completed, 0);
        assert_eq!(summarize(&[], &[]).percent, 0);
    }

    #[test]
    fn percent_is_rounded_down_so_100_means_done() {
        let l = ids(3);
        let recs = [record(l[0], 1, true), record(l[1], 2, true)];
        assert_eq!(summarize(&l, &recs).percent, 66);
    }
}
