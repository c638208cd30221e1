//! Running other programs (`update-initramfs -u`, `dracut -f`, `systemctl
//! daemon-reload`, `midclt`): fork, exec through PATH, wait. Small on
//! purpose: std's process machinery would be most of the binary's growth.

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, dup2_stdout, execvp, fork, pipe, read};
use std::ffi::CString;
use std::os::fd::{AsFd, OwnedFd};

/// Runs `argv` with vfnet's stdout and stderr; fails unless it exits 0.
pub fn run(argv: &[&str]) -> Result<(), String> {
    spawn(argv, None).and_then(wait)
}

/// [`run`], waiting no later than `deadline`: a program still running
/// then is left to finish (a module half loaded is worse than one loading
/// late), and the error says so with its pid.
pub fn run_until(argv: &[&str], deadline: &crate::wait::Deadline) -> Result<(), String> {
    use nix::sys::wait::WaitPidFlag;
    let pid = spawn(argv, None)?;
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

/// Runs `argv` and returns what it printed on stdout.
pub fn output(argv: &[&str]) -> Result<String, String> {
    let (r, w) = pipe().map_err(|e| e.to_string())?;
    let pid = spawn(argv, Some(w))?;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n @ 1..) = read(&r, &mut buf) {
        out.extend_from_slice(&buf[..n]);
    }
    wait(pid)?;
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

fn wait(pid: nix::unistd::Pid) -> Result<(), String> {
    judge(waitpid(pid, None).map_err(|e| e.to_string())?)
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
