//! Changing a PF's number of VFs: a pure plan, its execution with a deadline,
//! and the kernel's answers turned into advice.
//!
//! The kernel refuses to change a nonzero count to another nonzero count
//! (EBUSY), so [`plan`] goes through 0: `[Write(0), WaitGone, Write(n),
//! WaitReady(n)]`. [`execute`] performs the steps, polling with a short
//! backoff until the VFs are gone or present, and never past the deadline.
//!
//! "Present" means the kernel shows N `virtfnN` links and every VF has a
//! driver (the kernel registers a VF's netdev before it links the driver),
//! unless `sriov_drivers_autoprobe` is 0, in which case no driver will come.
//! A VF that still has no driver [`DRIVER_GRACE`] after all links exist is
//! taken as one no driver will claim (no VF driver module available), and
//! reported rather than waited for until the deadline.

use crate::device::PfDev;
use crate::error::{Error, Result, strerror};
use crate::pci::{PciAddr, virtfn_path};
use crate::scan::virtfns;
use crate::wait::{Deadline, secs, until_noted};
use nix::errno::Errno;
use std::time::{Duration, Instant};

/// One thing to do to `sriov_numvfs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Write this count to `sriov_numvfs`.
    Write(u32),
    /// Wait until no VF is left.
    WaitGone,
    /// Wait until this many VFs exist, with their drivers.
    WaitReady(u32),
}

/// Why a count cannot be planned at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanError {
    /// More VFs than `sriov_totalvfs` allows.
    OverTotal {
        /// The count asked for.
        want: u32,
        /// `sriov_totalvfs`.
        total: u32,
    },
    /// `sriov_totalvfs` is 0: SR-IOV is off in the device's firmware.
    Disabled,
}

/// Whether a PF allowing `total` VFs can have `target`.
pub fn check(target: u32, total: u32) -> std::result::Result<(), PlanError> {
    if target > 0 && total == 0 {
        return Err(PlanError::Disabled);
    }
    if target > total {
        return Err(PlanError::OverTotal {
            want: target,
            total,
        });
    }
    Ok(())
}

/// The steps from `current` VFs to `target`, given `total` allowed.
pub fn plan(current: u32, target: u32, total: u32) -> std::result::Result<Vec<Step>, PlanError> {
    if target == current {
        return Ok(Vec::new());
    }
    check(target, total)?;
    let mut steps = Vec::with_capacity(4);
    if current != 0 {
        steps.extend([Step::Write(0), Step::WaitGone]);
    }
    if target != 0 {
        steps.extend([Step::Write(target), Step::WaitReady(target)]);
    }
    Ok(steps)
}

/// The sentence for a count that cannot be planned.
pub fn plan_error(label: &str, e: PlanError) -> Error {
    plan_error_for(label, e, &Device::default())
}

/// What a message knows of the device: its driver, vendor and address,
/// for the fix it names (`crate::drivers`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Device<'a> {
    /// The PF's driver.
    pub driver: Option<&'a str>,
    /// Its vendor id.
    pub vendor: Option<u16>,
    /// Its address.
    pub addr: Option<PciAddr>,
}

/// [`plan_error`] with the fix the device's driver or vendor calls for.
pub fn plan_error_for(label: &str, e: PlanError, dev: &Device) -> Error {
    match e {
        PlanError::OverTotal { want, total } => {
            let fix = dev
                .addr
                .and_then(|a| crate::drivers::over_total_fix(dev.driver, a, want))
                .map_or(String::new(), |f| format!(": {f}"));
            Error::fail(crate::msg!(
                "{}: {} VFs is more than the device allows (at most {}){}",
                label,
                want,
                total,
                fix
            ))
        }
        PlanError::Disabled => {
            let fix = match dev.addr {
                Some(a) => crate::drivers::firmware_fix(dev.driver, dev.vendor, a),
                None => crate::msg!("enable it with the vendor's tool or in the BIOS, then reboot"),
            };
            Error::fail(crate::msg!(
                "{}: SR-IOV is disabled in the device's firmware (sriov_totalvfs is 0): {}",
                label,
                fix
            ))
        }
    }
}

