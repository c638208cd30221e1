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
        .map_err(|e| Error::io("create", path, e))?;
    let result = (|| {
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = nix::unistd::write(&fd, rest).map_err(|e| Error::io("write", path, e))?;
            rest = &rest[n..];
        }
        nix::sys::stat::fchmod(&fd, Mode::from_bits_truncate(mode))
            .map_err(|e| Error::io("chmod", path, e))?;
        nix::unistd::fsync(&fd).map_err(|e| Error::io("sync", path, e))?;
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

/// Why a file that must be a small regular file could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadError {
    /// open or read failed.
    Errno(Errno),
    /// It is not a regular file: what it is ("a FIFO (named pipe)").
    NotRegular(&'static str),
    /// It is larger than the cap: its size, as far as it was seen.
    TooLarge(u64),
}

/// Owner and mode of a file, from `fstat` on the descriptor read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// The owner's uid.
    pub uid: u32,
    /// The permission bits.
    pub mode: u32,
}

/// Reads the regular file `path`, at most `cap` bytes. It is opened with
/// `O_NONBLOCK` (a FIFO never blocks the open) and `O_NOFOLLOW`, and checked
/// with `fstat` on that descriptor: a FIFO, a device, a socket or a
/// directory is refused before a byte is read. Nothing past `cap` is read.
pub fn read_regular(path: &Path, cap: usize) -> std::result::Result<(Vec<u8>, Owner), ReadError> {
    let flags = OFlag::O_RDONLY
        | OFlag::O_NONBLOCK
        | OFlag::O_NOCTTY
        | OFlag::O_NOFOLLOW
        | OFlag::O_CLOEXEC;
    // Its kind first: opening a device node can act (a watchdog arms, a
    // tape rewinds), so only a regular file is ever opened.
    match nix::sys::stat::lstat(path) {
        Ok(st) if st.st_mode & nix::libc::S_IFMT != nix::libc::S_IFREG => {
            return Err(ReadError::NotRegular(kind_name(
                st.st_mode & nix::libc::S_IFMT,
            )));
        }
        Ok(_) => {}
        Err(e) => return Err(ReadError::Errno(e)),
    }
    let fd = match open(path, flags, Mode::empty()) {
        Ok(fd) => fd,
        // Opening a socket fails with ENXIO; a final symlink with ELOOP.
        Err(Errno::ENXIO) => return Err(ReadError::NotRegular("a socket")),
        Err(Errno::ELOOP) => return Err(ReadError::NotRegular("a symlink")),
        Err(e) => return Err(ReadError::Errno(e)),
    };
    let st = nix::sys::stat::fstat(&fd).map_err(ReadError::Errno)?;
    let kind = st.st_mode & nix::libc::S_IFMT;
    if kind != nix::libc::S_IFREG {
        return Err(ReadError::NotRegular(kind_name(kind)));
    }
    if st.st_size as u64 > cap as u64 {
        return Err(ReadError::TooLarge(st.st_size as u64));
    }
    let mut out = Vec::with_capacity((st.st_size as usize).min(cap) + 1);
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match nix::unistd::read(&fd, &mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                if out.len() + n > cap {
                    return Err(ReadError::TooLarge((out.len() + n) as u64));
                }
                out.extend_from_slice(&chunk[..n]);
            }
            Err(Errno::EINTR) => {}
            Err(e) => return Err(ReadError::Errno(e)),
        }
    }
    Ok((
        out,
        Owner {
            uid: st.st_uid,
            mode: st.st_mode & 0o7777,
        },
    ))
}

/// What a file type is, for messages.
pub fn kind_name(kind: u32) -> &'static str {
    match kind {
        nix::libc::S_IFIFO => "a FIFO (named pipe)",
        nix::libc::S_IFCHR => "a character device",
        nix::libc::S_IFBLK => "a block device",
        nix::libc::S_IFDIR => "a directory",
        nix::libc::S_IFSOCK => "a socket",
        nix::libc::S_IFLNK => "a symlink",
        _ => "not a regular file",
    }
}

/// How a path resolved: the path with no symlink left in it (as far as it
/// exists), and whether a symlink was followed on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The path with its symlinks followed.
    pub path: PathBuf,
    /// Whether a symlink led there.
    pub via_link: bool,
}

