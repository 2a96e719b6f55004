//! API-key cache entries decoded by this process (see [`DecodedKeys`]).

use super::KeyAuthenticated;
use std::sync::Arc;

/// Cache entries decoded by this process, by key digest (the stored hash as bytes), with
/// the bytes they came from.
/// A hit whose bytes equal the last ones decoded skips JSON decoding (the gateway
/// benchmark profiled it at about 5 % of a key-authenticated request's CPU). A shared
/// cache stays the source of truth: revocation deletes the entry there, and a miss
/// there is a miss here. A process-local cache is changed only by this process, which
/// updates or drops the copy with the entry, so there the copy is used unread
/// ([`Self::fresh`]). Entries hold the owner's ID and last address, so they live no
/// longer than the shared entry's freshness ([`super::CACHE_TTL`]): stale ones are swept at
/// the next use of the map, and a revoked or rotated key's entry is dropped at once.
#[derive(Default)]
pub(crate) struct DecodedKeys {
    map: std::sync::Mutex<Decoded>,
}

#[derive(Default)]
struct Decoded {
    /// Foldhash, not SipHash: only keys that authenticated are ever inserted, so the
    /// keys cannot be chosen to collide; a lookup costs one fast hash of 32 bytes.
    by_hash: foldhash::HashMap<[u8; 32], (Vec<u8>, Arc<KeyAuthenticated>)>,
    swept_at: Option<time::OffsetDateTime>,
    /// Bumped by every [`DecodedKeys::forget`]. A copy decoded from what was read
    /// before a forget is not kept: a request that read the entry just before a
    /// revocation deleted it must not put the revoked key back for the next ones.
    generation: u64,
}

/// Entries kept; past it the map starts over (a key decodes once more).
const DECODED_KEYS: usize = 4096;