/// How long to wait for a driver to claim VFs once all their links exist.
pub const DRIVER_GRACE: Duration = Duration::from_secs(2);

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The count before.
    pub from: u32,
    /// The count after.
    pub to: u32,
    /// How long it took.
    pub took: Duration,
    /// VFs left without a driver although autoprobe is on.
    pub unbound: u32,
}

/// Refuses what the kernel would refuse, reading only what no other vfnet
/// changes: more VFs than `sriov_totalvfs`, or VFs while no driver is bound
/// (the kernel's ENOENT). Callers run it before taking the state lock, to
/// fail early and change nothing; `set` runs it again under the lock.
pub fn check_pf(pf: &PfDev, target: u32) -> Result<u32> {
    let label = pf.label();
    let total = read(pf, "sriov_totalvfs")?;
    check(target, total).map_err(|e| {
        let driver = pf.driver();
        let dev = Device {
            driver: driver.as_deref(),
            vendor: pf.dir.read_hex_u16("vendor").ok(),
            addr: Some(pf.addr),
        };
        plan_error_for(&label, e, &dev)
    })?;
    if target > 0 && !pf.dir.exists("driver") {
        let ctx = Refused {
            label: &label,
            addr: pf.addr,
            dev: &dev_arg(pf),
            driver: None,
            total,
        };
        return Err(write_error(&ctx, target, Errno::ENOENT));
    }
    Ok(total)
}

/// A numeric attribute of the PF, or a message naming it.
pub fn read(pf: &PfDev, attr: &str) -> Result<u32> {
    pf.dir.read_u32(attr).map_err(|e| {
        Error::fail(crate::msg!(
            "{}: cannot read {}: {}",
            pf.label(),
            attr,
            strerror(e)
        ))
    })
}

/// Sets whether the PF's new VFs get a host driver
/// (`sriov_drivers_autoprobe`); returns whether it changed. The caller
/// holds the state lock.
pub fn set_autoprobe(pf: &PfDev, on: bool) -> Result<bool> {
    if pf.dir.read_u32("sriov_drivers_autoprobe").ok() == Some(on as u32) {
        return Ok(false);
    }
    let value: &[u8] = if on { b"1" } else { b"0" };
    pf.dir
        .write("sriov_drivers_autoprobe", value)
        .map_err(|e| {
            Error::fail(crate::msg!(
                "{}: cannot write sriov_drivers_autoprobe: {}",
                pf.label(),
                strerror(e)
            ))
        })?;
    Ok(true)
}

/// Makes the PF have `target` VFs. The caller holds the state lock.
pub fn set(pf: &PfDev, target: u32, deadline: &Deadline) -> Result<Outcome> {
    let total = check_pf(pf, target)?;
    let current = read(pf, "sriov_numvfs")?;
    let steps = plan(current, target, total).map_err(|e| plan_error(&pf.label(), e))?;
    if target > 0 && target != current {
        bring_up_if_needed(pf)?;
    }
    execute(pf, &steps, current, total, deadline)
}

/// Whether the PF's driver needs it up and it is down (`change::Now::down`):
/// `Some(true)` when it can be brought up (live), `Some(false)` when not.
pub fn down(pf: &PfDev) -> Option<bool> {
    let iface = pf.interfaces.first()?;
    if !crate::drivers::needs_up(pf.driver().as_deref()) {
        return None;
    }
    let mut buf: crate::sysfs::AttrBuf = [0; crate::sysfs::ATTR_MAX];
    let flags = pf
        .dir
        .read(&crate::msg!("net/{}/flags", iface), &mut buf)
        .ok()
        .and_then(|b| std::str::from_utf8(crate::sysfs::trim(b)).ok())
        .and_then(|f| u32::from_str_radix(f.trim_start_matches("0x"), 16).ok());
    if flags.is_some_and(|f| f & 1 != 0) {
        return None;
    }
    Some(!pf.dir.in_tree())
}

