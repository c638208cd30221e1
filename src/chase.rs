//! Opening a path under a root in userspace, with the guarantees of
//! `openat2(RESOLVE_IN_ROOT)`, for kernels without it (before 5.6: Debian
//! 10's 4.19, many NAS appliances) and for sandboxes whose seccomp filter
//! refuses it (qemu-user 7.2, some container runtimes).
//!
//! The walk goes one component at a time from the root's descriptor, as
//! systemd's `chase()` does: each component is opened `O_PATH|O_NOFOLLOW`
//! relative to the directory before it and `fstat`ed; a symlink's target is
//! read from that descriptor and walked in its place (an absolute one from
//! the root again), `..` never climbs above the root, and no magic link of
//! /proc is ever followed (they are symlinks here like any other, read for
//! their text). The last component is opened with the caller's flags,
//! `O_NOFOLLOW`, and checked to be the same inode as the one walked to, so a
//! swap between the two opens is retried, not followed. At most
//! [`MAX_LINKS`] symlinks (ELOOP) and [`MAX_STEPS`] components (ENAMETOOLONG).

use nix::errno::Errno;
use nix::fcntl::{OFlag, openat, readlinkat};
use nix::libc;
use nix::sys::stat::{Mode, fstat};
use std::collections::VecDeque;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The most symlinks one walk follows (the kernel's own limit).
pub const MAX_LINKS: u32 = 40;

/// The most components one walk takes, symlink targets included.
pub const MAX_STEPS: usize = 4096;

/// Opens `rel` with `flags`, resolved with `root` as `/`.
pub fn open_in_root(root: &OwnedFd, rel: &Path, flags: OFlag) -> Result<OwnedFd, Errno> {
    let mut tries = 0;
    loop {
        match walk(root, rel, flags) {
            Err(Errno::EAGAIN) if tries < 100 => tries += 1,
            other => return other,
        }
    }
}

fn components(p: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    p.split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .map(<[u8]>::to_vec)
}

fn walk(root: &OwnedFd, rel: &Path, flags: OFlag) -> Result<OwnedFd, Errno> {
    let path_flags = OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    // The directories walked into below the root, innermost last.
    let mut stack: Vec<OwnedFd> = Vec::new();
    let mut todo: VecDeque<Vec<u8>> = components(rel.as_os_str().as_bytes()).collect();
    let (mut links, mut steps) = (0u32, 0usize);
    while let Some(c) = todo.pop_front() {
        steps += 1;
        if steps > MAX_STEPS {
            return Err(Errno::ENAMETOOLONG);
        }
        if c == b".." {
            stack.pop();
            continue;
        }
        let name = std::ffi::OsStr::from_bytes(&c);
        let here = stack.last().map_or(root.as_fd(), |d| d.as_fd());
        let fd = openat(here, name, path_flags, Mode::empty())?;
        let st = fstat(&fd)?;
        let link = st.st_mode & libc::S_IFMT == libc::S_IFLNK;
        if link && todo.is_empty() && flags.contains(OFlag::O_NOFOLLOW) {
            // As openat2 does: the link itself for O_PATH, else ELOOP.
            return match flags.contains(OFlag::O_PATH) {
                true => Ok(fd),
                false => Err(Errno::ELOOP),
            };
        }
        match st.st_mode & libc::S_IFMT {
            libc::S_IFLNK => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(Errno::ELOOP);
                }
                let target = readlinkat(&fd, "")?;
                let target = target.as_bytes();
                if target.first() == Some(&b'/') {
                    stack.clear();
                }
                for part in components(target).collect::<Vec<_>>().into_iter().rev() {
                    todo.push_front(part);
                }
            }
            _ if todo.is_empty() => {
                // The last component: opened as asked, never through a
                // link, and the same file the walk reached.
                let real = openat(here, name, flags | OFlag::O_NOFOLLOW, Mode::empty())
                    .map_err(|e| if e == Errno::ELOOP { Errno::EAGAIN } else { e })?;
                let again = fstat(&real)?;
                if (again.st_dev, again.st_ino) != (st.st_dev, st.st_ino) {
                    return Err(Errno::EAGAIN);
                }
                return Ok(real);
            }
            libc::S_IFDIR => stack.push(fd),
            _ => return Err(Errno::ENOTDIR),
        }
    }
    // The path ended in a directory reached through `..` or a link (or was
    // empty): that directory itself.
    let here = stack.last().map_or(root.as_fd(), |d| d.as_fd());
    openat(here, ".", flags, Mode::empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tree() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        let p = t.path();
        std::fs::create_dir_all(p.join("sys/devices/pci/0000:01:00.0")).unwrap();
        std::fs::write(p.join("sys/devices/pci/0000:01:00.0/vendor"), "0x8086\n").unwrap();
        std::fs::create_dir_all(p.join("sys/bus/pci/devices")).unwrap();
        symlink(
            "../../../devices/pci/0000:01:00.0",
            p.join("sys/bus/pci/devices/0000:01:00.0"),
        )
        .unwrap();
        t
    }

    fn root(t: &tempfile::TempDir) -> OwnedFd {
        nix::fcntl::open(
            t.path(),
            OFlag::O_RDONLY | OFlag::O_DIRECTORY,
            Mode::empty(),
        )
        .unwrap()
    }

    fn read(fd: OwnedFd) -> String {
        let mut f = std::fs::File::from(fd);
        let mut s = String::new();
        std::io::Read::read_to_string(&mut f, &mut s).unwrap();
        s
    }

    #[test]
    fn relative_links_resolve_inside_the_tree() {
        let t = tree();
        let fd = open_in_root(
            &root(&t),
            Path::new("sys/bus/pci/devices/0000:01:00.0/vendor"),
            OFlag::O_RDONLY,
        )
        .unwrap();
        assert_eq!(read(fd), "0x8086\n");
    }

    #[test]
    fn absolute_links_and_dotdots_never_leave_the_root() {
        let t = tree();
        let p = t.path();
        // An absolute link: from the tree's root, not the host's.
        symlink("/sys/devices/pci/0000:01:00.0", p.join("sys/abs")).unwrap();
        let fd = open_in_root(&root(&t), Path::new("sys/abs/vendor"), OFlag::O_RDONLY).unwrap();
        assert_eq!(read(fd), "0x8086\n");
        // `..` past the root stays at the root: /etc/hostname of the host
        // is never reached.
        symlink("../../../../../../../../etc", p.join("sys/up")).unwrap();
        assert_eq!(
            open_in_root(&root(&t), Path::new("sys/up/hostname"), OFlag::O_RDONLY).unwrap_err(),
            Errno::ENOENT
        );
        assert_eq!(
            open_in_root(
                &root(&t),
                Path::new("../../../../etc/hostname"),
                OFlag::O_RDONLY
            )
            .unwrap_err(),
            Errno::ENOENT
        );
        symlink("/etc/hostname", p.join("sys/host")).unwrap();
        assert_eq!(
            open_in_root(&root(&t), Path::new("sys/host"), OFlag::O_RDONLY).unwrap_err(),
            Errno::ENOENT
        );
    }

    #[test]
    fn loops_and_endless_chains_end() {
        let t = tree();
        let p = t.path();
        symlink("b", p.join("sys/a")).unwrap();
        symlink("a", p.join("sys/b")).unwrap();
        assert_eq!(
            open_in_root(&root(&t), Path::new("sys/a"), OFlag::O_RDONLY).unwrap_err(),
            Errno::ELOOP
        );
        // A link to its own directory, walked again and again.
        symlink(".", p.join("sys/self")).unwrap();
        let deep = "sys/".to_string() + &"self/".repeat(50) + "bus";
        assert_eq!(
            open_in_root(&root(&t), Path::new(&deep), OFlag::O_RDONLY).unwrap_err(),
            Errno::ELOOP
        );
        // A walk of more steps than any path has.
        let long = "sys/".to_string() + &"bus/../".repeat(3000) + "bus";
        assert_eq!(
            open_in_root(&root(&t), Path::new(&long), OFlag::O_RDONLY).unwrap_err(),
            Errno::ENAMETOOLONG
        );
    }

    #[test]
    fn directories_open_as_asked_and_files_are_not_directories() {
        let t = tree();
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY;
        assert!(
            open_in_root(
                &root(&t),
                Path::new("sys/bus/pci/devices/0000:01:00.0"),
                flags
            )
            .is_ok()
        );
        assert!(open_in_root(&root(&t), Path::new("sys/bus/.."), flags).is_ok());
        assert!(open_in_root(&root(&t), Path::new(""), flags).is_ok());
        assert_eq!(
            open_in_root(
                &root(&t),
                Path::new("sys/devices/pci/0000:01:00.0/vendor/x"),
                OFlag::O_RDONLY
            )
            .unwrap_err(),
            Errno::ENOTDIR
        );
    }
}
