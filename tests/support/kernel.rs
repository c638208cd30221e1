//! `FakeKernel`: a background thread that plays the kernel's part when something
//! (the vfnet binary, in another process) writes a PF's `sriov_numvfs` in a
//! `Tree`, following SYSFS.md:
//!
//! | write                         | fake kernel                                          |
//! |-------------------------------|------------------------------------------------------|
//! | 0 -> N                        | after `create_delay`: the N VFs (dir, attributes, IOMMU group = lowest free from `Machine::vf_group_base`, bus link, then `virtfnN`); with autoprobe 1 and a VF driver, each VF's netdev at once and its `driver` link `netdev_delay` later (probe() registers the netdev before the driver link exists) |
//! | N -> 0                        | after `remove_delay`: every VF removed, last first (`virtfnN`, `physfn`, netdev, driver, bus link, IOMMU group, dir) |
//! | N -> N                        | nothing                                              |
//! | N -> M, both nonzero          | refused: EBUSY                                       |
//! | > sriov_totalvfs              | refused: ERANGE (checked first)                      |
//! | not a u16 (`abc`, `-1`, `65536`) | refused: EINVAL                                   |
//! | any change, no PF driver (or a driver without sriov_configure, like mlx4_core) | refused: ENOENT |
//!
//! A regular file cannot make write(2) fail, so a refused write succeeds for the
//! writer; the fake kernel puts the old value back in the file and records a
//! `Violation` with the errno the real kernel would have returned. vfnet must
//! never attempt such a write, so tests assert `violations()` is empty.
//! Accepted writes leave the file reading `N\n`, as sysfs shows it.
//!
//! Why inotify rather than polling: a watch on each PF directory for
//! IN_CLOSE_WRITE queues one event per writer's close, in order, even while the
//! thread is busy creating VFs (waiting for a delay is a poll(2) timeout on the
//! inotify fd, never a sleep), and the value is read once the writer has closed
//! the file, so never the empty file between open(O_TRUNC) and write(2). IN_MODIFY
//! is watched too, only so that two writers' IN_CLOSE_WRITE events are never
//! adjacent in the queue: inotify merges identical adjacent unread events, which
//! would turn two quick writes of the same value into one. Polling the file
//! would miss a write of the same value, or two writes between polls.
//! The file is read whole and its first line parsed, so a writer that does not
//! truncate (writing `0\n` over `12\n` leaves `0\n\n`) is understood too. What no
//! watcher can recover: the value of a write overwritten by a second writer before
//! the thread has read it (writes closer together than the thread's wake-up,
//! tens of microseconds; both are counted in `writes()`, the first with the
//! second's value or, if the second has only truncated the file yet, with an
//! empty value), and a short write with neither O_TRUNC nor a newline (`0` over
//! `12\n` reads `02`). vfnet waits for each write's effect before the next, so
//! neither happens to it.
//! The fake kernel's own rewrites (and the `Tree` mutators') go through rename,
//! which is not IN_CLOSE_WRITE on `sriov_numvfs`, so they are never taken for writes.

use std::fs;
use std::io::Write as _;
use std::marker::PhantomData;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, InotifyEvent, WatchDescriptor};

use super::layout::{self, Sys};
use super::spec::PciFn;
use super::tree::Tree;

/// Ways the fake kernel can hang, to test vfnet's deadlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stuck {
    /// Never hangs.
    No,
    /// Accepts 0 -> N but never creates any VF.
    NoVfs,
    /// Creates the VFs (dirs, links, groups) but never probes them: no netdev, no driver.
    NoDrivers,
    /// Accepts N -> 0 but never removes the VFs.
    NoRemoval,
}

/// Timing and failure options of the fake kernel.
#[derive(Clone, Debug)]
pub struct KernelOpts {
    /// From an accepted 0 -> N write to the VFs appearing.
    pub create_delay: Duration,
    /// From a VF's netdev appearing to its `driver` link appearing.
    pub netdev_delay: Duration,
    /// From an accepted N -> 0 write to the VFs being gone.
    pub remove_delay: Duration,
    /// With a pattern naming rule: VF netdevs first appear as the kernel's ethN
    /// and udev renames them after this delay. None: the final name at once.
    pub rename_delay: Option<Duration>,
    pub stuck: Stuck,
    /// Only this PF (its address) is stuck; `None`: every PF.
    pub stuck_pf: Option<String>,
    /// A slow driver: the VFs appear one at a time, this long apart (each
    /// then gets its driver `netdev_delay` later). Zero: all at once.
    pub per_vf: Duration,
}

