//! Holding the stop signals (SIGTERM, SIGINT, SIGHUP) across a change that
//! must not stop halfway.
//!
//! Going from one nonzero VF count to another takes two writes: 0, then N.
//! A signal between them would leave the PF with no VFs. [`Held`] blocks
//! the three signals for that window; a signal that arrives meanwhile stays
//! pending. When the window ends, [`Held::release`] says which one came (so
//! the caller can report the state and exit); outside the window they stop
//! vfnet at once, as they always do.

use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};

/// The signals that stop vfnet: systemd's stop, Ctrl-C, a closed terminal.
const STOPS: [Signal; 3] = [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP];

fn set() -> SigSet {
    let mut s = SigSet::empty();
    for sig in STOPS {
        s.add(sig);
    }
    s
}

/// The stop signals, blocked until [`Held::release`] (or drop).
#[derive(Debug)]
pub struct Held {
    old: SigSet,
}

/// Blocks the stop signals.
pub fn hold() -> Held {
    let mut old = SigSet::empty();
    let _ = sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set()), Some(&mut old));
    Held { old }
}

impl Held {
    /// Which stop signal arrived while held, if any. A pending one is
    /// consumed, so that unblocking does not deliver it: the caller reports
    /// and exits with [`exit_status`].
    pub fn release(self) -> Option<Signal> {
        let came = pending();
        if let Some(sig) = came {
            let mut one = SigSet::empty();
            one.add(sig);
            let _ = one.wait();
        }
        drop(self);
        came
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&self.old), None);
    }
}

/// The first stop signal pending now.
fn pending() -> Option<Signal> {
    use nix::libc;
    // SAFETY: a zeroed sigset_t is a valid empty set for sigpending to
    // fill; sigismember only reads it.
    unsafe {
        let mut p: libc::sigset_t = std::mem::zeroed();
        if libc::sigpending(&mut p) != 0 {
            return None;
        }
        STOPS
            .into_iter()
            .find(|s| libc::sigismember(&p, *s as libc::c_int) == 1)
    }
}

/// The shell's exit status for death by `sig` (128 + its number).
pub fn exit_status(sig: Signal) -> i32 {
    128 + sig as i32
}