/// A driver that creates VFs only on an up PF (`crate::drivers::needs_up`:
/// bnxt_en) gets its PF brought up first, live, and vfnet says so; under
/// `--root` that is one line and no change.
fn bring_up_if_needed(pf: &PfDev) -> Result<()> {
    let Some(iface) = pf.interfaces.first() else {
        return Ok(());
    };
    if down(pf).is_none() {
        return Ok(());
    }
    let label = pf.label();
    let refuse = |why: String| {
        Error::fail(crate::msg!(
            "{} is down, and {}: {}; nothing was changed (ip link set {} up, then again)",
            label,
            crate::drivers::NEEDS_UP,
            why,
            iface
        ))
    };
    if pf.dir.in_tree() {
        return Err(refuse(crate::msg!(
            "under --root there is no kernel to bring it up"
        )));
    }
    let ifindex = pf
        .dir
        .read_u32(&crate::msg!("net/{}/ifindex", iface))
        .map_err(|e| refuse(crate::msg!("its ifindex cannot be read ({})", strerror(e))))?;
    let mut route = crate::netlink::Socket::route()
        .map_err(|e| refuse(crate::msg!("no rtnetlink socket ({})", strerror(e))))?;
    route
        .set_up(ifindex as i32)
        .map_err(|e| refuse(crate::msg!("bringing it up failed ({})", strerror(e))))?;
    crate::out::note(format_args!(
        "{label}: brought up first: {}",
        crate::drivers::NEEDS_UP
    ));
    Ok(())
}

/// How long the kernel gets to remove VFs between the two writes of a
/// change, whatever the command's deadline: once 0 is written, N is
/// written too, and this bounds the one wait in between.
pub const GONE_GRACE: Duration = Duration::from_secs(5);

/// Waits until the kernel shows no VF left, saying what it waits for
/// after a while; the error says where it stopped (0 written, the new
/// count not).
fn wait_gone(pf: &PfDev, wait: &Deadline) -> Result<()> {
    let label = pf.label();
    let links = || virtfns(&pf.dir).map(|v| v.len()).unwrap_or(0);
    let gone = until_noted(
        wait,
        || {
            crate::out::note(format_args!(
                "{label}: waiting for the kernel to remove its VFs ({} still there){}",
                links(),
                tree_note(pf)
            ))
        },
        || (links() == 0 && pf.dir.read_u32("sriov_numvfs").ok() == Some(0)).then_some(()),
    );
    if gone.is_some() {
        return Ok(());
    }
    Err(Error::fail(crate::msg!(
        "{}: 0 was written, but after {} the kernel still shows {} (sriov_numvfs {}); \
         the new count was not written: vfnet list shows the state, vfnet set {} N tries again",
        label,
        secs(wait.elapsed()),
        crate::out::vfs(links() as u32),
        pf.dir
            .read_u32("sriov_numvfs")
            .map_or("unreadable".to_string(), |n| n.to_string()),
        dev_arg(pf)
    )))
}

/// Performs `steps`. The first failure stops it, with a message that says
/// what state the PF was left in.
///
/// The deadline governs waiting, not finishing: once 0 is written on the
/// way from one nonzero count to another, N is written whatever the
/// deadline says (the kernel gets up to [`GONE_GRACE`] to remove the old
/// VFs), and SIGTERM, SIGINT and SIGHUP are held between the two writes:
/// one that arrives there is acted on after N is written, with a line that
/// says what the PF has then. Only the wait for the new VFs' drivers is
/// cut by the deadline, and its message says how many VFs exist.
pub fn execute(
    pf: &PfDev,
    steps: &[Step],
    current: u32,
    total: u32,
    deadline: &Deadline,
) -> Result<Outcome> {
    let start = Instant::now();
    let mut unbound = 0;
    // The window between writing 0 and writing N (> 0).
    let two_writes = steps.first() == Some(&Step::Write(0))
        && steps.iter().any(|s| matches!(s, Step::Write(n) if *n > 0));
    let mut held = None;
    for step in steps {
        match *step {
            Step::Write(n) => {
                if two_writes && n == 0 {
                    held = Some(crate::signals::hold());
                }
                let result = write_count(pf, n, total);
                // The window ends when N is written, or when a write fails.
                if n > 0 || result.is_err() {
                    if let Some(h) = held.take() {
                        stop_if_signalled(h, pf, &result);
                    }
                }
                result?;
            }
            Step::WaitGone => {
                // Between the two writes: the grace, whatever the deadline
                // (the kernel removes VFs within the write of 0; waiting
                // longer for a stuck one would only starve the others).
                let wait = if two_writes {
                    Deadline::after(GONE_GRACE)
                } else {
                    *deadline
                };
                if let Err(err) = wait_gone(pf, &wait) {
                    if let Some(h) = held.take() {
                        stop_if_signalled(h, pf, &Err(err.clone()));
                    }
                    return Err(err);
                }
            }
            Step::WaitReady(n) => unbound = wait_ready(pf, n, deadline)?,
        }
    }
    let to = match steps.last() {
        Some(Step::WaitReady(n)) => *n,
        Some(_) => 0,
        None => current,
    };
    Ok(Outcome {
        from: current,
        to,
        took: start.elapsed(),
        unbound,
    })
}

