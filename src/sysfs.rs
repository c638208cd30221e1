//! Every file-system touch of vfnet's kernel interface: the root override, and
//! small reads, link reads, listings and writes relative to an open directory.
//!
//! Nothing here knows about PCI or SR-IOV. [`Root`] turns an absolute system
//! path (`/sys`, `/etc/vfnet`, `/run`) into a path under the root override, so
//! tests point vfnet at a fake tree. [`Dir`] is an open directory; its methods
//! take a name relative to it (`openat`, `readlinkat`), which is one syscall
//! per read instead of a path walk from `/` each time: listing is mostly
//! syscalls, and on slow machines each costs microseconds.
//!
//! Names passed to [`Dir`] methods are trusted: they are constants, names the
//! kernel listed, or names checked by [`crate::ifname::IfName`] and
//! [`crate::pci::PciAddr`]. Nothing built from user input reaches here unchecked.
//!
//! Under a root override the tree is a sandbox. Every directory opened from
//! [`Root::sys`] remembers the root and its path inside it; every open that
//! may follow a symlink goes through `openat2(RESOLVE_IN_ROOT)` from the
//! root, so an absolute link target (sysfs dumps of other tools have them)
//! or a `..` too many resolves inside the tree, never on the host (where the
//! kernel has no `openat2`, before 5.6, `crate::chase` walks the same way in
//! userspace). A name below a directory already opened is first walked
//! from it with `RESOLVE_BENEATH` (a short walk that cannot leave it), and
//! from the root only when it must climb out. Reading a link's own target
//! never follows it. On the live system (`/`) none of this is needed, and
//! every call is the one plain `*at` syscall. [`Closer`] closes the
//! descriptors a listing drops a run at a time.

use nix::NixPath;
use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag, openat, openat2};
use nix::libc;
use nix::sys::stat::Mode;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The longest link target the kernel hands out (`PATH_MAX`).
pub const LINK_MAX: usize = 4096;

/// The root override: `/` on a live system, a fake tree in tests.
#[derive(Debug, Clone)]
pub struct Root {
    base: PathBuf,
}

impl Root {
    /// `--root DIR`, else `$VFNET_ROOT`, else `/`. A relative DIR is made
    /// absolute once, here: every path a message shows is then absolute.
    pub fn new(flag: Option<PathBuf>) -> Root {
        let base = flag
            .or_else(|| std::env::var_os("VFNET_ROOT").map(PathBuf::from))
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("/"));
        let base = match (base.is_absolute(), crate::files::cwd()) {
            (false, Ok(cwd)) => cwd.join(base),
            _ => base,
        };
        Root { base }
    }

    /// The system path of `host`, a path on this machine: `/etc/x` for
    /// `ROOT/etc/x`; `host` itself when it is not under the root. What
    /// files vfnet writes for the system in the tree name.
    pub fn system(&self, host: &Path) -> PathBuf {
        match host.strip_prefix(&self.base) {
            Ok(rel) if !self.is_live() => Path::new("/").join(rel),
            _ => host.to_path_buf(),
        }
    }

    /// True when vfnet works on the live system rather than a tree.
    pub fn is_live(&self) -> bool {
        self.base == Path::new("/")
    }

    /// The path of the system path `abs` (e.g. `/etc/vfnet`) under the root.
    pub fn join(&self, abs: &str) -> PathBuf {
        self.base.join(abs.trim_start_matches('/'))
    }

    /// The real path of the system path `abs` under the root: in a tree,
    /// its symlinks resolved inside the tree (an absolute link in it never
    /// leads to the host); on the live system, `abs` itself.
    pub fn real(&self, abs: &str) -> PathBuf {
        let path = self.join(abs);
        if self.is_live() {
            return path;
        }
        crate::files::resolve(&path, Some(&self.base))
            .map(|r| r.path)
            .unwrap_or(path)
    }

    /// Opens `ROOT/sys`: on a tree, inside the sandbox.
    pub fn sys(&self) -> Result<Dir, Errno> {
        self.open("sys")
    }

    /// Opens the directory `ROOT/rel` (`sys`, `proc`): on a tree, inside
    /// the sandbox.
    pub fn open(&self, rel: &str) -> Result<Dir, Errno> {
        if self.is_live() {
            return Dir::open(&Path::new("/").join(rel));
        }
        let root = nix::fcntl::open(&self.base, dir_flags(), Mode::empty())?;
        // A file system mounted `nodev` refuses to open device nodes
        // itself; on any other, each attribute's kind is checked first.
        let devices = nix::sys::statvfs::fstatvfs(&root).map_or(true, |v| {
            !v.flags().contains(nix::sys::statvfs::FsFlags::ST_NODEV)
        });
        let fd = open_in_root(&root, Path::new(rel), dir_flags())?;
        Ok(Dir {
            fd,
            jail: Some(Jail {
                root: Rc::new(root),
                rel: PathBuf::from(rel),
                devices,
            }),
        })
    }
}

