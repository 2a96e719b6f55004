//! Published versions, decoded, kept in this process.
//!
//! A published version is frozen, so a decoded copy keyed by `(tenant, course, version)`
//! can never be stale; which version is current comes from a small pointer entry in the
//! shared cache (see `CourseService::published`). Every lesson-progress report and quiz
//! used to fetch and parse the whole version (about 100 KB of JSON for the demo course)
//! from the cache, twice; the load harness showed that parsing, and Redis serving those
//! bytes, saturating the machine at 10,000 learners.

use super::publish::PublishedCourse;
use nexus_domain::TenantId;
use nexus_domain::learning::CourseId;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

type Key = (TenantId, CourseId, u32);

/// A bounded map of decoded versions; the oldest entry goes first when it is full.
pub(crate) struct DecodedCourses {
    inner: Mutex<Inner>,
    capacity: usize,
}

#[derive(Default)]
struct Inner {
    map: HashMap<Key, Arc<PublishedCourse>>,
    order: VecDeque<Key>,
}

impl DecodedCourses {
    /// Holds at most `capacity` versions (each is as large as its course's text).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            capacity: capacity.max(1),
        }
    }

    pub(crate) fn get(&self, key: Key) -> Option<Arc<PublishedCourse>> {
        self.lock().map.get(&key).cloned()
    }

    pub(crate) fn put(&self, key: Key, course: Arc<PublishedCourse>) {
        let mut inner = self.lock();
        if inner.map.insert(key, course).is_none() {
            inner.order.push_back(key);
        }
        while inner.order.len() > self.capacity {
            if let Some(old) = inner.order.pop_front() {
                inner.map.remove(&old);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the map consistent (each step is one
        // insert or remove), so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nexus_domain::ManualClock;
    use nexus_domain::learning::Level;

    fn course(id: CourseId, version: u32) -> Arc<PublishedCourse> {
        Arc::new(PublishedCourse {
            course: id,
            version,
            title: format!("v{version}"),
            summary: String::new(),
            level: Level::Beginner,
            estimated_minutes: 1,
            modules: Vec::new(),
        })
    }

    #[test]
    fn versions_are_kept_apart_and_the_oldest_goes_first() {
        let clock = ManualClock::new(time::OffsetDateTime::UNIX_EPOCH);
        let (t, c) = (TenantId::generate(&clock), CourseId::generate(&clock));
        let cache = DecodedCourses::new(2);
        cache.put((t, c, 1), course(c, 1));
        cache.put((t, c, 2), course(c, 2));
        assert_eq!(cache.get((t, c, 1)).unwrap().title, "v1");
        assert_eq!(cache.get((t, c, 2)).unwrap().title, "v2");
        cache.put((t, c, 3), course(c, 3));
        assert!(cache.get((t, c, 1)).is_none(), "evicted: the oldest");
        assert_eq!(cache.get((t, c, 3)).unwrap().version, 3);
        assert!(cache.get((TenantId::generate(&clock), c, 3)).is_none());
    }
}