/// Writes `n` to `sriov_numvfs`, turning a refusal into advice.
fn write_count(pf: &PfDev, n: u32, total: u32) -> Result<()> {
    let mut text = heapless::String::<12>::new();
    let _ = core::fmt::write(&mut text, format_args!("{n}\n"));
    pf.dir.write("sriov_numvfs", text.as_bytes()).map_err(|e| {
        let mut buf = [0u8; crate::sysfs::LINK_MAX];
        let driver = pf.dir.link_name("driver", &mut buf).ok();
        let ctx = Refused {
            label: &pf.label(),
            addr: pf.addr,
            dev: &dev_arg(pf),
            driver,
            total,
        };
        let mut e = write_error(&ctx, n, e);
        if n > 0 {
            if let Error::Fail(m) = &mut e {
                m.push_str(" (the PF has 0 VFs now)");
            }
        }
        e
    })
}

/// Ends the signal window: when a stop signal came during it, says what
/// state the PF is in and exits as that signal would have.
fn stop_if_signalled(held: crate::signals::Held, pf: &PfDev, result: &Result<()>) {
    let Some(sig) = held.release() else {
        return;
    };
    let now = pf
        .dir
        .read_u32("sriov_numvfs")
        .map_or(crate::msg!("an unreadable count of VFs"), crate::out::vfs);
    let what = match result {
        Ok(()) => crate::msg!(
            "the change was finished first: it has {} now (their drivers may still be binding)",
            now
        ),
        Err(e) => crate::msg!("{}; it has {} now", e, now),
    };
    crate::out::error(format_args!(
        "{}: stopped by {}: {what}",
        pf.label(),
        sig.as_str()
    ));
    std::process::exit(crate::signals::exit_status(sig));
}

/// What a wait under a root override should add: nothing there is a kernel.
fn tree_note(pf: &PfDev) -> &'static str {
    if pf.dir.in_tree() {
        " (under --root the tree is plain files: unless a test plays the kernel, nothing changes by itself)"
    } else {
        ""
    }
}

/// How to name the PF on a command line: its interface, else its address.
fn dev_arg(pf: &PfDev) -> String {
    pf.interfaces
        .first()
        .map_or(pf.addr.to_string(), |i| i.to_string())
}

/// How many VF links exist and how many of them have a driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Census {
    links: u32,
    bound: u32,
}

fn census(pf: &PfDev) -> Census {
    let mut path = String::new();
    let indices = virtfns(&pf.dir).unwrap_or_default();
    let bound = indices
        .iter()
        .filter(|&&i| pf.dir.exists(virtfn_path(&mut path, i, "/driver")))
        .count();
    Census {
        links: indices.len() as u32,
        bound: bound as u32,
    }
}

/// Waits for `n` VFs and their drivers; returns how many have none.
pub fn wait_ready(pf: &PfDev, n: u32, deadline: &Deadline) -> Result<u32> {
    let autoprobe = pf.dir.read_u32("sriov_drivers_autoprobe").unwrap_or(1) != 0;
    let mut all_links_since: Option<Instant> = None;
    let mut last = Census { links: 0, bound: 0 };
    let label = pf.label();
    // The kernel has started: its work gets the time it needs, whatever
    // an earlier wait left of the budget (never past the cap).
    let deadline = deadline.for_work(allowance(n));
    let mut progress = Progress::new();
    let done = crate::wait::until(&deadline, || {
        last = census(pf);
        progress.tick(|secs| {
            crate::out::note(format_args!(
                "{label}: {} of {n} VFs, {} with a driver, {secs} s{}",
                last.links,
                last.bound,
                tree_note(pf)
            ))
        });
        if last.links != n {
            all_links_since = None;
            return None;
        }
        let since = *all_links_since.get_or_insert_with(Instant::now);
        let settled = !autoprobe || last.bound == n || since.elapsed() >= DRIVER_GRACE;
        settled.then_some(if autoprobe { n - last.bound } else { 0 })
    });
    done.ok_or_else(|| {
        let num = pf
            .dir
            .read_u32("sriov_numvfs")
            .map_or("unreadable".to_string(), |n| n.to_string());
        let why = match crate::signals::stopping() {
            Some(sig) => crate::msg!("vfnet was stopped by {} after {}", sig.as_str(), secs(deadline.elapsed())),
            None => crate::msg!("the deadline came after {}", secs(deadline.elapsed())),
        };
        Error::fail(crate::msg!("{}: {} was written to sriov_numvfs (it reads {}), but {}: the kernel shows \
             {} of {} VFs, {} with a driver; it may still be binding them: vfnet list shows the state", pf.label(), n, num, why, last.links, n, last.bound))
    })
}

