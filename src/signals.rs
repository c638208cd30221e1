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
    /// and exits with [`exit_status`]. While changes run in parallel
    /// ([`defer`]), the thread that deferred them acts on the signal, once
    /// every change is finished: `None` here.
    pub fn release(self) -> Option<Signal> {
        if DEFERRED.load(Relaxed) {
            return None;
        }
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

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicI32};

/// Whether a [`Deferred`] is in force.
static DEFERRED: AtomicBool = AtomicBool::new(false);

/// The stop signal a [`Deferred`] received (0: none).
static STOP: AtomicI32 = AtomicI32::new(0);

/// The stop signal that came while changes run in parallel: waits end
/// early (a change between its two writes still writes N first).
pub fn stopping() -> Option<Signal> {
    Signal::try_from(STOP.load(Relaxed)).ok()
}

/// Stop signals deferred while several changes run at once in threads
/// (`apply` with several PFs): blocked in this thread (threads spawned
/// now inherit that), received by [`Deferred::wait`] in this thread, and
/// acted on once every change is finished or stopped.
#[derive(Debug)]
pub struct Deferred {
    old: SigSet,
}

/// Defers the stop signals until the returned [`Deferred`] is dropped.
pub fn defer() -> Deferred {
    let mut old = SigSet::empty();
    let _ = sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set()), Some(&mut old));
    DEFERRED.store(true, Relaxed);
    Deferred { old }
}

impl Deferred {
    /// Waits up to `timeout` for a stop signal; one that came is recorded
    /// ([`stopping`]) and returned.
    pub fn wait(&self, timeout: std::time::Duration) -> Option<Signal> {
        use nix::libc;
        let ts = libc::timespec {
            tv_sec: timeout.as_secs() as _,
            tv_nsec: timeout.subsec_nanos() as libc::c_long,
        };
        let mask = set();
        // SAFETY: sigtimedwait reads the set and the timeout, and may write
        // the siginfo (null: not wanted).
        let n = unsafe { libc::sigtimedwait(mask.as_ref(), std::ptr::null_mut(), &ts) };
        let sig = Signal::try_from(n).ok()?;
        STOP.store(sig as i32, Relaxed);
        Some(sig)
    }
}

impl Drop for Deferred {
    fn drop(&mut self) {
        DEFERRED.store(false, Relaxed);
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

/// What a bug prints. The shipped build stops at a panic at once
/// (`panic = "immediate-abort"`, scripts/build-release): no message of its
/// own, the process dies by SIGILL (x86_64's `ud2`), SIGTRAP (aarch64's
/// `brk`) or SIGABRT. This line stands in for the panic's message.
const CRASHED: &[u8] = b"vfnet: internal error: a bug stopped vfnet where it was \
(nothing after that point ran); please report it with the command line and \
the archive `vfnet capture` writes\n";

/// Makes a crash say that it was one: one line on stderr, then death by the
/// same signal (so the exit status is still 128 + its number).
pub fn report_crashes() {
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, sigaction};
    extern "C" fn crashed(sig: nix::libc::c_int) {
        // SAFETY: write, signal and raise are async-signal-safe; CRASHED is
        // a static byte string.
        unsafe {
            nix::libc::write(2, CRASHED.as_ptr().cast(), CRASHED.len());
            nix::libc::signal(sig, nix::libc::SIG_DFL);
            nix::libc::raise(sig);
        }
    }
    let act = SigAction::new(
        SigHandler::Handler(crashed),
        SaFlags::SA_RESETHAND,
        SigSet::empty(),
    );
    for sig in [Signal::SIGILL, Signal::SIGTRAP, Signal::SIGABRT] {
        // SAFETY: the handler only makes async-signal-safe calls.
        let _ = unsafe { sigaction(sig, &act) };
    }
}