/// An open directory. Dropping it closes the descriptor.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
    /// Under a root override: the root, and this directory's path in it.
    jail: Option<Jail>,
}

#[derive(Debug, Clone)]
struct Jail {
    root: Rc<OwnedFd>,
    rel: PathBuf,
    /// The tree's file system lets device nodes be opened (not `nodev`).
    devices: bool,
}

/// Attribute values are a few bytes; this is the largest we read.
pub const ATTR_MAX: usize = 128;

/// A read buffer for one attribute.
pub type AttrBuf = [u8; ATTR_MAX];

impl Dir {
    /// Opens a directory by absolute path.
    pub fn open(path: &Path) -> Result<Dir, Errno> {
        let fd = nix::fcntl::open(path, dir_flags(), Mode::empty())?;
        Ok(Dir { fd, jail: None })
    }

    /// True when this directory is in a tree under a root override (a fake
    /// or captured sysfs: nothing there reacts to writes by itself).
    pub fn in_tree(&self) -> bool {
        self.jail.is_some()
    }

    /// Opens `name` below this one with `flags`: in a tree, resolved from
    /// the root with `RESOLVE_IN_ROOT`.
    ///
    /// In a tree the walk first goes from this directory with
    /// `RESOLVE_BENEATH`: the short walk (`net/eth0/address`, not the whole
    /// path from the root through every symlink again) and, when it
    /// succeeds, the same file, since it never left a directory that is
    /// inside the root. A name whose walk must leave it (`..`, a link
    /// climbing out or absolute) is refused with EXDEV and walked from the
    /// root instead.
    ///
    /// In a tree, what is opened to be read or written must be a regular
    /// file or a directory (what sysfs attributes are, and how a tree
    /// records a refused read): a device node or FIFO planted in a tree (a
    /// capture unpacked as root keeps them) is refused with EACCES before
    /// anything opens it, as a `nodev` mount would.
    fn open_at(&self, name: &str, flags: OFlag) -> Result<OwnedFd, Errno> {
        match &self.jail {
            None => openat(&self.fd, name, flags, Mode::empty()),
            Some(j) if j.devices && !flags.intersects(OFlag::O_PATH | OFlag::O_DIRECTORY) => {
                self.open_checked(j, name, flags)
            }
            Some(j) => match open_beneath(&self.fd, name, flags, ResolveFlag::empty()) {
                Some(done) => done,
                None => open_in_root(&j.root, &j.rel.join(name), flags),
            },
        }
    }

    /// [`Dir::open_at`] in a tree that can hold device nodes. The common
    /// case costs one `fstatat` more: the kind of what `name` names with no
    /// symlink followed, then the open beneath this directory with
    /// `RESOLVE_NO_SYMLINKS`, so the two reach the same file. When a
    /// symlink is on the way (the open says ELOOP, or `fstatat` saw one),
    /// the walk in the tree with `O_PATH` (which opens nothing) gives the
    /// kind, then the open. `fstatat` may look up a path a symlink leads
    /// out of the tree to (never an automount), but what it finds there
    /// never decides anything: the open that follows refuses symlinks.
    fn open_checked(&self, j: &Jail, name: &str, flags: OFlag) -> Result<OwnedFd, Errno> {
        use nix::fcntl::AtFlags;
        let at = AtFlags::AT_SYMLINK_NOFOLLOW | AtFlags::AT_NO_AUTOMOUNT;
        match nix::sys::stat::fstatat(&self.fd, name, at) {
            Ok(st) if is_attr_kind(st.st_mode) => {
                if let Some(done) =
                    open_beneath(&self.fd, name, flags, ResolveFlag::RESOLVE_NO_SYMLINKS)
                {
                    return done;
                }
            }
            Err(e) if !name.contains('/') => return Err(e),
            Ok(st) if !name.contains('/') && st.st_mode & libc::S_IFMT != libc::S_IFLNK => {
                return Err(Errno::EACCES);
            }
            _ => {}
        }
        let fd = self.open_at(name, OFlag::O_PATH | OFlag::O_CLOEXEC)?;
        if !is_attr_kind(nix::sys::stat::fstat(&fd)?.st_mode) {
            return Err(Errno::EACCES);
        }
        drop(fd);
        match open_beneath(&self.fd, name, flags, ResolveFlag::empty()) {
            Some(done) => done,
            None => open_in_root(&j.root, &j.rel.join(name), flags),
        }
    }

