//! A circuit breaker per dependency: after a run of failed attempts the dependency is not
//! called at all for a cool-down, so a dead or drowning service costs its callers nothing (no
//! connect attempts, no timeouts waited out, no retries) and gets room to recover.
//!
//! - **closed**: calls go through; `failures` consecutive failed attempts (a transport error or
//!   a 5xx answer) open it;
//! - **open**: calls fail at once (503, "dependency unavailable") for `cool_down`;
//! - **half-open**: after the cool-down, one attempt goes through as a probe while the others
//!   keep failing at once; its success closes the breaker, its failure opens it again.
//!
//! Every change of state is logged (warn when opening, info otherwise) with the service's name.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Failed attempts in a row that open the breaker, by default (`CIRCUIT_BREAKER_FAILURES`).
pub const DEFAULT_FAILURES: u32 = 5;
/// How long an open breaker refuses calls before a probe, by default
/// (`CIRCUIT_BREAKER_COOL_DOWN_MS`).
pub const DEFAULT_COOL_DOWN: Duration = Duration::from_secs(5);

/// When a breaker opens and how long it stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Failed attempts in a row that open it; 0 turns the breaker off.
    pub failures: u32,
    /// Time open before a probe is let through.
    pub cool_down: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy {
            failures: DEFAULT_FAILURES,
            cool_down: DEFAULT_COOL_DOWN,
        }
    }
}

impl BreakerPolicy {
    /// The policy from `CIRCUIT_BREAKER_FAILURES` and `CIRCUIT_BREAKER_COOL_DOWN_MS`, each
    /// defaulting when unset or invalid (an invalid value is logged).
    pub fn from_env() -> Self {
        fn read<T: std::str::FromStr>(name: &str) -> Option<T> {
            let value = std::env::var(name).ok()?;
            let parsed = value.parse().ok();
            if parsed.is_none() {
                tracing::warn!("{name} must be a whole number, got `{value}`: using the default");
            }
            parsed
        }
        let default = BreakerPolicy::default();
        BreakerPolicy {
            failures: read("CIRCUIT_BREAKER_FAILURES").unwrap_or(default.failures),
            cool_down: read("CIRCUIT_BREAKER_COOL_DOWN_MS")
                .map(Duration::from_millis)
                .unwrap_or(default.cool_down),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probing: bool },
}

/// The breaker of one dependency, shared by every clone of its client.
#[derive(Debug, Clone)]
pub struct Breaker {
    service: &'static str,
    policy: BreakerPolicy,
    state: Arc<Mutex<State>>,
}

/// Why an attempt was refused without calling the dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Time until the next probe.
    pub retry_in: Duration,
}

impl Breaker {
    /// A closed breaker for `service`.
    pub fn new(service: &'static str, policy: BreakerPolicy) -> Self {
        Breaker {
            service,
            policy,
            state: Arc::new(Mutex::new(State::Closed { failures: 0 })),
        }
    }

    /// The breaker's policy.
    pub fn policy(&self) -> BreakerPolicy {
        self.policy
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether an attempt may go out now; when it is the half-open probe, it is marked taken.
    pub fn admit(&self) -> Result<(), Refused> {
        if self.policy.failures == 0 {
            return Ok(());
        }
        let mut state = self.state();
        match *state {
            State::Closed { .. } => Ok(()),
            State::Open { until } => {
                let now = Instant::now();
                if now < until {
                    return Err(Refused {
                        retry_in: until - now,
                    });
                }
                *state = State::HalfOpen { probing: true };
                tracing::info!(service = self.service, "circuit half-open: probing");
                Ok(())
            }
            State::HalfOpen { probing: true } => Err(Refused {
                retry_in: Duration::ZERO,
            }),
            State::HalfOpen { probing: false } => {
                *state = State::HalfOpen { probing: true };
                Ok(())
            }
        }
    }

    /// Records the outcome of an admitted attempt.
    pub fn record(&self, failed: bool) {
        if self.policy.failures == 0 {
            return;
        }
        let mut state = self.state();
        let next = match (*state, failed) {
            (State::Closed { .. }, false) => State::Closed { failures: 0 },
            (State::Closed { failures }, true) if failures + 1 < self.policy.failures => {
                State::Closed {
                    failures: failures + 1,
                }
            }
            (State::HalfOpen { .. }, false) => {
                tracing::info!(
                    service = self.service,
                    "circuit closed: the probe succeeded"
                );
                State::Closed { failures: 0 }
            }
            (State::Open { until }, _) => State::Open { until },
            (State::Closed { .. } | State::HalfOpen { .. }, true) => {
                tracing::warn!(
                    service = self.service,
                    failures = self.policy.failures,
                    cool_down_ms = self.policy.cool_down.as_millis() as u64,
                    "circuit open: calls fail at once until a probe succeeds"
                );
                State::Open {
                    until: Instant::now() + self.policy.cool_down,
                }
            }
        };
        *state = next;
    }

    /// Gives back a probe slot whose attempt ended with no verdict (cancelled).
    pub fn release(&self) {
        let mut state = self.state();
        if *state == (State::HalfOpen { probing: true }) {
            *state = State::HalfOpen { probing: false };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(cool_down_ms: u64) -> Breaker {
        Breaker::new(
            "users",
            BreakerPolicy {
                failures: 3,
                cool_down: Duration::from_millis(cool_down_ms),
            },
        )
    }

    #[test]
    fn opens_after_consecutive_failures_only() {
        let b = breaker(60_000);
        for _ in 0..2 {
            b.admit().unwrap();
            b.record(true);
        }
        b.admit().unwrap();
        b.record(false);
        for _ in 0..2 {
            b.admit().unwrap();
            b.record(true);
        }
        b.admit().expect("a success reset the count");
        b.record(true);
        assert!(b.admit().is_err(), "three in a row open it");
    }

    #[test]
    fn half_open_lets_one_probe_through() {
        let b = breaker(0);
        for _ in 0..3 {
            b.admit().unwrap();
            b.record(true);
        }
        b.admit().expect("the cool-down is over: the probe");
        assert!(b.admit().is_err(), "one probe at a time");
        b.record(true);
        b.admit()
            .expect("open again, and the (zero) cool-down is over");
        b.record(false);
        b.admit().unwrap();
        b.admit().expect("closed");
    }

    #[test]
    fn zero_failures_turns_it_off() {
        let b = Breaker::new(
            "users",
            BreakerPolicy {
                failures: 0,
                cool_down: DEFAULT_COOL_DOWN,
            },
        );
        for _ in 0..100 {
            b.admit().unwrap();
            b.record(true);
        }
    }
}
