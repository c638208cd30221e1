//! Writing files that must never be half-written: the config file and the
//! files `install` puts in place. Each is written to a temp file in the
//! same directory (created exclusively, never through a symlink), synced,
//! renamed over the old one, and the directory synced: a crash at any
//! instant leaves the old file or the new one.

use crate::error::{Error, Result};
use nix::errno::Errno;
use nix::fcntl::{AT_FDCWD as CWD, OFlag, open};
use nix::sys::stat::Mode;
use std::path::{Path, PathBuf};

/// The errno inside an `io::Error` (EIO when it has none).
pub fn errno(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(Errno::EIO as i32))
}

/// `/etc/vfnet/vfnet.conf` + `.lock` → `/etc/vfnet/vfnet.conf.lock`.
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The directory a file is in (`.` for a bare name).
pub fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Creates `dir` (mode 0755) when missing; its parent must exist.
pub fn mkdir(dir: &Path) -> Result<()> {
    match nix::unistd::mkdir(dir, Mode::from_bits_truncate(0o755)) {
        Ok(()) | Err(Errno::EEXIST) => Ok(()),
        Err(e) => Err(Error::io("create directory", dir, e)),
    }
}

/// Creates `dir` and any missing parents (mode 0755).
pub fn mkdir_p(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(up) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        mkdir_p(up)?;
    }
    mkdir(dir)
}

/// Replaces `path` with `bytes` (mode `mode`) atomically. The caller makes
/// sure nobody else writes `path` at the same time (a lock, or an admin
/// command): the temp file's name is fixed, and a stale one is removed.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let tmp = sibling(path, ".tmp");
    // Left by a crash, or planted: unlink never follows a symlink.
    let _ = nix::unistd::unlink(&tmp);
    let flags =
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let fd = open(&tmp, flags, Mode::from_bits_truncate(0o600))
        .map_err(|e| Error::io("create", &tmp, e))?;
    let result = (|| {
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = nix::unistd::write(&fd, rest).map_err(|e| Error::io("write", &tmp, e))?;
            rest = &rest[n..];
        }
        nix::sys::stat::fchmod(&fd, Mode::from_bits_truncate(mode))
            .map_err(|e| Error::io("chmod", &tmp, e))?;
        nix::unistd::fsync(&fd).map_err(|e| Error::io("sync", &tmp, e))?;
        nix::fcntl::renameat(CWD, &tmp, CWD, path).map_err(|e| Error::io("replace", path, e))
    })();
    if result.is_err() {
        let _ = nix::unistd::unlink(&tmp);
        return result;
    }
    let dir = parent(path);
    let dfd = open(
        dir,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::io("open", dir, e))?;
    nix::unistd::fsync(&dfd).map_err(|e| Error::io("sync", dir, e))
}