    /// The directory holding the last component of `name` and that
    /// component, for calls that must not follow it (`readlinkat`,
    /// `fstatat` without following). In a tree, a `name` with a `/` has its
    /// leading part resolved inside the root.
    fn parent_of<'n>(&self, name: &'n str) -> Result<(Option<OwnedFd>, &'n str), Errno> {
        match (&self.jail, name.rsplit_once('/')) {
            (Some(j), Some((dir, last))) => {
                let fd = open_in_root(
                    &j.root,
                    &j.rel.join(dir),
                    OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                )?;
                Ok((Some(fd), last))
            }
            _ => Ok((None, name)),
        }
    }

    /// Opens the directory `name` below this one only to name things in it
    /// (`O_PATH`: links and attributes relative to it, no listing).
    pub fn open_path(&self, name: &str) -> Result<Dir, Errno> {
        let fd = self.open_at(name, OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC)?;
        let jail = self.jail.as_ref().map(|j| Jail {
            root: j.root.clone(),
            rel: j.rel.join(name),
            devices: j.devices,
        });
        Ok(Dir { fd, jail })
    }

    /// Opens the directory `name` below this one.
    pub fn open_dir(&self, name: &str) -> Result<Dir, Errno> {
        let fd = self.open_at(name, dir_flags())?;
        let jail = self.jail.as_ref().map(|j| Jail {
            root: j.root.clone(),
            rel: j.rel.join(name),
            devices: j.devices,
        });
        Ok(Dir { fd, jail })
    }

    /// Reads a small attribute with one `read`, without the trailing newline.
    /// A value that fills the whole buffer is refused as `EOVERFLOW`: it was
    /// not one of the short attributes this is for. `O_NONBLOCK`: a FIFO
    /// planted in a tree never blocks the read.
    pub fn read<'b>(&self, name: &str, buf: &'b mut AttrBuf) -> Result<&'b [u8], Errno> {
        self.read_then(name, buf, None)
    }

    /// [`Dir::read`], leaving the descriptor to `closer` to close with others.
    pub fn read_kept<'b>(
        &self,
        name: &str,
        buf: &'b mut AttrBuf,
        closer: &mut Closer,
    ) -> Result<&'b [u8], Errno> {
        self.read_then(name, buf, Some(closer))
    }

    fn read_then<'b>(
        &self,
        name: &str,
        buf: &'b mut AttrBuf,
        closer: Option<&mut Closer>,
    ) -> Result<&'b [u8], Errno> {
        let flags = if self.jail.is_some() {
            OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK
        } else {
            OFlag::O_RDONLY | OFlag::O_CLOEXEC
        };
        let fd = self.open_at(name, flags)?;
        let n = match nix::unistd::read(&fd, buf) {
            // In a tree (a capture, a test tree), an attribute the kernel
            // refused to read is a directory naming the errno: the same
            // refusal, replayed.
            Err(Errno::EISDIR) if self.jail.is_some() => return Err(self.refused(name)),
            r => r?,
        };
        if let Some(c) = closer {
            c.keep(fd);
        }
        if n == buf.len() {
            return Err(Errno::EOVERFLOW);
        }
        Ok(trim(&buf[..n]))
    }

    /// The errno a tree records for an attribute the kernel refused
    /// (`ATTR/errno` holding `EIO`); EIO when it names none.
    fn refused(&self, name: &str) -> Errno {
        let mut buf = [0u8; ATTR_MAX];
        let Ok(fd) = self.open_at(
            &format!("{name}/errno"),
            OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK,
        ) else {
            return Errno::EIO;
        };
        let n = nix::unistd::read(&fd, &mut buf).unwrap_or(0);
        errno_named(std::str::from_utf8(trim(&buf[..n])).unwrap_or(""))
    }

    /// Opens the regular file `name` for reading (never a FIFO or device:
    /// checked with `fstat`).
    pub fn open_file(&self, name: &str) -> Option<OwnedFd> {
        let fd = self
            .open_at(name, OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)
            .ok()?;
        let st = nix::sys::stat::fstat(&fd).ok()?;
        (st.st_mode & libc::S_IFMT == libc::S_IFREG).then_some(fd)
    }

    /// Reads the whole regular file `name` (a /proc file, whose size the
    /// kernel reports as 0), at most `cap` bytes; `None` when it cannot be
    /// read or is longer.
    pub fn read_to_end(&self, name: &str, cap: usize) -> Option<Vec<u8>> {
        match self.read_prefix(name, cap)? {
            (bytes, false) => Some(bytes),
            (_, true) => None,
        }
    }

    /// Reads the first `cap` bytes of the regular file `name`, and whether
    /// there was more: a process's command line longer than any vfnet
    /// needs to read still names its program and VM in its first bytes.
    pub fn read_prefix(&self, name: &str, cap: usize) -> Option<(Vec<u8>, bool)> {
        let mut out = Vec::new();
        let mut chunk = [0u8; 4096];
        let fd = self.open_file(name)?;
        loop {
            match nix::unistd::read(&fd, &mut chunk) {
                Ok(0) => return Some((out, false)),
                Ok(n) if out.len() + n > cap => {
                    let room = cap - out.len();
                    out.extend_from_slice(&chunk[..room]);
                    return Some((out, true));
                }
                Ok(n) => out.extend_from_slice(&chunk[..n]),
                Err(Errno::EINTR) => {}
                Err(_) => return None,
            }
        }
    }

    /// Reads the first bytes of `name` into `buf`: how many (0 for an empty
    /// file), or `None` when it cannot be read.
    pub fn read_first(&self, name: &str, buf: &mut [u8]) -> Option<usize> {
        let fd = self
            .open_at(name, OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)
            .ok()?;
        nix::unistd::read(&fd, buf).ok()
    }

    /// Reads an attribute holding a decimal number (`sriov_numvfs`: `3\n`).
    pub fn read_u32(&self, name: &str) -> Result<u32, Errno> {
        let mut buf = [0; ATTR_MAX];
        parse_u32(self.read(name, &mut buf)?).ok_or(Errno::EINVAL)
    }

    /// Reads an attribute holding a hex id (`vendor`: `0x8086\n`).
    pub fn read_hex_u16(&self, name: &str) -> Result<u16, Errno> {
        let mut buf = [0; ATTR_MAX];
        parse_hex_u16(self.read(name, &mut buf)?).ok_or(Errno::EINVAL)
    }

    /// Reads the raw target of the symlink `name` (never following it;
    /// leading components of `name` are followed, inside a tree's root).
    /// `buf` should hold [`LINK_MAX`] bytes: long targets are normal.
    pub fn link<'b>(&self, name: &str, buf: &'b mut [u8]) -> Result<&'b [u8], Errno> {
        let (parent, last) = self.parent_of(name)?;
        let dirfd = parent
            .as_ref()
            .map_or(self.fd.as_raw_fd(), |p| p.as_raw_fd());
        let n = last.with_nix_path(|path| {
            // SAFETY: path is NUL-terminated, buf is valid for buf.len() bytes.
            unsafe { libc::readlinkat(dirfd, path.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) }
        })?;
        let n = Errno::result(n)? as usize;
        if n == buf.len() {
            return Err(Errno::ENAMETOOLONG);
        }
        Ok(&buf[..n])
    }

    /// The last component of the symlink `name`'s target: the driver of
    /// `driver -> ../../../bus/pci/drivers/igb`, the group of `iommu_group`.
    pub fn link_name<'b>(&self, name: &str, buf: &'b mut [u8]) -> Result<&'b str, Errno> {
        let target = self.link(name, buf)?;
        let last = target.rsplit(|&b| b == b'/').next().unwrap_or(target);
        std::str::from_utf8(last).map_err(|_| Errno::EINVAL)
    }

    /// True when `name` exists (without following a final symlink).
    pub fn exists(&self, name: &str) -> bool {
        let Ok((parent, last)) = self.parent_of(name) else {
            return false;
        };
        let flags = nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW;
        match &parent {
            Some(p) => nix::sys::stat::fstatat(p, last, flags).is_ok(),
            None => nix::sys::stat::fstatat(&self.fd, last, flags).is_ok(),
        }
    }

    /// Calls `f` with each entry's name (not `.` or `..`), in the order the
    /// file system returns them. Uses `getdents64` with one large buffer, so a
    /// directory of a few hundred entries costs two syscalls.
    pub fn for_each_entry(&self, mut f: impl FnMut(&str)) -> Result<(), Errno> {
        // A fresh descriptor: the listing position belongs to the open file.
        let fd = openat(&self.fd, ".", dir_flags(), Mode::empty())?;
        // On the stack: a heap buffer this size costs an mmap and a munmap
        // per listing with musl's allocator.
        let mut buf = [0u8; 16 * 1024];
        loop {
            // SAFETY: buf is valid for buf.len() bytes; the kernel writes
            // whole linux_dirent64 records into it.
            let n = unsafe {
                libc::syscall(
                    libc::SYS_getdents64,
                    fd.as_raw_fd(),
                    buf.as_mut_ptr(),
                    buf.len(),
                )
            };
            let n = Errno::result(n)? as usize;
            if n == 0 {
                return Ok(());
            }
            for name in dirents(&buf[..n]) {
                if name != b"." && name != b".." {
                    if let Ok(name) = std::str::from_utf8(name) {
                        f(name);
                    }
                }
            }
        }
    }

    /// Writes `value` to an existing attribute (no `O_CREAT`: writing to a
    /// kernel attribute that is not there must fail, not create a file).
    /// The errno is the kernel's answer, which callers turn into advice.
    pub fn write(&self, name: &str, value: &[u8]) -> Result<(), Errno> {
        let flags = OFlag::O_WRONLY | OFlag::O_TRUNC | OFlag::O_CLOEXEC;
        let fd = self.open_at(name, flags)?;
        let n = nix::unistd::write(&fd, value)?;
        if n != value.len() {
            return Err(Errno::EIO);
        }
        Ok(())
    }
}

