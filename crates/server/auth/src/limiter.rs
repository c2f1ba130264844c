//! Brute-force protection for the login endpoint.
//!
//! Failures are counted per (user id, client network), so guessing one account's password is
//! slow, and per client network alone, so spraying one password over many user ids is slow too.
//! The user id alone is deliberately not a key: that would let anyone lock any account out.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

/// How long failures are remembered, from the first failure in a window.
const WINDOW: Duration = Duration::from_secs(15 * 60);
const FIRST_LOCK: Duration = Duration::from_secs(60);
const MAX_LOCK: Duration = Duration::from_secs(60 * 60);
/// Failures within [`WINDOW`] that lock a (user id, network) key.
const USER_FAILURES: u32 = 5;
/// Failures within [`WINDOW`] that lock a whole network, whatever user ids it tries.
const NETWORK_FAILURES: u32 = 50;
/// At most this many keys are tracked, so a flood of made-up user ids or addresses cannot
/// exhaust memory.
const MAX_KEYS: usize = 100_000;
/// When the table is full, it is cut down to this size at once, so that a flood of new keys
/// costs one scan per 10,000 insertions instead of one per insertion.
const KEYS_AFTER_EVICTION: usize = MAX_KEYS - MAX_KEYS / 10;

/// How long a client must wait before trying to log in again (for the HTTP `Retry-After`
/// header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many failed logins; retry in {} seconds", self.seconds())]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, rounded up so a client that waits this long is let in.
    pub fn seconds(&self) -> u64 {
        self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0)
    }
}

/// Counts failed logins in memory and locks out clients that fail too often.
///
/// Policy, per key: 5 failures (50 for a whole network) within 15 minutes lock the key for 1
/// minute; each further failure doubles the lock, up to 1 hour. A key's failures are
/// forgotten 15 minutes after its window started or, once it was locked, 15 minutes after
/// the lock ended. A successful login clears the (user id, network) key only.
///
/// Callers pass the current time, so tests (and the server) decide what "now" is.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    records: Mutex<Records>,
}

impl LoginLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Call before verifying a password: `Err` means refuse without verifying.
    pub fn check(&self, user: &str, ip: IpAddr, now: Instant) -> Result<(), RetryAfter> {
        let records = self.records();
        let keys = [Key::user_at(user, ip), Key::network(ip)];
        match keys
            .iter()
            .filter_map(|key| records.lock_left(key, now))
            .max()
        {
            Some(wait) => Err(RetryAfter(wait)),
            None => Ok(()),
        }
    }

    pub fn record_failure(&self, user: &str, ip: IpAddr, now: Instant) {
        let mut records = self.records();
        records.add_failure(Key::user_at(user, ip), USER_FAILURES, now);
        records.add_failure(Key::network(ip), NETWORK_FAILURES, now);
    }

    /// Forgets the failures of this user id from this network. The network-wide count stays:
    /// a sprayer who guesses one password right must not get a fresh budget for the rest.
    /// `now` is not needed today; it keeps the three calls alike.
    pub fn record_success(&self, user: &str, ip: IpAddr, _now: Instant) {
        self.records().by_key.remove(&Key::user_at(user, ip));
    }

    /// How many keys are tracked (at most 100,000).
    pub fn tracked_keys(&self) -> usize {
        self.records().by_key.len()
    }

    fn records(&self) -> MutexGuard<'_, Records> {
        // The table is consistent after every statement, so a panic elsewhere while it was
        // held leaves nothing half-done: keep using it.
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    /// The user id is hashed so that a long made-up id costs no more memory than a short one.
    UserAt([u8; 32], IpAddr),
    Network(IpAddr),
}

impl Key {
    fn user_at(user: &str, ip: IpAddr) -> Key {
        Key::UserAt(Sha256::digest(user.as_bytes()).into(), network_of(ip))
    }

    fn network(ip: IpAddr) -> Key {
        Key::Network(network_of(ip))
    }
}

/// The part of an address a client cannot cheaply vary: an IPv4-mapped IPv6 address is its
/// IPv4 address, and an IPv6 address counts as its /64, since one host is usually given a
/// whole /64 and could otherwise use a fresh address for every attempt.
fn network_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
        v4 => v4,
    }
}

#[derive(Debug, Default)]
struct Records {
    by_key: HashMap<Key, Record>,
}

impl Records {
    fn lock_left(&self, key: &Key, now: Instant) -> Option<Duration> {
        self.by_key
            .get(key)
            .and_then(|record| record.lock_left(now))
    }

    fn add_failure(&mut self, key: Key, threshold: u32, now: Instant) {
        if !self.by_key.contains_key(&key) {
            self.make_room(now);
        }
        let record = self.by_key.entry(key).or_insert_with(|| Record::new(now));
        if record.is_expired(now) {
            *record = Record::new(now);
        }
        record.add_failure(threshold, now);
    }

