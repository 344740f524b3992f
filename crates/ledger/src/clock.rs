//! The one wall clock: Unix seconds, behind a trait so that tests can move
//! time (to expire a consent, age a dispute) without sleeping.
use std::sync::atomic::{AtomicU64, Ordering};

pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch.
    fn now(&self) -> u64;
}

/// The machine's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        unix_now()
    }
}

/// The machine's clock, read once. A clock before 1970 reads as 0 rather
/// than failing: block times and expiries compare against it, never divide.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The one polling loop: run `check` every `every` until it yields a value
/// or `timeout` has passed (it runs once more at the deadline, so a value
/// that arrives just in time is seen). `Ok(None)` means the time ran out;
/// an error from `check` ends the wait at once.
pub fn poll<T, E>(
    timeout: std::time::Duration,
    every: std::time::Duration,
    mut check: impl FnMut() -> Result<Option<T>, E>,
) -> Result<Option<T>, E> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check()? {
            return Ok(Some(v));
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        std::thread::sleep(every.min(left));
    }
}

/// A clock a test sets and moves forward.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    pub fn new(at: u64) -> Self {
        ManualClock(AtomicU64::new(at))
    }
    pub fn set(&self, at: u64) {
        self.0.store(at, Ordering::SeqCst);
    }
    pub fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manual_clock_moves_only_when_told() {
        let c = ManualClock::new(1_000);
        assert_eq!(c.now(), 1_000);
        c.advance(86_400);
        assert_eq!(c.now(), 87_400);
        c.set(5);
        assert_eq!(c.now(), 5);
        // The system clock is past 2020 on any machine this runs on.
        assert!(SystemClock.now() > 1_577_836_800);
    }

    #[test]
    fn poll_returns_the_value_times_out_and_stops_on_errors() {
        use std::time::{Duration, Instant};
        let ms = Duration::from_millis;
        let mut n = 0;
        let got: Result<_, ()> = poll(ms(2_000), ms(1), || {
            n += 1;
            Ok((n == 3).then_some(n))
        });
        assert_eq!(got, Ok(Some(3)));
        let t = Instant::now();
        let none: Result<Option<()>, ()> = poll(ms(30), ms(5), || Ok(None));
        assert_eq!(none, Ok(None));
        assert!(t.elapsed() >= ms(30));
        let mut calls = 0;
        let err: Result<Option<()>, &str> = poll(ms(2_000), ms(1), || {
            calls += 1;
            Err("broken")
        });
        assert_eq!((err, calls), (Err("broken"), 1));
    }
}