fn dir_flags() -> OFlag {
    OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC
}

/// Whether the kernel has `openat2` (5.6 on): 0 not known yet, 1 it has,
/// 2 it has not (ENOSYS) or a seccomp filter refuses it (EPERM).
static OPENAT2: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Opens `rel` with `flags`, resolved with `root` as `/`: `openat2` with
/// `RESOLVE_IN_ROOT` where the kernel has it, else the same walk in
/// userspace (`crate::chase`). The kernel answers EAGAIN when a rename
/// anywhere raced a `..` in the walk (it cannot then vouch that the walk
/// stayed inside): that is retried, a bounded number of times.
fn open_in_root(root: &OwnedFd, rel: &Path, flags: OFlag) -> Result<OwnedFd, Errno> {
    use std::sync::atomic::Ordering::Relaxed;
    if OPENAT2.load(Relaxed) == 2 {
        return crate::chase::open_in_root(root, rel, flags);
    }
    let how = OpenHow::new()
        .flags(flags)
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    let mut tries = 0;
    loop {
        match openat2(root, rel, how) {
            Err(Errno::EAGAIN) if tries < 1000 => tries += 1,
            Err(e @ (Errno::ENOSYS | Errno::EPERM)) if OPENAT2.load(Relaxed) == 0 => {
                // No openat2 here: the walk in userspace, from now on,
                // once it shows the refusal was the syscall's.
                let walked = crate::chase::open_in_root(root, rel, flags);
                if e == Errno::ENOSYS || walked.is_ok() {
                    OPENAT2.store(2, Relaxed);
                }
                return walked;
            }
            other => {
                if other.is_ok() {
                    OPENAT2.store(1, Relaxed);
                }
                return other;
            }
        }
    }
}

