//! Reordering: a new order must be a permutation of the current items.
//!
//! Clients send the full new order rather than "move X after Y", so a retried or
//! concurrent request cannot leave gaps or duplicates: anything but an exact permutation
//! of what is stored is refused, naming what is missing or unknown.

use crate::validation::{FieldError, invalid};
use std::collections::BTreeSet;
use std::fmt::Display;

/// Checks that `proposed` holds exactly the items of `current`, each once, and returns
/// it as the new order.
pub fn reorder<T: Ord + Copy + Display>(
    current: &[T],
    proposed: &[T],
) -> Result<Vec<T>, FieldError> {
    let have: BTreeSet<T> = current.iter().copied().collect();
    let mut seen = BTreeSet::new();
    for id in proposed {
        if !have.contains(id) {
            return Err(invalid("unknown_item", format!("{id} is not in this list")));
        }
        if !seen.insert(*id) {
            return Err(invalid("duplicate_item", format!("{id} appears twice")));
        }
    }
    if let Some(missing) = have.difference(&seen).next() {
        return Err(invalid(
            "missing_item",
            format!("{missing} is missing; send every item in its new place"),
        ));
    }
    Ok(proposed.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_permutations_are_accepted() {
        let current = [1, 2, 3];
        assert_eq!(reorder(&current, &[3, 1, 2]).unwrap(), vec![3, 1, 2]);
        assert_eq!(reorder(&current, &[3, 1]).unwrap_err().code, "missing_item");
        assert_eq!(
            reorder(&current, &[3, 1, 1]).unwrap_err().code,
            "duplicate_item"
        );
        assert_eq!(
            reorder(&current, &[3, 1, 2, 4]).unwrap_err().code,
            "unknown_item"
        );
        assert_eq!(reorder::<u8>(&[], &[]).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn every_permutation_of_a_small_list_is_accepted_and_kept() {
        let current = [10, 20, 30, 40];
        let mut count = 0;
        for a in current {
            for b in current {
                for c in current {
                    for d in current {
                        let p = [a, b, c, d];
                        let distinct = p.iter().collect::<BTreeSet<_>>().len() == 4;
                        assert_eq!(reorder(&current, &p).is_ok(), distinct, "{p:?}");
                        count += usize::from(distinct);
                    }
                }
            }
        }
        assert_eq!(count, 24);
    }
}