impl Default for KernelOpts {
    /// Short delays, enough for vfnet to have to wait: 20 ms, 10 ms, 30 ms.
    fn default() -> Self {
        KernelOpts {
            create_delay: Duration::from_millis(20),
            netdev_delay: Duration::from_millis(10),
            remove_delay: Duration::from_millis(30),
            rename_delay: None,
            stuck: Stuck::No,
            stuck_pf: None,
            per_vf: Duration::ZERO,
        }
    }
}

impl KernelOpts {
    /// No delays at all.
    pub fn instant() -> Self {
        KernelOpts {
            create_delay: Duration::ZERO,
            netdev_delay: Duration::ZERO,
            remove_delay: Duration::ZERO,
            ..Self::default()
        }
    }

    /// What SYSFS.md measured under QEMU TCG: 0.5 s to enable, 2.5 s to disable.
    pub fn tcg() -> Self {
        KernelOpts {
            create_delay: Duration::from_millis(500),
            netdev_delay: Duration::from_millis(50),
            remove_delay: Duration::from_millis(2500),
            ..Self::default()
        }
    }

    pub fn stuck(mut self, stuck: Stuck) -> Self {
        self.stuck = stuck;
        self
    }

    /// Stuck as `stuck`, but only the PF at `addr`.
    pub fn stuck_only(mut self, addr: &str, stuck: Stuck) -> Self {
        self.stuck = stuck;
        self.stuck_pf = Some(addr.to_string());
        self
    }

    /// A slow driver, as real ones on many VFs (nmstate: 64 i40e VFs in
    /// 22 s; the SR-IOV operator: 125 mlx5 VFs in about 65 s): each VF
    /// appears `per_vf` after the one before, its driver `probe` after it.
    pub fn slow(per_vf: Duration, probe: Duration) -> Self {
        KernelOpts {
            per_vf,
            netdev_delay: probe,
            ..Self::default()
        }
    }
}

/// A write the real kernel would have refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// PF address.
    pub pf: String,
    /// The value written (first line of the file).
    pub written: String,
    /// What write(2) would have returned.
    pub errno: Errno,
    /// num_VFs at the time.
    pub num_vfs: u32,
}

#[derive(Default)]
struct Log {
    writes: Vec<(String, String)>,
    violations: Vec<Violation>,
    busy: bool,
    sync_req: u64,
    sync_ack: u64,
    failed: Option<String>,
}