/// Opens `name` below `dir` without ever leaving it (`RESOLVE_BENEATH`), or
/// `None` when that cannot answer: the walk had to leave `dir` (EXDEV), a
/// rename raced it (EAGAIN), or there is no `openat2` (the caller's walk
/// from the root then finds out and remembers).
fn open_beneath(
    dir: &OwnedFd,
    name: &str,
    flags: OFlag,
    extra: ResolveFlag,
) -> Option<Result<OwnedFd, Errno>> {
    use std::sync::atomic::Ordering::Relaxed;
    if OPENAT2.load(Relaxed) != 1 {
        return None;
    }
    let how = OpenHow::new()
        .flags(flags)
        .resolve(ResolveFlag::RESOLVE_BENEATH | ResolveFlag::RESOLVE_NO_MAGICLINKS | extra);
    match openat2(dir, name, how) {
        Err(Errno::EXDEV | Errno::EAGAIN | Errno::ENOSYS | Errno::EPERM) => None,
        Err(Errno::ELOOP) if extra.contains(ResolveFlag::RESOLVE_NO_SYMLINKS) => None,
        done => Some(done),
    }
}

/// What sysfs attributes are (and how a tree records a refused read): the
/// only kinds opened in a tree that can hold device nodes.
fn is_attr_kind(mode: u32) -> bool {
    matches!(mode & libc::S_IFMT, libc::S_IFREG | libc::S_IFDIR)
}

