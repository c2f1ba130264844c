//! A small map whose entries expire: verdicts by digest (or name) and tag -> digest
//! resolutions. Bounded: when full, expired entries go first, then everything (a burst of
//! new images costs lookups, never memory).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

pub struct TtlCache<V> {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<String, (Instant, V)>>,
}

impl<V: Clone> TtlCache<V> {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        TtlCache {
            ttl,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &str) -> Option<V> {
        self.get_at(key, Instant::now())
    }

    fn get_at(&self, key: &str, now: Instant) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (stored, value) = entries.get(key)?;
        (now.duration_since(*stored) < self.ttl).then(|| value.clone())
    }

    pub fn insert(&self, key: String, value: V) {
        self.insert_at(key, value, Instant::now());
    }

    fn insert_at(&self, key: String, value: V, now: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, (stored, _)| now.duration_since(*stored) < self.ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, (now, value));
    }

    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_after_the_ttl() {
        let cache = TtlCache::new(Duration::from_secs(60), 10);
        let start = Instant::now();
        cache.insert_at("a".into(), 1, start);
        assert_eq!(cache.get_at("a", start + Duration::from_secs(59)), Some(1));
        assert_eq!(cache.get_at("a", start + Duration::from_secs(60)), None);
    }

    #[test]
    fn a_full_cache_drops_expired_entries_then_everything() {
        let cache = TtlCache::new(Duration::from_secs(60), 2);
        let start = Instant::now();
        cache.insert_at("old".into(), 1, start);
        cache.insert_at("new".into(), 2, start + Duration::from_secs(50));
        cache.insert_at("third".into(), 3, start + Duration::from_secs(70));
        assert_eq!(cache.len(), 2, "the expired entry made room");
        cache.insert_at("fourth".into(), 4, start + Duration::from_secs(71));
        assert_eq!(cache.len(), 1, "nothing had expired: the cache was emptied");
        assert_eq!(
            cache.get_at("fourth", start + Duration::from_secs(72)),
            Some(4)
        );
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = TtlCache::new(Duration::ZERO, 2);
        cache.insert("a".into(), 1);
        assert_eq!(cache.len(), 0);
    }
}
