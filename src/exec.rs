//! Running other programs (`update-initramfs -u`, `dracut -f`, `systemctl
//! daemon-reload`, `midclt`, `modprobe`): fork, exec through PATH, wait. Small
//! on purpose: std's process machinery would be most of the binary's growth.
//!
//! Every wait is bounded: [`run`] by [`LIMIT`], [`output`] by
//! [`OUTPUT_LIMIT`], [`run_until`] by the caller's deadline. A program still
//! running then is left to finish, and the error says so with its pid.

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, dup2_stdout, execvp, fork, pipe, read};
use std::ffi::CString;
use std::os::fd::{AsFd, OwnedFd};

/// How long [`run`] waits: an initramfs rebuild takes a minute or two on a
/// slow machine, far beyond a command's usual 30 s budget, yet a hung one
/// must not hang vfnet.
pub const LIMIT: std::time::Duration = std::time::Duration::from_secs(600);

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
    let pid = spawn(argv, None)?;
    reap(pid, deadline)
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
        None => Err(format!(
            "still running after {} (pid {pid}), left to finish",
            crate::wait::secs(deadline.elapsed())
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
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let (r, w) = pipe().map_err(|e| e.to_string())?;
    let pid = spawn(argv, Some(w))?;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let ms = deadline.remaining().as_millis().min(u16::MAX as u128) as u16;
        let mut fds = [PollFd::new(r.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) if deadline.remaining().is_zero() => {
                return Err(format!(
                    "no answer after {} (pid {pid}), left to finish",
                    crate::wait::secs(deadline.elapsed())
                ));
            }
            Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.to_string()),
            Ok(_) => {}
        }
        match read(&r, &mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    reap(pid, deadline)?;
    String::from_utf8(out).map_err(|_| "output is not text".to_string())
}

fn spawn(argv: &[&str], stdout: Option<OwnedFd>) -> Result<nix::unistd::Pid, String> {
    let args: Vec<CString> = argv
        .iter()
        .map(|a| CString::new(*a))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    // SAFETY: vfnet is single-threaded; the child only calls dup2 and exec.
    match unsafe { fork() }.map_err(|e| e.to_string())? {
        ForkResult::Child => {
            if let Some(fd) = &stdout {
                let _ = dup2_stdout(fd.as_fd());
            }
            let _ = execvp(&args[0], &args);
            // SAFETY: _exit is async-signal-safe; 127 is the shell's "not found".
            unsafe { nix::libc::_exit(127) }
        }
        ForkResult::Parent { child } => Ok(child),
    }
}

/// What an exit status means for the caller.
fn judge(status: WaitStatus) -> Result<(), String> {
    match status {
        WaitStatus::Exited(_, 0) => Ok(()),
        WaitStatus::Exited(_, 127) => Err("not found, or could not run".into()),
        WaitStatus::Exited(_, n) => Err(format!("exited with status {n}")),
        other => Err(format!("ended abnormally ({other:?})")),
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