    /// When full: drop what has expired, then the least recently failed, down to
    /// [`KEYS_AFTER_EVICTION`].
    fn make_room(&mut self, now: Instant) {
        if self.by_key.len() < MAX_KEYS {
            return;
        }
        self.by_key.retain(|_, record| !record.is_expired(now));
        let excess = self.by_key.len().saturating_sub(KEYS_AFTER_EVICTION);
        if excess > 0 {
            self.evict_oldest(excess);
        }
    }

    fn evict_oldest(&mut self, count: usize) {
        let mut by_age: Vec<(Instant, Key)> = self
            .by_key
            .iter()
            .map(|(key, record)| (record.last_failure, *key))
            .collect();
        by_age.select_nth_unstable_by_key(count - 1, |(last_failure, _)| *last_failure);
        for (_, key) in &by_age[..count] {
            self.by_key.remove(key);
        }
    }
}

#[derive(Debug)]
struct Record {
    window_start: Instant,
    last_failure: Instant,
    failures: u32,
    locked_until: Option<Instant>,
}

impl Record {
    fn new(now: Instant) -> Record {
        Record {
            window_start: now,
            last_failure: now,
            failures: 0,
            locked_until: None,
        }
    }

    /// A lock always ends after its window started, so the later of the two is the lock's end.
    fn is_expired(&self, now: Instant) -> bool {
        now >= self.locked_until.unwrap_or(self.window_start) + WINDOW
    }

    fn lock_left(&self, now: Instant) -> Option<Duration> {
        let left = self.locked_until?.saturating_duration_since(now);
        (!left.is_zero()).then_some(left)
    }

    fn add_failure(&mut self, threshold: u32, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        self.last_failure = now;
        if let Some(beyond) = self.failures.checked_sub(threshold) {
            self.locked_until = Some(now + lock_length(beyond));
        }
    }
}

