//! Running other programs (`update-initramfs -u`, `dracut -f`, `systemctl
//! daemon-reload`, `midclt`, `modprobe`): fork, exec through PATH, wait. Small
//! on purpose: std's process machinery would be most of the binary's growth.
//!
//! Every wait is bounded: [`run`] by [`LIMIT`], [`output`] by
//! [`OUTPUT_LIMIT`], [`run_until`] by the caller's deadline. A program still
//! running then is left to finish, and the error says so with its pid.
//!
//! Nothing vfnet starts outlives its bound on vfnet's own output: a child
//! writes into pipes that vfnet relays to its stdout and stderr, and closes
//! at the deadline, so a caller reading vfnet through pipes (Ansible,
//! `$(...)`, a unit's journal stream) sees the end when vfnet ends. A child
//! starts with a clean signal mask and the default dispositions (vfnet
//! holds SIGTERM, SIGINT and SIGHUP in its windows, and Rust ignores
//! SIGPIPE): a program left to finish can still be stopped.

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, dup2_stdout, execvp, fork, read};
use std::ffi::CString;
use std::os::fd::{AsFd, OwnedFd};

/// How long [`run`] waits: an initramfs rebuild takes a minute or two on a
/// slow machine, far beyond a command's usual 30 s budget, yet a hung one
/// must not hang vfnet.
pub const LIMIT: std::time::Duration = std::time::Duration::from_secs(600);

/// The largest answer [`output`] takes (a `midclt` query's is a few KiB).
pub const OUTPUT_MAX: usize = 1 << 20;

/// How long [`output`] waits for a query's answer (`midclt call`).
pub const OUTPUT_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs `argv` with vfnet's stdout and stderr; fails unless it exits 0
/// within [`LIMIT`].
pub fn run(argv: &[&str]) -> Result<(), String> {
    run_until(argv, &crate::wait::Deadline::after(LIMIT))
}

/// [`run`], waiting no later than `deadline`: a program still running
/// then is left to finish (a module half loaded is worse than one loading
/// late), and the error says so with its pid.
pub fn run_until(argv: &[&str], deadline: &crate::wait::Deadline) -> Result<(), String> {
    let flags = nix::fcntl::OFlag::O_CLOEXEC;
    let (out_r, out_w) = nix::unistd::pipe2(flags).map_err(|e| e.to_string())?;
    let (err_r, err_w) = nix::unistd::pipe2(flags).map_err(|e| e.to_string())?;
    let pid = spawn(argv, Some(out_w), Some(err_w))?;
    let left = |what: &str| {
        crate::msg!(
            "{} after {} (pid {}), left to finish; its output is no longer shown",
            what,
            crate::wait::secs(deadline.elapsed()),
            pid
        )
    };
    if !relay(&[(&out_r, 1), (&err_r, 2)], deadline, &mut Vec::new()) {
        return Err(left("still running"));
    }
    reap(pid, deadline)
}

/// Copies what comes from each pipe to vfnet's fd beside it (1, 2; -1:
/// into `captured`) until every pipe is closed (true) or the deadline
/// comes (false).
fn relay(
    pipes: &[(&OwnedFd, i32)],
    deadline: &crate::wait::Deadline,
    captured: &mut Vec<u8>,
) -> bool {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let mut open: Vec<(&OwnedFd, i32)> = pipes.to_vec();
    let mut buf = [0u8; 4096];
    while !open.is_empty() {
        let ms = deadline.remaining().as_millis().min(u16::MAX as u128) as u16;
        let mut fds: Vec<PollFd> = open
            .iter()
            .map(|(fd, _)| PollFd::new(fd.as_fd(), PollFlags::POLLIN))
            .collect();
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) if deadline.remaining().is_zero() => return false,
            Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return true,
            Ok(_) => {}
        }
        let ready: Vec<bool> = fds
            .iter()
            .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
            .collect();
        let mut closed = Vec::new();
        for (i, (fd, to)) in open.iter().enumerate().filter(|(i, _)| ready[*i]) {
            match read(*fd, &mut buf) {
                Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => {}
                Ok(0) | Err(_) => closed.push(i),
                // Captured up to its cap and one byte past it (to tell).
                Ok(n) if *to < 0 => {
                    let room = (OUTPUT_MAX + 1).saturating_sub(captured.len());
                    captured.extend_from_slice(&buf[..n.min(room)]);
                }
                Ok(n) => {
                    // SAFETY: fd 1 and 2 are vfnet's own stdout and stderr.
                    let dest = unsafe { std::os::fd::BorrowedFd::borrow_raw(*to) };
                    let _ = crate::out::write_all(dest, &buf[..n]);
                }
            }
        }
        for i in closed.into_iter().rev() {
            open.remove(i);
        }
    }
    true
}