/// Descriptors whose closing is put off, then done a run at a time with
/// `close_range` (Linux 5.9): listing 128 VFs opens and drops two
/// descriptors per VF, and one syscall then closes a whole run of them.
/// Holds at most [`Closer::MAX`] (a listing never nears the descriptor
/// limit); where `close_range` is missing or refused, each is closed alone.
#[derive(Default)]
pub struct Closer {
    fds: heapless::Vec<std::os::fd::RawFd, { Closer::MAX }>,
}

/// Whether `close_range` works here: 0 not known yet, 1 yes, 2 no.
static CLOSE_RANGE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

impl Closer {
    /// The most descriptors held before they are closed.
    pub const MAX: usize = 64;

    /// Takes `fd`, to be closed with the others.
    pub fn keep(&mut self, fd: OwnedFd) {
        use std::os::fd::IntoRawFd;
        if self.fds.is_full() {
            self.flush();
        }
        let _ = self.fds.push(fd.into_raw_fd());
    }

    /// Takes an open directory, to be closed with the others.
    pub fn keep_dir(&mut self, dir: Dir) {
        self.keep(dir.fd);
    }

    /// Closes every descriptor held: each run of consecutive numbers in
    /// one `close_range`, the rest one `close` each.
    pub fn flush(&mut self) {
        use std::sync::atomic::Ordering::Relaxed;
        let mut fds = std::mem::take(&mut self.fds);
        for (lo, hi) in runs(&mut fds) {
            let ranged = hi > lo
                && CLOSE_RANGE.load(Relaxed) != 2
                && match close_range(lo, hi) {
                    Ok(()) => {
                        CLOSE_RANGE.store(1, Relaxed);
                        true
                    }
                    Err(_) => {
                        CLOSE_RANGE.store(2, Relaxed);
                        false
                    }
                };
            if !ranged {
                for fd in lo..=hi {
                    // SAFETY: fd came from an OwnedFd given up to this closer.
                    unsafe { libc::close(fd) };
                }
            }
        }
    }
}

/// The runs of consecutive numbers in `fds`, as `(first, last)`, sorted.
fn runs(fds: &mut [std::os::fd::RawFd]) -> Vec<(std::os::fd::RawFd, std::os::fd::RawFd)> {
    fds.sort_unstable();
    let mut out: Vec<(std::os::fd::RawFd, std::os::fd::RawFd)> = Vec::new();
    for &fd in fds.iter() {
        match out.last_mut() {
            Some((_, hi)) if *hi + 1 == fd => *hi = fd,
            _ => out.push((fd, fd)),
        }
    }
    out
}

impl Drop for Closer {
    fn drop(&mut self) {
        self.flush();
    }
}