/// 1 minute for the failure that reaches the threshold, doubling for each one after it, at
/// most 1 hour.
fn lock_length(failures_beyond_threshold: u32) -> Duration {
    let doublings = failures_beyond_threshold.min(16);
    FIRST_LOCK.saturating_mul(1 << doublings).min(MAX_LOCK)
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    fn fail(limiter: &LoginLimiter, user: &str, ip: IpAddr, now: Instant, times: u32) {
        for _ in 0..times {
            limiter.record_failure(user, ip, now);
        }
    }

    fn wait(limiter: &LoginLimiter, user: &str, ip: IpAddr, now: Instant) -> Option<u64> {
        limiter
            .check(user, ip, now)
            .err()
            .map(|retry| retry.seconds())
    }

    #[test]
    fn five_failures_lock_for_one_minute() {
        let (limiter, t0) = (LoginLimiter::new(), Instant::now());
        fail(&limiter, "alice", ip(1), t0, 4);
        assert_eq!(wait(&limiter, "alice", ip(1), t0), None);
        fail(&limiter, "alice", ip(1), t0, 1);
        assert_eq!(wait(&limiter, "alice", ip(1), t0), Some(60));
        assert_eq!(
            wait(&limiter, "alice", ip(1), t0 + Duration::from_millis(59_500)),
            Some(1)
        );
        assert_eq!(wait(&limiter, "alice", ip(1), t0 + MINUTE), None);
        // Other users and other addresses are not affected.
        assert_eq!(wait(&limiter, "bob", ip(1), t0), None);
        assert_eq!(wait(&limiter, "alice", ip(2), t0), None);
    }

    #[test]
    fn each_further_failure_doubles_the_lock_up_to_one_hour() {
        let (limiter, mut now) = (LoginLimiter::new(), Instant::now());
        fail(&limiter, "alice", ip(1), now, 5);
        let mut locks = vec![];
        for _ in 0..8 {
            let lock = wait(&limiter, "alice", ip(1), now).unwrap_or_default();
            locks.push(lock / 60);
            now += Duration::from_secs(lock);
            fail(&limiter, "alice", ip(1), now, 1);
        }
        assert_eq!(locks, [1, 2, 4, 8, 16, 32, 60, 60]);
    }

    #[test]
    fn failures_while_locked_extend_the_lock() {
        let (limiter, t0) = (LoginLimiter::new(), Instant::now());
        fail(&limiter, "alice", ip(1), t0, 6);
        assert_eq!(wait(&limiter, "alice", ip(1), t0), Some(120));
        fail(&limiter, "alice", ip(1), t0, 100);
        assert_eq!(wait(&limiter, "alice", ip(1), t0), Some(3600));
    }

    #[test]
    fn success_clears_the_user_key_only() {
        let (limiter, t0) = (LoginLimiter::new(), Instant::now());
        fail(&limiter, "alice", ip(1), t0, 4);
        limiter.record_success("alice", ip(1), t0);
        fail(&limiter, "alice", ip(1), t0, 4);
        assert_eq!(wait(&limiter, "alice", ip(1), t0), None);

        for n in 0..42 {
            fail(&limiter, &format!("user{n}"), ip(1), t0, 1);
        }
        // 4 + 4 + 42 = 50 failures from this address: it is locked, and a success for one
        // user id does not unlock it.
        limiter.record_success("alice", ip(1), t0);
        assert_eq!(wait(&limiter, "alice", ip(1), t0), Some(60));
    }

    #[test]
    fn one_network_spraying_many_user_ids_is_locked() {
        let (limiter, t0) = (LoginLimiter::new(), Instant::now());
        for n in 0..49 {
            fail(&limiter, &format!("user{n}"), ip(1), t0, 1);
        }
        assert_eq!(wait(&limiter, "someone-new", ip(1), t0), None);
        fail(&limiter, "user49", ip(1), t0, 1);
        assert_eq!(wait(&limiter, "someone-new", ip(1), t0), Some(60));
        assert_eq!(wait(&limiter, "someone-new", ip(2), t0), None);
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let (limiter, t0) = (LoginLimiter::new(), Instant::now());
        for host in 1..=5u16 {
            let address = Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 0, 0, 0, host);
            limiter.record_failure("alice", IpAddr::V6(address), t0);
        }
        let same_64 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 9, 9, 9, 9));
        let other_64 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 2, 0, 0, 0, 1));
        assert_eq!(wait(&limiter, "alice", same_64, t0), Some(60));
        assert_eq!(wait(&limiter, "alice", other_64, t0), None);

        fail(&limiter, "bob", ip(7), t0, 5);
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped());
        assert_eq!(wait(&limiter, "bob", mapped, t0), Some(60));
    }

    #[test]
    fn failures_are_forgotten_after_the_window() {
        let (limiter, t0) = (LoginLimiter::new(), Instant::now());
        fail(&limiter, "alice", ip(1), t0, 4);
        let later = t0 + 15 * MINUTE;
        fail(&limiter, "alice", ip(1), later, 4);
        assert_eq!(wait(&limiter, "alice", ip(1), later), None);
    }

    #[test]
    fn a_lock_is_forgotten_fifteen_minutes_after_it_ends() {
        let (limiter, t0) = (LoginLimiter::new(), Instant::now());
        fail(&limiter, "alice", ip(1), t0, 5);
        // Within 15 minutes of the lock's end, one more failure locks again, for longer.
        let soon = t0 + 15 * MINUTE;
        fail(&limiter, "alice", ip(1), soon, 1);
        assert_eq!(wait(&limiter, "alice", ip(1), soon), Some(120));
        // 15 minutes after that lock ended, the count starts again.
        let later = soon + 2 * MINUTE + 15 * MINUTE;
        fail(&limiter, "alice", ip(1), later, 4);
        assert_eq!(wait(&limiter, "alice", ip(1), later), None);
    }

    #[test]
    fn memory_is_bounded_and_the_most_recent_keys_stay() {
        let (limiter, t0) = (LoginLimiter::new(), Instant::now());
        // The oldest key has 4 failures; the keys that push it out come later.
        fail(&limiter, "oldest", ip(1), t0, 4);
        for n in 0..MAX_KEYS as u32 {
            let now = t0 + Duration::from_micros(u64::from(n) + 1);
            limiter.record_failure(&format!("user{n}"), ip(2), now);
        }
        assert!(
            limiter.tracked_keys() <= MAX_KEYS,
            "{}",
            limiter.tracked_keys()
        );
        let now = t0 + MINUTE;
        fail(&limiter, "newest", ip(3), now, 5);
        assert_eq!(wait(&limiter, "newest", ip(3), now), Some(60));
        // "oldest" was evicted, so its count started again and one more failure does not lock.
        fail(&limiter, "oldest", ip(1), now, 1);
        assert_eq!(wait(&limiter, "oldest", ip(1), now), None);
        assert!(
            limiter.tracked_keys() <= MAX_KEYS,
            "{}",
            limiter.tracked_keys()
        );
    }

    #[test]
    fn when_full_expired_keys_go_before_live_ones() {
        let (limiter, t0) = (LoginLimiter::new(), Instant::now());
        for n in 0..(MAX_KEYS - 10) as u32 {
            limiter.record_failure(&format!("user{n}"), ip(2), t0);
        }
        // A live, locked key whose failures are older than nothing but the expired ones.
        let t10 = t0 + 10 * MINUTE;
        fail(&limiter, "victim", ip(1), t10, 5);
        let t20 = t0 + 20 * MINUTE;
        for n in 0..20 {
            limiter.record_failure(&format!("new{n}"), ip(3), t20);
        }
        // The expired user keys were dropped; the victim's record survived, so its next
        // failure is its 6th and locks for 2 minutes.
        assert!(limiter.tracked_keys() < 100, "{}", limiter.tracked_keys());
        fail(&limiter, "victim", ip(1), t20, 1);
        assert_eq!(wait(&limiter, "victim", ip(1), t20), Some(120));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(RetryAfter(Duration::from_millis(1)).seconds(), 1);
        assert_eq!(RetryAfter(Duration::from_secs(60)).seconds(), 60);
        assert_eq!(RetryAfter(Duration::from_millis(60_001)).seconds(), 61);
        assert_eq!(
            RetryAfter(MINUTE).to_string(),
            "too many failed logins; retry in 60 seconds"
        );
    }
}