/// Waits for `pid` to exit, no later than `deadline`.
fn reap(pid: nix::unistd::Pid, deadline: &crate::wait::Deadline) -> Result<(), String> {
    use nix::sys::wait::WaitPidFlag;
    let status = crate::wait::until(deadline, || {
        match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => None,
            other => Some(other),
        }
    });
    match status {
        None => Err(crate::msg!(
            "still running after {} (pid {}), left to finish",
            crate::wait::secs(deadline.elapsed()),
            pid
        )),
        Some(Ok(s)) => judge(s),
        Some(Err(e)) => Err(e.to_string()),
    }
}

/// Runs `argv` and returns what it printed on stdout, all within
/// [`OUTPUT_LIMIT`].
pub fn output(argv: &[&str]) -> Result<String, String> {
    output_until(argv, &crate::wait::Deadline::after(OUTPUT_LIMIT))
}

/// [`output`], waiting no later than `deadline` for the output's end and
/// the exit.
pub fn output_until(argv: &[&str], deadline: &crate::wait::Deadline) -> Result<String, String> {
    let flags = nix::fcntl::OFlag::O_CLOEXEC;
    let (r, w) = nix::unistd::pipe2(flags).map_err(|e| e.to_string())?;
    let (err_r, err_w) = nix::unistd::pipe2(flags).map_err(|e| e.to_string())?;
    let pid = spawn(argv, Some(w), Some(err_w))?;
    let mut out = Vec::new();
    if !relay(&[(&r, -1), (&err_r, 2)], deadline, &mut out) {
        return Err(crate::msg!(
            "no answer after {} (pid {}), left to finish",
            crate::wait::secs(deadline.elapsed()),
            pid
        ));
    }
    reap(pid, deadline)?;
    if out.len() > OUTPUT_MAX {
        return Err(format!("its answer is larger than {OUTPUT_MAX} bytes"));
    }
    String::from_utf8(out).map_err(|_| crate::msg!("output is not text"))
}

fn spawn(
    argv: &[&str],
    stdout: Option<OwnedFd>,
    stderr: Option<OwnedFd>,
) -> Result<nix::unistd::Pid, String> {
    let args: Vec<CString> = argv
        .iter()
        .map(|a| CString::new(*a))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    // SAFETY: the child only calls async-signal-safe functions (dup2,
    // sigprocmask, signal, execvp, _exit) before exec.
    match unsafe { fork() }.map_err(|e| e.to_string())? {
        ForkResult::Child => {
            if let Some(fd) = &stdout {
                let _ = dup2_stdout(fd.as_fd());
            }
            if let Some(fd) = &stderr {
                let _ = nix::unistd::dup2_stderr(fd.as_fd());
            }
            clean_signals();
            let _ = execvp(&args[0], &args);
            // SAFETY: _exit is async-signal-safe; 127 is the shell's "not found".
            unsafe { nix::libc::_exit(127) }
        }
        ForkResult::Parent { child } => Ok(child),
    }
}

/// In a child, before exec: no signal blocked, and the default action for
/// the stop signals and SIGPIPE (ignored dispositions survive exec).
fn clean_signals() {
    use nix::libc;
    // SAFETY: sigemptyset, sigprocmask and signal are async-signal-safe;
    // the set lives on this stack.
    unsafe {
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
        for sig in [libc::SIGPIPE, libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            libc::signal(sig, libc::SIG_DFL);
        }
    }
}

/// What an exit status means for the caller.
fn judge(status: WaitStatus) -> Result<(), String> {
    match status {
        WaitStatus::Exited(_, 0) => Ok(()),
        WaitStatus::Exited(_, 127) => Err(crate::msg!("not found, or could not run")),
        WaitStatus::Exited(_, n) => Err(crate::msg!("exited with status {}", n)),
        WaitStatus::Signaled(_, sig, _) => Err(format!("killed by {}", sig.as_str())),
        _ => Err(crate::msg!("ended abnormally")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wait::Deadline;
    use std::time::Duration;

    #[test]
    fn exit_statuses_become_words() {
        assert_eq!(run(&["true"]), Ok(()));
        assert_eq!(run(&["false"]), Err("exited with status 1".into()));
        assert_eq!(
            run(&["/nonexistent/vfnet-test"]),
            Err("not found, or could not run".into())
        );
        assert_eq!(output(&["echo", "hi"]), Ok("hi\n".into()));
        // An answer past the cap is refused, not kept in memory whole.
        let e = output(&["sh", "-c", "head -c 1100000 /dev/zero"]).unwrap_err();
        assert!(e.contains("larger than 1048576 bytes"), "{e}");
    }

    #[test]
    fn a_program_past_its_deadline_is_left_to_finish_and_named() {
        let d = Deadline::after(Duration::from_millis(200));
        let e = run_until(&["sleep", "2"], &d).unwrap_err();
        assert!(
            e.starts_with("still running after") && e.contains("left to finish"),
            "{e}"
        );
        // A query that prints, then hangs: its output's end never comes.
        let d = Deadline::after(Duration::from_millis(300));
        let e = output_until(&["sh", "-c", "echo partial; sleep 2"], &d).unwrap_err();
        assert!(
            e.starts_with("no answer after") && e.contains("(pid "),
            "{e}"
        );
    }
}
