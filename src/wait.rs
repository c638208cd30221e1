//! Deadlines and polling with a short backoff: how vfnet waits for the
//! kernel without fixed sleeps.
//!
//! A poll runs at once, then after 2 ms, 4 ms, … up to 100 ms between
//! tries, never sleeping past the deadline. Fast changes are seen within
//! milliseconds; slow ones cost a poll every 100 ms.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
/// A point in time a command must be done by, and the hard cap no wait
/// goes past, not even one the kernel has started.
pub struct Deadline {
    start: Instant,
    end: Instant,
    cap: Option<Instant>,
}

impl Deadline {
    /// The deadline `timeout` from now.
    pub fn after(timeout: Duration) -> Deadline {
        let start = Instant::now();
        Deadline {
            start,
            end: start + timeout,
            cap: None,
        }
    }

    /// This deadline, and no wait drawn from it past `cap` from now.
    pub fn capped(self, cap: Duration) -> Deadline {
        let cap = Instant::now() + cap;
        Deadline {
            end: self.end.min(cap),
            cap: Some(cap),
            ..self
        }
    }

    /// For a wait the kernel has started (VFs being created, their drivers
    /// binding): this deadline, or `needs` from now when that is later,
    /// never past the cap. An earlier wait that used up the budget does
    /// not cut this one short.
    pub fn for_work(&self, needs: Duration) -> Deadline {
        let end = self.end.max(Instant::now() + needs);
        Deadline {
            end: self.cap.map_or(end, |c| end.min(c)),
            ..*self
        }
    }

    /// The time left (zero once past).
    pub fn remaining(&self) -> Duration {
        self.end.saturating_duration_since(Instant::now())
    }

    /// Time since the deadline was set.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// The timeout it was made with.
    pub fn timeout(&self) -> Duration {
        self.end - self.start
    }
}

/// Calls `poll` until it returns `Some`, with backoff; `None` at the deadline
/// (after one last poll, so a result that arrived at the last moment counts).
pub fn until<T>(deadline: &Deadline, poll: impl FnMut() -> Option<T>) -> Option<T> {
    until_woken(deadline, MAX_PAUSE, std::thread::sleep, poll)
}

/// [`until`] that a deferred stop signal does not end: the wait between
/// the two writes of a change, which must end in N being written.
fn until_through_stop<T>(deadline: &Deadline, poll: impl FnMut() -> Option<T>) -> Option<T> {
    poll_until(deadline, MAX_PAUSE, std::thread::sleep, poll, false)
}

const MAX_PAUSE: Duration = Duration::from_millis(100);

/// How long a wait stays quiet before it says what it waits for.
pub const QUIET: Duration = Duration::from_secs(1);

/// [`until`], calling `note` once if the wait lasts longer than [`QUIET`]
/// (to say what it waits for: a wait of many seconds must not be silent).
/// A deferred stop signal does not end it: it is the wait between the two
/// writes of a change.
pub fn until_noted<T>(
    deadline: &Deadline,
    mut note: impl FnMut(),
    mut poll: impl FnMut() -> Option<T>,
) -> Option<T> {
    let start = Instant::now();
    let mut told = false;
    until_through_stop(deadline, || {
        let got = poll();
        if got.is_none() && !told && start.elapsed() >= QUIET {
            told = true;
            note();
        }
        got
    })
}

/// [`until`] with another way to pause: `sleep` may return early (when a
/// uevent arrives), and pauses grow up to `max_pause`.
pub fn until_woken<T>(
    deadline: &Deadline,
    max_pause: Duration,
    sleep: impl FnMut(Duration),
    poll: impl FnMut() -> Option<T>,
) -> Option<T> {
    poll_until(deadline, max_pause, sleep, poll, true)
}

fn poll_until<T>(
    deadline: &Deadline,
    max_pause: Duration,
    mut sleep: impl FnMut(Duration),
    mut poll: impl FnMut() -> Option<T>,
    stoppable: bool,
) -> Option<T> {
    let mut pause = Duration::from_millis(2);
    loop {
        if let Some(v) = poll() {
            return Some(v);
        }
        // A stop signal deferred while changes run in parallel ends waits
        // (not the one between a change's two writes).
        if stoppable && crate::signals::stopping().is_some() {
            return None;
        }
        let left = deadline.remaining();
        if left.is_zero() {
            return None;
        }
        sleep(pause.min(left));
        pause = (pause * 2).min(max_pause);
    }
}

/// `1.25 s`, for messages.
pub fn secs(d: Duration) -> String {
    format!("{}.{:02} s", d.as_secs(), d.subsec_millis() / 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_print_with_two_decimals() {
        assert_eq!(secs(Duration::from_millis(1256)), "1.25 s");
        assert_eq!(secs(Duration::from_millis(30_000)), "30.00 s");
        assert_eq!(secs(Duration::from_millis(7)), "0.00 s");
    }

    #[test]
    fn a_started_wait_gets_the_time_its_work_needs_within_the_cap() {
        // The budget is spent; the work needs 10 s: it gets them.
        let spent = Deadline::after(Duration::ZERO);
        let w = spent.for_work(Duration::from_secs(10));
        assert!(w.remaining() > Duration::from_secs(9));
        // A cap of 2 s bounds it.
        let capped = Deadline::after(Duration::ZERO).capped(Duration::from_secs(2));
        let w = capped.for_work(Duration::from_secs(10));
        assert!(w.remaining() <= Duration::from_secs(2) && w.remaining() > Duration::from_secs(1));
        // A budget longer than the work is kept, and the cap bounds the budget.
        let long = Deadline::after(Duration::from_secs(60)).capped(Duration::from_secs(5));
        assert!(long.remaining() <= Duration::from_secs(5));
        let w = Deadline::after(Duration::from_secs(60)).for_work(Duration::from_secs(1));
        assert!(w.remaining() > Duration::from_secs(59));
    }

    #[test]
    fn until_returns_as_soon_as_the_poll_succeeds() {
        let mut n = 0;
        let got = until(&Deadline::after(Duration::from_secs(60)), || {
            n += 1;
            (n == 3).then_some(n)
        });
        assert_eq!(got, Some(3));
    }

    #[test]
    fn until_gives_up_at_the_deadline_after_a_last_poll() {
        let mut polls = 0;
        let got: Option<()> = until(&Deadline::after(Duration::ZERO), || {
            polls += 1;
            None
        });
        assert_eq!((got, polls), (None, 1));
    }
}