#[derive(Default)]
struct Shared {
    log: Mutex<Log>,
    cv: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The fake kernel thread of one `Tree`. It stops and is joined on drop (and
/// cannot outlive the tree). Panics on drop if the thread failed.
pub struct FakeKernel<'t> {
    shared: Arc<Shared>,
    ctl: fs::File,
    thread: Option<JoinHandle<()>>,
    _tree: PhantomData<&'t Tree>,
}

impl<'t> FakeKernel<'t> {
    /// Watches every PF of `tree` (functions with an SR-IOV capability); writes
    /// made after this returns are all seen.
    pub fn start(tree: &'t Tree, opts: KernelOpts) -> FakeKernel<'t> {
        let sys = tree.sys();
        let ino =
            Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC).expect("inotify_init1");
        let pfs = tree
            .machine()
            .pfs()
            .map(|f| {
                let wd = ino
                    .add_watch(
                        &sys.path(&f.dir()),
                        AddWatchFlags::IN_CLOSE_WRITE | AddWatchFlags::IN_MODIFY,
                    )
                    .unwrap_or_else(|e| panic!("inotify watch on {}: {e}", f.addr));
                PfState {
                    f: f.clone(),
                    wd,
                    num: layout::virtfns(&sys, f).len() as u32,
                    phantom: false,
                }
            })
            .collect();
        let (rd, wr) = nix::unistd::pipe().expect("pipe");
        let shared = Arc::new(Shared::default());
        let k = Kernel {
            ifindex: layout::next_ifindex(&sys),
            sys,
            opts,
            pfs,
            jobs: Vec::new(),
            seq: 0,
            group_base: tree.machine().vf_group_base(),
            shared: shared.clone(),
        };
        let sh = shared.clone();
        let thread = std::thread::Builder::new()
            .name("fake-kernel".into())
            .spawn(move || {
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| k.run(ino, rd)));
                if let Err(e) = r {
                    let msg = e
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "panic".into());
                    sh.lock().failed = Some(msg);
                    sh.cv.notify_all();
                }
            })
            .expect("spawn fake kernel");
        FakeKernel {
            shared,
            ctl: fs::File::from(wr),
            thread: Some(thread),
            _tree: PhantomData,
        }
    }

    /// Every write seen so far, in order: (PF address, value written).
    pub fn writes(&self) -> Vec<(String, String)> {
        self.check();
        self.shared.lock().writes.clone()
    }

    /// Writes the real kernel would have refused (see the module doc).
    pub fn violations(&self) -> Vec<Violation> {
        self.check();
        self.shared.lock().violations.clone()
    }

    /// Waits until every write made before this call has been handled and no
    /// work is scheduled (VFs created or removed, drivers bound). False on
    /// timeout (a `Stuck` kernel with work left never gets idle).
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let ticket = {
            let mut log = self.shared.lock();
            log.sync_req += 1;
            log.sync_req
        };
        (&self.ctl).write_all(b"s").expect("wake fake kernel");
        let deadline = Instant::now() + timeout;
        let mut log = self.shared.lock();
        loop {
            if let Some(f) = &log.failed {
                panic!("fake kernel failed: {f}");
            }
            if log.sync_ack >= ticket && !log.busy {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            log = self
                .shared
                .cv
                .wait_timeout(log, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Stops the thread (same as dropping).
    pub fn stop(self) {}

    fn check(&self) {
        if let Some(f) = &self.shared.lock().failed {
            panic!("fake kernel failed: {f}");
        }
    }
}

impl Drop for FakeKernel<'_> {
    fn drop(&mut self) {
        let _ = (&self.ctl).write_all(b"q");
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(f) = self.shared.lock().failed.take() {
            if !std::thread::panicking() {
                panic!("fake kernel failed: {f}");
            }
        }
    }
}

struct PfState {
    f: PciFn,
    wd: WatchDescriptor,
    /// num_VFs as the kernel has it, while work is pending or `phantom`.
    num: u32,
    /// Accepted 0 -> N but `Stuck::NoVfs`: num_VFs is N with no VF.
    phantom: bool,
}

enum Job {
    Create(u32),
    /// A slow driver: VF `.0` of `.1` now, the next `per_vf` later.
    CreateFrom(u32, u32),
    Bind(u32),
    Rename {
        n: u32,
        from: String,
    },
    RemoveAll,
    /// Puts num_VFs back in an empty `sriov_numvfs`.
    Settle,
}

struct Sched {
    at: Instant,
    seq: u64,
    pf: usize,
    job: Job,
}

struct Kernel {
    sys: Sys,
    opts: KernelOpts,
    pfs: Vec<PfState>,
    jobs: Vec<Sched>,
    seq: u64,
    ifindex: u32,
    group_base: u32,
    shared: Arc<Shared>,
}

impl Kernel {
    fn run(mut self, ino: Inotify, ctl: OwnedFd) {
        loop {
            let timeout = match self.jobs.iter().map(|j| j.at).min() {
                None => PollTimeout::NONE,
                Some(at) => {
                    let ms = at
                        .saturating_duration_since(Instant::now())
                        .as_micros()
                        .div_ceil(1000);
                    PollTimeout::try_from(ms.min(60_000) as u32).unwrap()
                }
            };
            let mut fds = [
                PollFd::new(ino.as_fd(), PollFlags::POLLIN),
                PollFd::new(ctl.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, timeout) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => panic!("poll: {e}"),
            }
            let ctl_ready = fds[1].revents().is_some_and(|r| !r.is_empty());
            let (mut quit, mut sync) = (false, None);
            if ctl_ready {
                let mut buf = [0u8; 64];
                let n = nix::unistd::read(&ctl, &mut buf).unwrap_or(0);
                quit = n == 0 || buf[..n].contains(&b'q');
                if buf[..n].contains(&b's') {
                    sync = Some(self.shared.lock().sync_req);
                }
            }
            loop {
                match ino.read_events() {
                    Ok(events) => events.into_iter().for_each(|e| self.event(e)),
                    Err(Errno::EAGAIN) => break,
                    Err(e) => panic!("inotify read: {e}"),
                }
            }
            self.run_due();
            let mut log = self.shared.lock();
            log.busy = !self.jobs.is_empty();
            if let Some(s) = sync {
                log.sync_ack = log.sync_ack.max(s);
            }
            drop(log);
            self.shared.cv.notify_all();
            if quit {
                return;
            }
        }
    }

    fn event(&mut self, e: InotifyEvent) {
        assert!(
            !e.mask.contains(AddWatchFlags::IN_Q_OVERFLOW),
            "inotify queue overflow: writes were lost"
        );
        if !e.mask.contains(AddWatchFlags::IN_CLOSE_WRITE)
            || e.name.as_deref() != Some("sriov_numvfs".as_ref())
        {
            return;
        }
        if let Some(i) = self.pfs.iter().position(|p| p.wd == e.wd) {
            self.write(i);
        }
    }

    fn pf_dir(&self, i: usize) -> String {
        self.pfs[i].f.dir()
    }

    /// num_VFs now: what was accepted while work is pending, else the VFs there are
    /// (so the `Tree` mutators, like `unbind_pf`, are taken into account).
    fn current(&self, i: usize) -> u32 {
        let p = &self.pfs[i];
        if p.phantom || self.jobs.iter().any(|j| j.pf == i) {
            p.num
        } else {
            layout::virtfns(&self.sys, &p.f).len() as u32
        }
    }

    fn write(&mut self, i: usize) {
        let file = format!("{}/sriov_numvfs", self.pf_dir(i));
        let Ok(bytes) = fs::read(self.sys.path(&file)) else {
            return;
        };
        let num = self.current(i);
        self.pfs[i].num = num;
        let addr = self.pfs[i].f.addr.clone();
        if bytes.is_empty() {
            // Another writer has truncated the file and not written yet (its own
            // event follows), or this one closed without writing. The value is
            // lost; rewriting now would send the other writer's write to a dead
            // inode, so only put the value back later if the file stays empty.
            self.shared.lock().writes.push((addr, String::new()));
            self.schedule(i, Instant::now() + Duration::from_millis(5), Job::Settle);
            return;
        }
        let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
        let line = String::from_utf8_lossy(line).into_owned();
        self.shared.lock().writes.push((addr.clone(), line.clone()));

        let refuse = |k: &mut Kernel, errno| {
            k.sys.replace(&file, &format!("{num}\n"), 0o644);
            k.shared.lock().violations.push(Violation {
                pf: addr.clone(),
                written: line.clone(),
                errno,
                num_vfs: num,
            });
        };
        let Some(n) = kstrtou16(&line).map(u32::from) else {
            return refuse(self, Errno::EINVAL);
        };
        let s = self.pfs[i].f.sriov.clone().unwrap();
        let total = self
            .sys
            .read(&format!("{}/sriov_totalvfs", self.pf_dir(i)))
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(s.total);
        if n > total {
            return refuse(self, Errno::ERANGE);
        }
        if n != num {
            let bound = self.sys.exists(&format!("{}/driver", self.pf_dir(i)));
            if !bound || !s.configurable {
                return refuse(self, Errno::ENOENT);
            }
            if n == 0 {
                self.jobs.retain(|j| j.pf != i);
                self.pfs[i].phantom = false;
                if self.stuck_of(i) != Stuck::NoRemoval {
                    self.schedule(i, Instant::now() + self.opts.remove_delay, Job::RemoveAll);
                }
            } else if num != 0 {
                return refuse(self, Errno::EBUSY);
            } else if self.stuck_of(i) == Stuck::NoVfs {
                self.pfs[i].phantom = true;
            } else {
                let after = self.jobs.iter().filter(|j| j.pf == i).map(|j| j.at).max();
                let at =
                    (Instant::now() + self.opts.create_delay).max(after.unwrap_or(Instant::now()));
                let job = match self.opts.per_vf.is_zero() {
                    true => Job::Create(n),
                    false => Job::CreateFrom(0, n),
                };
                self.schedule(i, at, job);
            }
            self.pfs[i].num = n;
        }
        if bytes != format!("{n}\n").as_bytes() {
            self.sys.replace(&file, &format!("{n}\n"), 0o644);
        }
    }

    /// How PF `i` is stuck.
    fn stuck_of(&self, i: usize) -> Stuck {
        match &self.opts.stuck_pf {
            Some(a) if *a != self.pfs[i].f.addr => Stuck::No,
            _ => self.opts.stuck,
        }
    }

    fn schedule(&mut self, pf: usize, at: Instant, job: Job) {
        self.seq += 1;
        self.jobs.push(Sched {
            at,
            seq: self.seq,
            pf,
            job,
        });
    }

    fn run_due(&mut self) {
        loop {
            let now = Instant::now();
            let next = self
                .jobs
                .iter()
                .enumerate()
                .filter(|(_, j)| j.at <= now)
                .min_by_key(|(_, j)| (j.at, j.seq))
                .map(|(k, _)| k);
            let Some(k) = next else { return };
            let j = self.jobs.swap_remove(k);
            self.execute(j.pf, j.job);
        }
    }

    /// Adds VF `n` of PF `i` (its directory, links, group) and, when the
    /// PF's autoprobe is on, its netdev, and schedules its driver.
    fn create_vf(&mut self, i: usize, n: u32, now: Instant) {
        let f = self.pfs[i].f.clone();
        let s = f.sriov.as_ref().unwrap();
        let autoprobe = self
            .sys
            .read(&format!("{}/sriov_drivers_autoprobe", f.dir()));
        let probe = autoprobe.as_deref().map(str::trim) == Some("1")
            && s.vf_driver.is_some()
            && self.stuck_of(i) != Stuck::NoDrivers;
        self.ifindex = self.ifindex.max(layout::next_ifindex(&self.sys));
        let group = f
            .iommu_group
            .map(|_| layout::free_group(&self.sys, self.group_base, &[]));
        let vf = layout::add_vf(&self.sys, &f, n, group);
        if !probe {
            return;
        }
        if f.is_network() {
            let eth = || layout::free_eth(&self.sys, &[]);
            let name = match (f.vf_netdev_name(n), self.opts.rename_delay) {
                (Some(_), Some(d)) => {
                    let from = eth();
                    self.schedule(
                        i,
                        now + d,
                        Job::Rename {
                            n,
                            from: from.clone(),
                        },
                    );
                    from
                }
                (Some(name), None) => name,
                (None, _) => eth(),
            };
            let dev = layout::vf_netdev(&name, &vf.addr);
            layout::add_netdev(&self.sys, &vf.dir(), &dev, self.ifindex, self.ifindex);
            self.ifindex += 1;
        }
        self.schedule(i, now + self.opts.netdev_delay, Job::Bind(n));
    }

    fn execute(&mut self, i: usize, job: Job) {
        let f = self.pfs[i].f.clone();
        let s = f.sriov.as_ref().unwrap();
        match job {
            Job::Create(count) => {
                let now = Instant::now();
                for n in 0..count {
                    self.create_vf(i, n, now);
                }
            }
            Job::CreateFrom(n, count) => {
                let now = Instant::now();
                self.create_vf(i, n, now);
                if n + 1 < count {
                    self.schedule(i, now + self.opts.per_vf, Job::CreateFrom(n + 1, count));
                }
            }
            Job::Bind(n) => {
                let vf = layout::vf_fn(&f, n, None);
                let d = vf.dir();
                if self.sys.exists(&d) && !self.sys.exists(&format!("{d}/driver")) {
                    layout::bind(&self.sys, &vf, s.vf_driver.as_deref().unwrap());
                }
            }
            Job::Rename { n, from } => {
                let vf = layout::vf_fn(&f, n, None);
                let to = f.vf_netdev_name(n).unwrap();
                if self.sys.exists(&format!("{}/net/{from}", vf.dir())) {
                    layout::rename_netdev(&self.sys, &vf.dir(), &from, &to);
                }
            }
            Job::Settle => {
                let file = format!("{}/sriov_numvfs", f.dir());
                if self.sys.read(&file).is_some_and(|c| c.is_empty()) {
                    let num = self.pfs[i].num;
                    self.sys.replace(&file, &format!("{num}\n"), 0o644);
                }
            }
            Job::RemoveAll => {
                for n in layout::virtfns(&self.sys, &f).into_iter().rev() {
                    layout::remove_vf(&self.sys, &f, n);
                }
            }
        }
    }
}

/// The kernel's kstrtou16(s, 0) on a value whose trailing newline is cut:
/// optional `+`, then decimal, `0x` hex or `0` octal, nothing else, <= 65535.
pub fn kstrtou16(s: &str) -> Option<u16> {
    let s = s.strip_prefix('+').unwrap_or(s);
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u16::from_str_radix(digits, radix).ok()
}
