//! A fixed-capacity map for per-client state keyed by strings a client chooses (addresses
//! behind a proxy, connection ids in a URL): rate-limit buckets, the failure-event
//! throttle. Whatever keys arrive, it never holds more than its capacity, and every call
//! costs one keyed hash plus a scan of one small set — no sweep over the whole table.
//!
//! Layout: `sets` × [`WAYS`] entries. A key's set is chosen by SipHash with a per-process
//! random key (std's `RandomState`), so a client cannot aim its keys at the set of
//! someone else's entry. When a set is full, the caller's `priority` says which entry
//! matters least (lowest goes first): for a rate limit, the fullest bucket (it holds no
//! information — a new one starts full); for a throttle, an expired window.
//!
//! Two keys whose 64-bit keyed hashes are equal share an entry; with a secret key that
//! takes about 2^32 tries per process to find, and the worst outcome is shared state.

use std::hash::BuildHasher;
use std::sync::Mutex;

/// Entries per set: small enough to scan on every call, large enough that a few busy
/// keys in one set do not evict each other.
pub const WAYS: usize = 8;

#[derive(Debug)]
struct Entry<V> {
    tag: u64,
    value: V,
}

/// A bounded, evicting map from string keys to `V`.
#[derive(Debug)]
pub struct BoundedMap<V> {
    sets: Box<[Mutex<Vec<Entry<V>>>]>,
    hasher: std::collections::hash_map::RandomState,
}

impl<V> BoundedMap<V> {
    /// A map holding at most `capacity` entries (rounded up to a power of two of sets,
    /// at least one set).
    pub fn new(capacity: usize) -> Self {
        let sets = capacity.div_ceil(WAYS).max(1).next_power_of_two();
        BoundedMap {
            sets: (0..sets)
                .map(|_| Mutex::new(Vec::with_capacity(WAYS)))
                .collect(),
            hasher: Default::default(),
        }
    }

    /// The most entries this map holds.
    pub fn capacity(&self) -> usize {
        self.sets.len() * WAYS
    }

    /// Entries held now (takes every set's lock in turn; for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.sets
            .iter()
            .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn locate(&self, key: &str) -> (u64, &Mutex<Vec<Entry<V>>>) {
        let tag = self.hasher.hash_one(key);
        // Power-of-two set count: the low bits pick the set.
        let index = (tag as usize) & (self.sets.len() - 1);
        // In range by construction (masked by `len - 1`, `len` ≥ 1).
        (tag, &self.sets[index])
    }

    /// Runs `f` on `key`'s value, inserting `init()` first when absent. A full set
    /// first drops its entry with the lowest `priority`.
    pub fn upsert<R>(
        &self,
        key: &str,
        init: impl FnOnce() -> V,
        priority: impl Fn(&V) -> u64,
        f: impl FnOnce(&mut V) -> R,
    ) -> R {
        let (tag, set) = self.locate(key);
        // A poisoned lock only means a panic elsewhere; the entries are still valid.
        let mut set = set.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = set.iter_mut().find(|e| e.tag == tag) {
            return f(&mut entry.value);
        }
        if set.len() >= WAYS {
            let victim = set
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| priority(&e.value))
                .map(|(i, _)| i);
            if let Some(i) = victim {
                set.swap_remove(i);
            }
        }
        let mut value = init();
        let out = f(&mut value);
        set.push(Entry { tag, value });
        out
    }

    /// Runs `f` on `key`'s value when present.
    pub fn update<R>(&self, key: &str, f: impl FnOnce(&mut V) -> R) -> Option<R> {
        let (tag, set) = self.locate(key);
        let mut set = set.lock().unwrap_or_else(|p| p.into_inner());
        set.iter_mut()
            .find(|e| e.tag == tag)
            .map(|entry| f(&mut entry.value))
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn never_holds_more_than_its_capacity() {
        let map: BoundedMap<u64> = BoundedMap::new(1000);
        assert_eq!(map.capacity(), 1024);
        for i in 0..100_000u64 {
            map.upsert(&format!("client-{i}"), || i, |v| *v, |_| ());
        }
        assert!(map.len() <= map.capacity(), "{}", map.len());
    }

    #[test]
    fn a_full_set_evicts_its_lowest_priority_entry() {
        // One set: every key lands in it.
        let map: BoundedMap<u64> = BoundedMap::new(WAYS);
        map.upsert("keep", || 1_000, |v| *v, |_| ());
        for i in 0..1_000u64 {
            map.upsert(&format!("spray-{i}"), || 1, |v| *v, |_| ());
        }
        assert_eq!(map.len(), WAYS);
        assert_eq!(map.update("keep", |v| *v), Some(1_000));
        assert_eq!(map.update("spray-0", |v| *v), None);
        let _ = map.update("spray-999", |v| *v).unwrap();
    }
}