/// Follows every symlink in `path`, component by component, as the kernel
/// would, and returns the real path. With `jail`, the path must lie under
/// it, and absolute link targets and `..` resolve under it too: nothing
/// found through the tree lies outside it (a tree's `/etc/vfnet` linked to
/// `/mnt/tank` means the tree's `/mnt/tank`). A missing component ends the
/// walk: the rest is joined as it is. More than 40 links is ELOOP.
pub fn resolve(path: &Path, jail: Option<&Path>) -> std::result::Result<Resolved, Errno> {
    use std::collections::VecDeque;
    use std::ffi::OsString;
    use std::path::Component;
    // Both made absolute the same way: `--root demo/x550t` is relative.
    let absolute = |p: &Path| -> std::result::Result<PathBuf, Errno> {
        if p.is_absolute() {
            Ok(p.to_path_buf())
        } else {
            Ok(cwd()?.join(p))
        }
    };
    let jail = jail.map(absolute).transpose()?;
    let jail = jail.as_deref();
    let base = jail.unwrap_or(Path::new("/")).to_path_buf();
    let abs = absolute(path)?;
    let inside = match jail {
        Some(j) => abs.strip_prefix(j).map_err(|_| Errno::EXDEV)?.to_path_buf(),
        None => abs,
    };
    let parts = |p: &Path| -> Vec<OsString> {
        p.components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n.to_os_string()),
                Component::ParentDir => Some(OsString::from("..")),
                _ => None,
            })
            .collect()
    };
    let mut todo: VecDeque<OsString> = parts(&inside).into();
    let mut done = base.clone();
    let mut links = 0;
    let mut via_link = false;
    let mut missing = false;
    while let Some(c) = todo.pop_front() {
        if c == ".." {
            if done != base {
                done.pop();
            }
            continue;
        }
        let next = done.join(&c);
        if missing {
            done = next;
            continue;
        }
        match nix::sys::stat::lstat(&next) {
            Err(Errno::ENOENT) => {
                missing = true;
                done = next;
            }
            Err(e) => return Err(e),
            Ok(st) if st.st_mode & nix::libc::S_IFMT == nix::libc::S_IFLNK => {
                links += 1;
                if links > 40 {
                    return Err(Errno::ELOOP);
                }
                via_link = true;
                let target = std::fs::read_link(&next).map_err(|e| errno(&e))?;
                if target.is_absolute() {
                    done = base.clone();
                }
                for p in parts(&target).into_iter().rev() {
                    todo.push_front(p);
                }
            }
            Ok(_) => done = next,
        }
    }
    Ok(Resolved {
        path: done,
        via_link,
    })
}

/// The working directory, by the `getcwd` system call itself (the C
/// library's `getcwd` would link its `malloc` into the shipped build,
/// which has its own allocator: `crate::heap`).
pub fn cwd() -> std::result::Result<PathBuf, Errno> {
    use std::os::unix::ffi::OsStringExt;
    let mut buf = vec![0u8; 4096];
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    let n = unsafe { nix::libc::syscall(nix::libc::SYS_getcwd, buf.as_mut_ptr(), buf.len()) };
    if n < 0 {
        return Err(Errno::last());
    }
    // The length counts the trailing NUL.
    buf.truncate((n as usize).saturating_sub(1));
    Ok(PathBuf::from(std::ffi::OsString::from_vec(buf)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_resolve_to_their_targets_and_under_a_jail_stay_in_it() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        std::fs::create_dir_all(root.join("etc/vfnet")).unwrap();
        std::fs::create_dir_all(root.join("mnt/tank")).unwrap();
        symlink("/mnt/tank/vfnet.conf", root.join("etc/vfnet/vfnet.conf")).unwrap();
        let r = resolve(&root.join("etc/vfnet/vfnet.conf"), Some(root)).unwrap();
        assert_eq!(r.path, root.join("mnt/tank/vfnet.conf"));
        assert!(r.via_link);
        // `..` cannot climb out of the jail.
        symlink("../../../../../../etc/passwd", root.join("etc/up")).unwrap();
        let r = resolve(&root.join("etc/up"), Some(root)).unwrap();
        assert_eq!(r.path, root.join("etc/passwd"));
        // Without a jail, a relative link resolves next to itself.
        symlink("vfnet.conf", root.join("mnt/tank/link")).unwrap();
        let r = resolve(&root.join("mnt/tank/link"), None).unwrap();
        assert_eq!(r.path, root.join("mnt/tank/vfnet.conf"));
        // A loop is ELOOP, not a hang.
        symlink("b", root.join("a")).unwrap();
        symlink("a", root.join("b")).unwrap();
        assert_eq!(resolve(&root.join("a"), None), Err(Errno::ELOOP));
        // A plain file resolves to itself.
        std::fs::write(root.join("plain"), "x").unwrap();
        let r = resolve(&root.join("plain"), None).unwrap();
        assert_eq!((r.path, r.via_link), (root.join("plain"), false));
    }

    #[test]
    fn a_relative_jail_and_path_resolve_alike() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("tree/etc")).unwrap();
        std::fs::write(t.path().join("tree/etc/c"), "").unwrap();
        let here = std::env::current_dir().unwrap();
        let rel = pathdiff(t.path(), &here);
        let r = resolve(&rel.join("tree/etc/c"), Some(&rel.join("tree"))).unwrap();
        assert_eq!(
            std::fs::canonicalize(&r.path).unwrap(),
            std::fs::canonicalize(t.path().join("tree/etc/c")).unwrap()
        );
    }

    /// `to` relative to `from` (both absolute), with `..` as needed.
    fn pathdiff(to: &Path, from: &Path) -> PathBuf {
        let ups = from.components().count() - 1;
        let mut p = PathBuf::new();
        for _ in 0..ups {
            p.push("..");
        }
        p.join(to.strip_prefix("/").unwrap())
    }

    #[test]
    fn only_small_regular_files_are_read() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("c");
        std::fs::write(&f, "eth0=1\n").unwrap();
        assert_eq!(read_regular(&f, 100).unwrap().0, b"eth0=1\n");
        assert_eq!(read_regular(&f, 3), Err(ReadError::TooLarge(7)));
        assert_eq!(
            read_regular(t.path(), 100),
            Err(ReadError::NotRegular("a directory"))
        );
        let fifo = t.path().join("fifo");
        nix::unistd::mkfifo(&fifo, Mode::from_bits_truncate(0o600)).unwrap();
        assert_eq!(
            read_regular(&fifo, 100),
            Err(ReadError::NotRegular("a FIFO (named pipe)"))
        );
        assert_eq!(
            read_regular(Path::new("/dev/null"), 100),
            Err(ReadError::NotRegular("a character device"))
        );
    }
}
