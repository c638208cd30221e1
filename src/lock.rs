//! Exclusive locks: the state lock that serializes changes to VFs, and the
//! config file's lock.
//!
//! Two `vfnet set` calls, or a `set` racing a boot-time `apply`, must not
//! interleave their writes to `sriov_numvfs`. They flock one file:
//! `/run/vfnet/lock`, or, where there is no /run (some initramfs stages),
//! a lock file next to the config. Lock files are opened with `O_NOFOLLOW`,
//! so a symlink planted at the path is refused, not followed.
//!
//! Every lock has a deadline: the command's own. The holder writes its pid
//! into the lock file, so a waiter says, after a second, who it waits for
//! (`waiting for /run/vfnet/lock, held by pid 812`), and gives up at the
//! deadline holding nothing.

use crate::error::{Error, Result};
use crate::sysfs::Root;
use crate::wait::{Deadline, secs, until};
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg, OFlag, open};
use nix::sys::stat::Mode;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A held lock; dropping it releases it.
pub type Lock = Flock<OwnedFd>;

/// How long a waiter is quiet before it says whom it waits for.
pub const QUIET: Duration = Duration::from_secs(1);

/// Where the state lock lives: under the root's /run (its symlinks
/// resolved inside the root), else next to the config file, whose path
/// `config` is with its symlinks already followed (`System::state_lock`).
pub fn state_path(root: &Root, config: &Path) -> PathBuf {
    let jail = (!root.is_live()).then(|| root.join("/"));
    // A /run that cannot be resolved (a link loop in a tree) counts as none.
    let run = crate::files::resolve(&root.join("/run"), jail.as_deref()).map(|r| r.path);
    if let Some(run) = run.ok().filter(|r| r.is_dir()) {
        let dir = run.join("vfnet");
        // Its own links resolved in the tree too (the lock itself is never
        // followed: O_NOFOLLOW).
        let dir = crate::files::resolve(&dir, jail.as_deref())
            .map(|r| r.path)
            .unwrap_or(dir);
        dir.join("lock")
    } else {
        crate::files::sibling(config, ".state.lock")
    }
}

/// Takes the state lock, waiting for another vfnet until the deadline.
/// `config` is the config file's real path (see [`state_path`]).
pub fn state(root: &Root, config: &Path, deadline: &Deadline) -> Result<Lock> {
    let path = state_path(root, config);
    if let Some(dir) = path.parent() {
        crate::files::mkdir(dir)?;
    }
    exclusive(&path, deadline)
}

/// Opens (creating, never through a symlink) and exclusively flocks `path`,
/// waiting for another holder until `deadline`, then records this pid in it.
pub fn exclusive(path: &Path, deadline: &Deadline) -> Result<Lock> {
    let flags = OFlag::O_RDWR | OFlag::O_CREAT | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let fd = open(path, flags, Mode::from_bits_truncate(0o600)).map_err(|e| error(path, e))?;
    let started = std::time::Instant::now();
    let mut fd = Some(fd);
    let mut told = false;
    let got = until(deadline, || {
        match Flock::lock(fd.take()?, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => Some(Ok(lock)),
            Err((f, Errno::EWOULDBLOCK)) => {
                if !told && started.elapsed() >= QUIET {
                    crate::out::note(format_args!(
                        "waiting for {}{} (up to {} more)",
                        path.display(),
                        holder(&f).map_or(String::new(), |p| crate::msg!(", held by pid {}", p)),
                        secs(deadline.remaining())
                    ));
                    told = true;
                }
                fd = Some(f);
                None
            }
            Err((_, e)) => Some(Err(error(path, e))),
        }
    });
    let lock = match got {
        Some(r) => r?,
        None => {
            let who = fd
                .as_ref()
                .and_then(holder)
                .map_or(String::new(), |p| format!(" (pid {p})"));
            return Err(Error::fail(crate::msg!(
                "another vfnet{} held the lock {} for {}: nothing was changed (try again, or raise --timeout)",
                who,
                path.display(),
                secs(deadline.elapsed())
            )));
        }
    };
    record_pid(&lock);
    Ok(lock)
}

/// Writes this process's pid into the held lock file.
fn record_pid(lock: &Lock) {
    use std::os::fd::AsFd;
    let pid = format!("{}\n", std::process::id());
    let _ = nix::unistd::ftruncate(lock.as_fd(), 0);
    let _ = nix::sys::uio::pwrite(lock.as_fd(), pid.as_bytes(), 0);
}

/// The pid the holder recorded, if it is a number.
fn holder(fd: &OwnedFd) -> Option<u32> {
    let mut buf = [0u8; 16];
    let n = nix::sys::uio::pread(fd, &mut buf, 0).ok()?;
    crate::sysfs::parse_u32(&buf[..n]).filter(|&p| p > 0)
}

fn error(path: &Path, e: Errno) -> Error {
    if e == Errno::ELOOP {
        return Error::fail(crate::msg!(
            "{} is a symlink; refusing to follow it (remove it)",
            path.display()
        ));
    }
    Error::io("lock", path, e)
}
