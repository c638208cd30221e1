//! Exclusive locks: the state lock that serializes changes to VFs, and the
//! config file's lock.
//!
//! Two `vfnet set` calls, or a `set` racing a boot-time `apply`, must not
//! interleave their writes to `sriov_numvfs`. They flock one file:
//! `/run/vfnet/lock`, or, where there is no /run (some initramfs stages),
//! a lock file next to the config. Lock files are opened with `O_NOFOLLOW`,
//! so a symlink planted at the path is refused, not followed.

use crate::error::{Error, Result};
use crate::sysfs::Root;
use crate::wait::{Deadline, secs, until};
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg, OFlag, open};
use nix::sys::stat::Mode;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

pub type Lock = Flock<OwnedFd>;

/// Where the state lock lives.
pub fn state_path(root: &Root, config: &Path) -> PathBuf {
    let run = root.join("/run");
    if run.is_dir() {
        run.join("vfnet").join("lock")
    } else {
        crate::files::sibling(config, ".state.lock")
    }
}

/// Takes the state lock, waiting for another vfnet until the deadline.
pub fn state(root: &Root, config: &Path, deadline: &Deadline) -> Result<Lock> {
    let path = state_path(root, config);
    if let Some(dir) = path.parent() {
        crate::files::mkdir(dir)?;
    }
    exclusive(&path, Some(deadline))
}

/// Opens (creating, never through a symlink) and exclusively flocks `path`.
/// Without a deadline it waits as long as the holder keeps it.
pub fn exclusive(path: &Path, deadline: Option<&Deadline>) -> Result<Lock> {
    let flags = OFlag::O_RDWR | OFlag::O_CREAT | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let fd = open(path, flags, Mode::from_bits_truncate(0o600)).map_err(|e| error(path, e))?;
    let Some(deadline) = deadline else {
        return Flock::lock(fd, FlockArg::LockExclusive).map_err(|(_, e)| error(path, e));
    };
    let mut fd = Some(fd);
    let mut told = false;
    let got = until(deadline, || {
        match Flock::lock(fd.take()?, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => Some(Ok(lock)),
            Err((f, Errno::EWOULDBLOCK)) => {
                fd = Some(f);
                if !told {
                    crate::out::error(format_args!(
                        "waiting for another vfnet to finish (lock {})",
                        path.display()
                    ));
                    told = true;
                }
                None
            }
            Err((_, e)) => Some(Err(error(path, e))),
        }
    });
    got.unwrap_or_else(|| {
        Err(Error::fail(format!(
            "another vfnet held the lock {} for {}: nothing was changed (try again, or raise --timeout)",
            path.display(),
            secs(deadline.timeout())
        )))
    })
}

fn error(path: &Path, e: Errno) -> Error {
    if e == Errno::ELOOP {
        return Error::fail(format!(
            "{} is a symlink; refusing to follow it (remove it)",
            path.display()
        ));
    }
    Error::io("lock", path, e)
}