/// How long the kernel's work on `n` VFs may take once their count is
/// written: 10 s, plus 1 s per VF. Measured by peers: 64 i40e VFs in 22 s
/// (nmstate PR #1704), 125 mlx5 VFs in about 65 s (the SR-IOV operator's
/// PR #1019), 60+ ixgbe VFs over 60 s (nmstate PR #2366): about 1 s a VF
/// at worst. 128 VFs get 138 s.
pub fn allowance(n: u32) -> Duration {
    Duration::from_secs(10 + u64::from(n))
}

/// How often a long wait says where it is: first after [`crate::wait::QUIET`],
/// then every [`PROGRESS_EVERY`].
pub const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// The progress lines of one wait.
struct Progress {
    start: Instant,
    next: Duration,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            start: Instant::now(),
            next: crate::wait::QUIET,
        }
    }

    /// Calls `say` with the whole seconds waited when a line is due.
    fn tick(&mut self, say: impl FnOnce(u64)) {
        let waited = self.start.elapsed();
        if waited >= self.next {
            say(waited.as_secs());
            self.next = waited + PROGRESS_EVERY;
        }
    }
}

/// What the advice for a refused write needs to know about the PF.
#[derive(Debug, Clone, Copy)]
pub struct Refused<'a> {
    /// How messages name the PF.
    pub label: &'a str,
    /// Its address.
    pub addr: PciAddr,
    /// How to name the PF on a command line.
    pub dev: &'a str,
    /// Its bound driver, if any.
    pub driver: Option<&'a str>,
    /// Its `sriov_totalvfs`.
    pub total: u32,
}