/// `close_range(lo, hi, 0)`: ENOSYS before 5.9, EPERM under some seccomp
/// filters (the caller then closes each itself).
fn close_range(lo: std::os::fd::RawFd, hi: std::os::fd::RawFd) -> Result<(), Errno> {
    // SAFETY: closes only descriptors the caller owns and has given up.
    let r = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            lo as libc::c_uint,
            hi as libc::c_uint,
            0,
        )
    };
    Errno::result(r).map(drop)
}

/// The names in a buffer of `linux_dirent64` records, stopping at the first
/// malformed record rather than reading past the buffer.
fn dirents(mut buf: &[u8]) -> impl Iterator<Item = &[u8]> {
    // struct linux_dirent64 { u64 d_ino; i64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
    const NAME: usize = 19;
    std::iter::from_fn(move || {
        if buf.len() < NAME {
            return None;
        }
        let reclen = u16::from_ne_bytes([buf[16], buf[17]]) as usize;
        if reclen < NAME || reclen > buf.len() {
            return None;
        }
        let raw = &buf[NAME..reclen];
        let name = &raw[..raw.iter().position(|&b| b == 0).unwrap_or(raw.len())];
        buf = &buf[reclen..];
        Some(name)
    })
}

/// Reads a whole (small) file by absolute path: a config file, pci.ids.
pub fn read_file(path: &Path) -> Result<Vec<u8>, Errno> {
    let fd = nix::fcntl::open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())?;
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match nix::unistd::read(&fd, &mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => out.extend_from_slice(&chunk[..n]),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}

/// The errnos a sysfs read returns, by the names trees record them under
/// (`ATTR/errno` holding `EIO`): spelled out here, not taken from `Debug`.
const ERRNOS: [(Errno, &str); 15] = [
    (Errno::EIO, "EIO"),
    (Errno::EACCES, "EACCES"),
    (Errno::EPERM, "EPERM"),
    (Errno::ENODEV, "ENODEV"),
    (Errno::ENXIO, "ENXIO"),
    (Errno::EINVAL, "EINVAL"),
    (Errno::EOPNOTSUPP, "EOPNOTSUPP"),
    (Errno::ENODATA, "ENODATA"),
    (Errno::EAGAIN, "EAGAIN"),
    (Errno::EBUSY, "EBUSY"),
    (Errno::ENOENT, "ENOENT"),
    (Errno::ENOMEM, "ENOMEM"),
    (Errno::ETIMEDOUT, "ETIMEDOUT"),
    (Errno::ERANGE, "ERANGE"),
    (Errno::ENOSPC, "ENOSPC"),
];

/// The errno a name like `EIO` (or a number) stands for; EIO for any other.
pub fn errno_named(name: &str) -> Errno {
    if let Ok(n) = name.parse::<i32>() {
        return Errno::from_raw(n);
    }
    ERRNOS
        .iter()
        .find(|(_, n)| *n == name)
        .map_or(Errno::EIO, |(e, _)| *e)
}

/// How a tree records `e`: its name, or its number for one sysfs never
/// returns.
pub fn errno_name(e: Errno) -> String {
    ERRNOS
        .iter()
        .find(|(x, _)| *x == e)
        .map_or_else(|| (e as i32).to_string(), |(_, n)| (*n).to_string())
}

/// Strips trailing whitespace (attributes end in `\n`).
pub fn trim(v: &[u8]) -> &[u8] {
    let end = v
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &v[..end]
}