impl DecodedKeys {
    /// The map, with entries past their freshness swept (at most every few seconds).
    fn lock(&self, now: time::OffsetDateTime) -> std::sync::MutexGuard<'_, Decoded> {
        // Each step is one insert, remove or sweep: a poisoned map is still consistent.
        let mut d = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if d.swept_at
            .is_none_or(|at| now - at >= time::Duration::seconds(5))
        {
            d.by_hash.retain(|_, (_, a)| a.is_fresh(now));
            d.swept_at = Some(now);
        }
        d
    }

    /// The entry decoded from exactly these bytes, if any.
    pub(super) fn get(
        &self,
        digest: &[u8; 32],
        bytes: &[u8],
        now: time::OffsetDateTime,
    ) -> Option<Arc<KeyAuthenticated>> {
        self.lock(now)
            .by_hash
            .get(digest)
            .filter(|(b, _)| b.as_slice() == bytes)
            .map(|(_, a)| Arc::clone(a))
    }

    /// The entry decoded last for `digest`, if still fresh, whatever bytes it came from:
    /// for a process-local cache, whose every change this process makes.
    pub(super) fn fresh(
        &self,
        digest: &[u8; 32],
        now: time::OffsetDateTime,
    ) -> (Option<Arc<KeyAuthenticated>>, u64) {
        let d = self.lock(now);
        let hit = d
            .by_hash
            .get(digest)
            .filter(|(_, a)| a.is_fresh(now))
            .map(|(_, a)| Arc::clone(a));
        (hit, d.generation)
    }

    /// The current generation: read it before reading the cache, hand it to `put`.
    pub(super) fn generation(&self) -> u64 {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .generation
    }

    /// Keeps a decoded copy, unless a key was forgotten since `generation` was read.
    pub(super) fn put(
        &self,
        digest: &[u8; 32],
        bytes: Vec<u8>,
        auth: Arc<KeyAuthenticated>,
        now: time::OffsetDateTime,
        generation: u64,
    ) {
        let mut d = self.lock(now);
        if d.generation != generation {
            return;
        }
        if d.by_hash.len() >= DECODED_KEYS && !d.by_hash.contains_key(digest) {
            d.by_hash.clear();
        }
        d.by_hash.insert(*digest, (bytes, auth));
    }

    pub(super) fn forget(&self, digest: &[u8; 32], now: time::OffsetDateTime) {
        let mut d = self.lock(now);
        d.by_hash.remove(digest);
        d.generation = d.generation.wrapping_add(1);
    }

    #[cfg(test)]
    fn len(&self, now: time::OffsetDateTime) -> usize {
        self.lock(now).by_hash.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apikeys::CACHE_TTL;
    use nexus_domain::ManualClock;
    use nexus_domain::access::Permission;
    use nexus_domain::apikey::{ApiKey, ApiKeyId};
    use nexus_domain::{Clock, TenantId, UserId};
    use std::collections::BTreeSet;

    const A: [u8; 32] = [1; 32];
    const B: [u8; 32] = [2; 32];

    fn entry(c: &ManualClock) -> Arc<KeyAuthenticated> {
        Arc::new(KeyAuthenticated {
            tenant: TenantId::generate(c),
            loaded_at: c.now(),
            key: ApiKey {
                id: ApiKeyId::generate(c),
                name: "k".into(),
                owner: UserId::generate(c),
                scopes: BTreeSet::from([Permission::CourseRead]),
                hash: "h".into(),
                hint: "x".into(),
                created_at: c.now(),
                expires_at: None,
                revoked_at: None,
                last_used_at: Some(c.now()),
                last_used_ip: Some("203.0.113.9".into()),
                rotated_from: None,
            },
            permissions: BTreeSet::from([Permission::CourseRead]),
        })
    }

    #[test]
    fn decoded_entries_answer_only_their_own_bytes_and_leave_with_their_freshness() {
        let c = ManualClock::at_unix(1_780_000_000);
        let memo = DecodedKeys::default();
        memo.put(&A, b"one".to_vec(), entry(&c), c.now(), memo.generation());
        assert!(memo.get(&A, b"one", c.now()).is_some());
        assert!(
            memo.get(&A, b"two", c.now()).is_none(),
            "other bytes decode anew"
        );
        // Past the shared entry's freshness the copy (owner, last address) is swept.
        c.advance(time::Duration::try_from(CACHE_TTL).unwrap() + time::Duration::SECOND);
        assert_eq!(memo.len(c.now()), 0);
        assert!(memo.get(&A, b"one", c.now()).is_none());
    }

    #[test]
    fn the_unread_copy_is_the_last_one_put_and_only_while_fresh() {
        let c = ManualClock::at_unix(1_780_000_000);
        let memo = DecodedKeys::default();
        assert!(memo.fresh(&A, c.now()).0.is_none());
        memo.put(&A, b"one".to_vec(), entry(&c), c.now(), memo.generation());
        let newer = entry(&c);
        memo.put(
            &A,
            b"two".to_vec(),
            newer.clone(),
            c.now(),
            memo.generation(),
        );
        assert!(Arc::ptr_eq(&memo.fresh(&A, c.now()).0.unwrap(), &newer));
        memo.forget(&A, c.now());
        assert!(memo.fresh(&A, c.now()).0.is_none(), "revoked: gone at once");
        memo.put(&A, b"two".to_vec(), newer, c.now(), memo.generation());
        c.advance(time::Duration::try_from(CACHE_TTL).unwrap());
        assert!(memo.fresh(&A, c.now()).0.is_none(), "stale at its TTL");
    }

    #[test]
    fn a_copy_read_before_a_forget_is_not_kept() {
        let c = ManualClock::at_unix(1_780_000_000);
        let memo = DecodedKeys::default();
        // A request reads the generation, then the cache; a revocation runs meanwhile.
        let read_at = memo.generation();
        memo.forget(&A, c.now());
        memo.put(&A, b"one".to_vec(), entry(&c), c.now(), read_at);
        assert!(
            memo.fresh(&A, c.now()).0.is_none(),
            "the revoked key is not put back"
        );
        memo.put(&A, b"one".to_vec(), entry(&c), c.now(), memo.generation());
        assert!(
            memo.fresh(&A, c.now()).0.is_some(),
            "a read after it is kept"
        );
    }

    #[test]
    fn a_forgotten_key_leaves_at_once() {
        let c = ManualClock::at_unix(1_780_000_000);
        let memo = DecodedKeys::default();
        memo.put(&A, b"one".to_vec(), entry(&c), c.now(), memo.generation());
        memo.put(&B, b"two".to_vec(), entry(&c), c.now(), memo.generation());
        memo.forget(&A, c.now());
        assert!(memo.get(&A, b"one", c.now()).is_none());
        assert_eq!(memo.len(c.now()), 1);
    }
}
