//! Course prerequisites form a directed graph that must stay acyclic: a course cannot
//! (directly or through others) require itself, or nobody could ever start it.

use super::course::CourseId;
use std::collections::{BTreeMap, BTreeSet};

/// The most prerequisites one course may have: more would be a curriculum, not a
/// course's entry requirements, and each is checked on every self-enrolment.
pub const MAX_PREREQUISITES: usize = 20;

/// Checks that giving `course` the prerequisites `proposed`, on top of the `existing`
/// edges (course → its prerequisites), leaves no cycle. On a cycle, returns it as a path
/// that starts and ends at `course`.
pub fn check_acyclic(
    existing: &BTreeMap<CourseId, BTreeSet<CourseId>>,
    course: CourseId,
    proposed: &BTreeSet<CourseId>,
) -> Result<(), Vec<CourseId>> {
    // A cycle through the new edges must lead from a proposed prerequisite back to
    // `course`; search from each, following existing edges (course's own are replaced).
    for start in proposed {
        let mut stack = vec![(*start, vec![course, *start])];
        let mut visited = BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            if at == course {
                return Err(path);
            }
            if !visited.insert(at) {
                continue;
            }
            if let Some(next) = existing.get(&at) {
                for n in next {
                    let mut p = path.clone();
                    p.push(*n);
                    stack.push((*n, p));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<CourseId> {
        (0..n)
            .map(|i| CourseId::from_uuid(uuid::Uuid::from_u128(i as u128 + 1)))
            .collect()
    }

    #[test]
    fn cycles_are_found_with_their_path() {
        let c = ids(4);
        // c1 needs c0, c2 needs c1.
        let existing = BTreeMap::from([
            (c[1], BTreeSet::from([c[0]])),
            (c[2], BTreeSet::from([c[1]])),
        ]);
        assert!(check_acyclic(&existing, c[3], &BTreeSet::from([c[2], c[0]])).is_ok());
        assert_eq!(
            check_acyclic(&existing, c[0], &BTreeSet::from([c[2]])),
            Err(vec![c[0], c[2], c[1], c[0]])
        );
        assert_eq!(
            check_acyclic(&existing, c[0], &BTreeSet::from([c[0]])),
            Err(vec![c[0], c[0]]),
            "a course cannot require itself"
        );
    }

    #[test]
    fn replacing_a_course_s_own_edges_is_judged_on_the_new_ones() {
        let c = ids(3);
        // c0 currently needs c1; giving c1 the prerequisite c0 would close a loop, but
        // re-stating c0's own prerequisites never compares against its old edges.
        let existing = BTreeMap::from([(c[0], BTreeSet::from([c[1]]))]);
        assert!(check_acyclic(&existing, c[1], &BTreeSet::from([c[0]])).is_err());
        assert!(check_acyclic(&existing, c[0], &BTreeSet::from([c[2]])).is_ok());
    }
}