/// The kernel refused a write of `n` to `sriov_numvfs`: what it means and
/// what to do, by errno (see SYSFS.md for when the kernel answers each).
pub fn write_error(ctx: &Refused, n: u32, e: Errno) -> Error {
    let Refused {
        label,
        addr,
        dev,
        driver,
        total,
    } = *ctx;
    let msg = match e {
        Errno::ERANGE => crate::msg!(
            "{}: the kernel refused {} VFs: more than the device allows (at most {})",
            label,
            n,
            total
        ),
        Errno::EBUSY => crate::msg!(
            "{}: the kernel refused to change the VF count while VFs exist (device busy); another program may \
             be changing them at the same time, or the driver cannot release them now: try again, or vfnet set {} 0 first",
            label,
            dev
        ),
        Errno::ENOENT => match driver {
            None => crate::msg!(
                "{}: no driver is bound to the PF {}, and the kernel creates VFs only through the PF's \
                 driver: load or bind it first (modprobe the device's driver; vfnet list --all shows the PF)",
                label,
                addr
            ),
            Some(d) => crate::msg!(
                "{}: its driver {} does not let the kernel change VFs through sriov_numvfs; such drivers \
                 take the count as a module parameter (for mlx4_core: options mlx4_core num_vfs=N in /etc/modprobe.d)",
                label,
                d
            ),
        },
        Errno::ENOMEM | Errno::ENOSPC => crate::msg!(
            "{}: the kernel could not find PCI resources for {} VFs ({}): the firmware did not reserve enough \
             bus numbers or MMIO space. Enable SR-IOV (and Above 4G Decoding / Resizable BAR) in the BIOS, or boot \
             with pci=realloc; dmesg names the BAR that did not fit",
            label,
            n,
            strerror(e)
        ),
        Errno::EPERM if nix::unistd::geteuid().is_root() => {
            match crate::drivers::refused_perm(driver, n) {
                Some(why) => format!("{label}: {why}"),
                None => crate::msg!(
                    "{}: the driver {} refused {} VFs (operation not permitted); dmesg has its reason",
                    label,
                    driver.unwrap_or("of the PF"),
                    n
                ),
            }
        }
        Errno::EACCES | Errno::EPERM => {
            crate::msg!(
                "{}: permission denied writing sriov_numvfs: run vfnet as root",
                label
            )
        }
        Errno::EROFS => crate::msg!(
            "{}: sysfs is mounted read-only here (a container?): VFs can only be changed from the host",
            label
        ),
        Errno::EINVAL => crate::msg!(
            "{}: the kernel rejected {} as a VF count (invalid argument); dmesg has the driver's reason",
            label,
            n
        ),
        other => crate::msg!(
            "{}: writing {} to sriov_numvfs failed: {}; dmesg may say why",
            label,
            n,
            strerror(other)
        ),
    };
    Error::fail(msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Step::*;

    #[test]
    fn plans_go_through_zero_between_nonzero_counts() {
        assert_eq!(plan(0, 3, 7), Ok(vec![Write(3), WaitReady(3)]));
        assert_eq!(
            plan(3, 5, 7),
            Ok(vec![Write(0), WaitGone, Write(5), WaitReady(5)])
        );
        assert_eq!(
            plan(5, 3, 7),
            Ok(vec![Write(0), WaitGone, Write(3), WaitReady(3)])
        );
        assert_eq!(plan(5, 0, 7), Ok(vec![Write(0), WaitGone]));
    }

    #[test]
    fn the_current_count_needs_no_steps() {
        assert_eq!(plan(3, 3, 7), Ok(vec![]));
        assert_eq!(plan(0, 0, 0), Ok(vec![]));
    }

    #[test]
    fn counts_the_device_cannot_have_are_refused_before_any_write() {
        assert_eq!(
            plan(0, 8, 7),
            Err(PlanError::OverTotal { want: 8, total: 7 })
        );
        assert_eq!(
            plan(5, 8, 7),
            Err(PlanError::OverTotal { want: 8, total: 7 })
        );
        assert_eq!(plan(0, 1, 0), Err(PlanError::Disabled));
        let msg = plan_error(
            "eth0 (0000:01:00.0)",
            PlanError::OverTotal { want: 8, total: 7 },
        )
        .to_string();
        assert_eq!(
            msg,
            "eth0 (0000:01:00.0): 8 VFs is more than the device allows (at most 7)"
        );
    }

    #[test]
    fn kernel_errors_become_advice() {
        let addr = PciAddr::parse("0000:01:00.0").unwrap();
        let ctx = Refused {
            label: "eth0 (0000:01:00.0)",
            addr,
            dev: "eth0",
            driver: Some("igb"),
            total: 7,
        };
        let advice = |e| write_error(&ctx, 4, e).to_string();
        let cases = [
            (Errno::ERANGE, "at most 7"),
            (Errno::EBUSY, "vfnet set eth0 0"),
            (
                Errno::ENOENT,
                "its driver igb does not let the kernel change VFs",
            ),
            (Errno::ENOMEM, "pci=realloc"),
            (Errno::ENOSPC, "Resizable BAR"),
            (Errno::EACCES, "run vfnet as root"),
            // Run as root, an EPERM is the driver's refusal, not permissions.
            (
                Errno::EPERM,
                if nix::unistd::geteuid().is_root() {
                    "the driver igb refused 4 VFs"
                } else {
                    "run vfnet as root"
                },
            ),
            (Errno::EINVAL, "rejected 4 as a VF count"),
        ];
        let eio = format!("failed: {}", strerror(Errno::EIO));
        for (errno, want) in cases.into_iter().chain([(Errno::EIO, eio.as_str())]) {
            let msg = advice(errno);
            assert!(msg.starts_with("eth0 (0000:01:00.0): "), "{msg}");
            assert!(msg.contains(want), "{errno}: {msg}");
        }
        let unbound = Refused {
            driver: None,
            ..ctx
        };
        let msg = write_error(&unbound, 4, Errno::ENOENT).to_string();
        assert!(
            msg.contains("no driver is bound to the PF 0000:01:00.0"),
            "{msg}"
        );
    }
}