/// A decimal number as the kernel prints it, nothing else.
pub fn parse_u32(v: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(trim(v)).ok()?;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A 16-bit id printed as `0x8086` (or `8086`, as `sriov_vf_device` is).
pub fn parse_hex_u16(v: &[u8]) -> Option<u16> {
    let s = std::str::from_utf8(trim(v)).ok()?;
    let s = s.strip_prefix("0x").unwrap_or(s);
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(s, 16).ok()
}

/// A path for messages and `Device Path` columns: `/sys/...` as the kernel
/// names it, without the root override prefix.
pub fn display_path(parts: &[&str]) -> String {
    let mut s = String::new();
    for p in parts {
        s.push('/');
        s.push_str(p.trim_matches('/'));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Held descriptors close as runs of consecutive numbers: one syscall
    /// per run, whatever order they came in; a stray is a run of one.
    #[test]
    fn held_descriptors_close_a_run_at_a_time() {
        let mut fds = [12, 9, 10, 11, 20, 14, 15, 3];
        assert_eq!(runs(&mut fds), vec![(3, 3), (9, 12), (14, 15), (20, 20)]);
        assert_eq!(runs(&mut []), vec![]);
    }

    #[test]
    fn a_prefix_is_read_up_to_its_cap_and_says_whether_there_was_more() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("exact"), vec![b'a'; 8192]).unwrap();
        std::fs::write(t.path().join("over"), vec![b'b'; 8193]).unwrap();
        nix::unistd::mkfifo(&t.path().join("fifo"), Mode::from_bits_truncate(0o644)).unwrap();
        let d = Dir::open(t.path()).unwrap();
        assert_eq!(
            d.read_prefix("exact", 8192),
            Some((vec![b'a'; 8192], false))
        );
        assert_eq!(d.read_prefix("over", 8192), Some((vec![b'b'; 8192], true)));
        assert_eq!(d.read_prefix("over", 10), Some((vec![b'b'; 10], true)));
        assert_eq!(
            d.read_to_end("over", 8192),
            None,
            "longer than its cap: not read whole"
        );
        assert_eq!(d.read_to_end("exact", 8192).map(|v| v.len()), Some(8192));
        assert_eq!(d.read_prefix("fifo", 10), None, "never a FIFO");
    }

    #[test]
    fn numbers_parse_as_the_kernel_prints_them() {
        assert_eq!(parse_u32(b"7\n"), Some(7));
        assert_eq!(parse_u32(b"0"), Some(0));
        assert_eq!(parse_u32(b"-1\n"), None);
        assert_eq!(parse_u32(b""), None);
        assert_eq!(parse_u32(b"1 2"), None);
        assert_eq!(parse_u32(b"99999999999"), None);
        assert_eq!(parse_hex_u16(b"0x8086\n"), Some(0x8086));
        assert_eq!(parse_hex_u16(b"10ca\n"), Some(0x10ca));
        assert_eq!(parse_hex_u16(b"0x"), None);
        assert_eq!(parse_hex_u16(b"0x123456"), None);
        assert_eq!(parse_hex_u16(b"zz"), None);
    }

    #[test]
    fn dirent_records_are_walked_and_malformed_ones_stop_the_walk() {
        let mut buf = Vec::new();
        for name in ["virtfn0", "vendor"] {
            let reclen = (19 + name.len() + 1 + 7) & !7;
            let start = buf.len();
            buf.resize(start + reclen, 0);
            buf[start + 16..start + 18].copy_from_slice(&(reclen as u16).to_ne_bytes());
            buf[start + 19..start + 19 + name.len()].copy_from_slice(name.as_bytes());
        }
        let names: Vec<_> = dirents(&buf).collect();
        assert_eq!(names, [b"virtfn0".as_slice(), b"vendor".as_slice()]);
        // A record claiming to be longer than the buffer ends the walk.
        let mut bad = buf.clone();
        bad[16..18].copy_from_slice(&9999u16.to_ne_bytes());
        assert_eq!(dirents(&bad).count(), 0);
        assert_eq!(dirents(&buf[..10]).count(), 0);
    }

    #[test]
    fn errno_names_map_back() {
        assert_eq!(errno_named("EACCES"), Errno::EACCES);
        assert_eq!(errno_named("ENODEV"), Errno::ENODEV);
        assert_eq!(errno_named("nonsense"), Errno::EIO);
        for (e, _) in ERRNOS {
            assert_eq!(errno_named(&errno_name(e)), e);
            assert_eq!(
                errno_name(e),
                format!("{e:?}"),
                "the name Debug gives in tests"
            );
        }
        assert_eq!(errno_named(&errno_name(Errno::EDOM)), Errno::EDOM);
    }

    #[test]
    fn root_joins_system_paths_under_the_override() {
        let r = Root::new(Some(PathBuf::from("/tmp/tree")));
        assert_eq!(
            r.join("/sys/class/net"),
            PathBuf::from("/tmp/tree/sys/class/net")
        );
        assert_eq!(
            display_path(&["sys/class/net", "eth0"]),
            "/sys/class/net/eth0"
        );
    }
}
