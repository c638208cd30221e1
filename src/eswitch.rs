//! A PF's eswitch mode next to its VF count, and the VF representors a
//! PF in switchdev mode has.
//!
//! Drivers change the mode only while the PF has no VFs (mlx5, ice), so a
//! change is planned ([`plan`], pure) as: VFs to 0, the mode, VFs back to
//! N. [`change`] carries the plan out with [`crate::sriov`] and
//! [`crate::devlink`]: from the write of 0 to the write of N the stop
//! signals are held, and when the driver refuses the mode the VFs the PF
//! had are put back, so a PF is never left at 0 VFs half-way.
//!
//! In switchdev mode each VF has a representor netdev on the host, a
//! child of the PF's PCI device whose `phys_port_name` is `pfMvfN`
//! (`cNpfMvfN` on a multi-host card). [`attach`] moves those out of the
//! PF's interfaces onto their VFs, and on the live system asks devlink for
//! each SR-IOV PF's mode.

use crate::device::PfDev;
use crate::devlink::{Devlink, Mode};
use crate::error::{Error, Result};
use crate::inventory::Inventory;
use crate::sriov;
use crate::sysfs::Dir;
use crate::wait::Deadline;
use std::time::{Duration, Instant};

/// One step of a change of mode and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Make the PF have this many VFs ([`sriov::set`]).
    Count(u32),
    /// Set the eswitch mode.
    Mode(Mode),
}

/// The steps from `current` VFs in mode `mode` (`None`: unknown) to
/// `target` VFs in mode `want`. Empty when nothing changes.
pub fn plan(current: u32, target: u32, mode: Option<Mode>, want: Mode) -> Vec<Step> {
    let mut steps = Vec::new();
    if mode == Some(want) {
        if current != target {
            steps.push(Step::Count(target));
        }
        return steps;
    }
    if current > 0 {
        steps.push(Step::Count(0));
    }
    steps.push(Step::Mode(want));
    if target > 0 {
        steps.push(Step::Count(target));
    }
    steps
}

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Changed {
    /// The mode before (`None`: one vfnet does not know).
    pub mode_from: Option<Mode>,
    /// The count before.
    pub from: u32,
    /// The count after.
    pub to: u32,
    /// How long it took.
    pub took: Duration,
    /// VFs left without a driver although autoprobe is on.
    pub unbound: u32,
}

/// Makes the PF have `target` VFs in mode `want`, `mode` being what
/// devlink said it has; `set_mode` sets it (`Devlink::set_mode` for the
/// PF). The caller holds the state lock.
pub fn change(
    pf: &PfDev,
    set_mode: &mut dyn FnMut(Mode) -> std::result::Result<(), nix::errno::Errno>,
    mode: Option<Mode>,
    target: u32,
    want: Mode,
    deadline: &Deadline,
) -> Result<Changed> {
    let start = Instant::now();
    let current = sriov::read(pf, "sriov_numvfs")?;
    let steps = plan(current, target, mode, want);
    // From the write of 0 to the write of N: held signals, and the
    // kernel's grace for removing VFs whatever the deadline says.
    let window = current > 0 && steps.len() > 1;
    let held = window.then(crate::signals::hold);
    let grace = Deadline::after(sriov::GONE_GRACE);
    let mut unbound = 0;
    let mut failed = None;
    for step in &steps {
        let result = match *step {
            Step::Count(0) if window => sriov::set(pf, 0, &grace).map(|_| ()),
            Step::Count(n) => sriov::set(pf, n, deadline).map(|o| unbound = o.unbound),
            Step::Mode(m) => set_mode(m).map_err(|e| {
                let mut buf = [0u8; crate::sysfs::LINK_MAX];
                let driver = pf.dir.link_name("driver", &mut buf).ok();
                let mut text = refused(&pf.label(), m, Some(e), driver);
                if current > 0 {
                    // Back to the VFs it had, in the mode it had: written
                    // whatever the deadline, and their drivers given at
                    // least the grace.
                    let back = if deadline.remaining() > sriov::GONE_GRACE {
                        *deadline
                    } else {
                        Deadline::after(sriov::GONE_GRACE)
                    };
                    text.push_str(&match sriov::set(pf, current, &back) {
                        Ok(_) => crate::msg!("; its {} were put back", crate::out::vfs(current)),
                        Err(e) => {
                            crate::msg!("; putting its {} VFs back failed too: {}", current, e)
                        }
                    });
                }
                Error::fail(text)
            }),
        };
        if let Err(e) = result {
            failed = Some(e);
            break;
        }
    }
    if let Some(sig) = held.and_then(|h| h.release()) {
        let now = sriov::read(pf, "sriov_numvfs")
            .map_or(crate::msg!("an unreadable count of VFs"), crate::out::vfs);
        let what = failed.map_or(crate::msg!("the change was finished first"), |e| {
            e.to_string()
        });
        crate::out::error(format_args!(
            "{}: stopped by {}: {what}; it has {now} now",
            pf.label(),
            sig.as_str()
        ));
        std::process::exit(crate::signals::exit_status(sig));
    }
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(Changed {
        mode_from: mode,
        from: current,
        to: target,
        took: start.elapsed(),
        unbound,
    })
}

/// A mode's name; "an unknown mode" for one devlink reported that vfnet
/// does not know.
pub fn mode_name(m: Option<Mode>) -> &'static str {
    m.map_or("an unknown mode", |m| m.name())
}

/// The one line that says why the PF `label` cannot be put in mode
/// `want`: the kernel's refusal `e` in words, or (`None`) that there is
/// no devlink under `--root`.
pub fn refused(
    label: &str,
    want: Mode,
    e: Option<nix::errno::Errno>,
    driver: Option<&str>,
) -> String {
    let why = match e {
        Some(e) => crate::devlink::refusal(e, driver),
        None => {
            crate::msg!("eswitch modes go through the kernel's devlink: not available under --root")
        }
    };
    crate::msg!("{}: eswitch {}: {}", label, want.name(), why)
}

/// What `persist` records of the mode devlink reports (`reported`) when
/// the config has `recorded`: switchdev always (a `set --eswitch` to keep);
/// legacy only over a line that says otherwise (legacy is every driver's
/// default: no line is needed for it).
pub fn to_record(reported: Option<Mode>, recorded: Option<Mode>) -> Option<Mode> {
    match (reported, recorded) {
        (Some(Mode::Switchdev), _) => Some(Mode::Switchdev),
        (Some(Mode::Legacy), Some(_)) => Some(Mode::Legacy),
        _ => None,
    }
}

/// The mode devlink reports for one PF; `None` without one (or under
/// `--root`).
pub fn reported(live: bool, addr: crate::pci::PciAddr) -> Option<Mode> {
    if !live {
        return None;
    }
    Devlink::open().ok()?.mode(addr).ok().flatten()
}

/// The PF and VF numbers a representor's `phys_port_name` names:
/// `pf0vf3` and `c1pf0vf3` (a multi-host card's controller) give (0, 3).
/// The uplink (`p0`) and anything else give `None`.
pub fn representor_of(phys_port_name: &str) -> Option<(u32, u32)> {
    let s = phys_port_name.trim();
    let s = match s.strip_prefix('c') {
        Some(rest) => rest.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => s,
    };
    let (pf, vf) = s.strip_prefix("pf")?.split_once("vf")?;
    let num = |t: &str| {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.parse().ok())?
    };
    Some((num(pf)?, num(vf)?))
}

/// Moves each VF representor from its PF's interfaces onto its VF (only
/// PFs with more than one netdev can have any: one `phys_port_name` read
/// per netdev of those).
pub fn representors(sys: &Dir, inv: &mut Inventory) {
    let mut buf: crate::sysfs::AttrBuf = [0; crate::sysfs::ATTR_MAX];
    for pf in inv
        .pfs
        .iter_mut()
        .filter(|p| p.sriov && p.interfaces.len() > 1)
    {
        let mut keep = Vec::with_capacity(pf.interfaces.len());
        for name in std::mem::take(&mut pf.interfaces) {
            let path = crate::msg!("class/net/{}/phys_port_name", name);
            let vf = sys
                .read(&path, &mut buf)
                .ok()
                .and_then(|v| representor_of(std::str::from_utf8(v).ok()?))
                .and_then(|(_, n)| pf.vfs.iter_mut().find(|v| v.index == Some(n)));
            match vf {
                Some(vf) => vf.representor = Some(name),
                None => keep.push(name),
            }
        }
        pf.interfaces = keep;
    }
}

/// Asks devlink for the eswitch mode of each SR-IOV PF with a driver
/// (only a driver registers a devlink instance): one request per such PF,
/// and no socket at all when there is none. Live systems only.
pub fn modes(inv: &mut Inventory) {
    let asked = |p: &&mut crate::inventory::Pf| p.sriov && p.driver.is_some();
    if !inv.pfs.iter_mut().any(|p| asked(&p)) {
        return;
    }
    let Ok(mut dl) = Devlink::open() else { return };
    for pf in inv.pfs.iter_mut().filter(asked) {
        pf.eswitch = dl.mode(pf.addr).ok().flatten();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Mode::{Legacy, Switchdev};
    use Step::{Count, Mode as M};

    #[test]
    fn a_mode_change_happens_with_no_vfs_then_the_vfs_are_made() {
        assert_eq!(
            plan(0, 4, Some(Legacy), Switchdev),
            [M(Switchdev), Count(4)]
        );
        assert_eq!(
            plan(4, 4, Some(Legacy), Switchdev),
            [Count(0), M(Switchdev), Count(4)]
        );
        assert_eq!(
            plan(2, 8, Some(Switchdev), Legacy),
            [Count(0), M(Legacy), Count(8)]
        );
        assert_eq!(
            plan(3, 0, Some(Legacy), Switchdev),
            [Count(0), M(Switchdev)]
        );
        // An unknown mode is set, never assumed.
        assert_eq!(plan(0, 2, None, Legacy), [M(Legacy), Count(2)]);
    }

    #[test]
    fn the_right_mode_leaves_only_the_count_to_change() {
        assert_eq!(plan(4, 4, Some(Switchdev), Switchdev), []);
        assert_eq!(plan(2, 6, Some(Switchdev), Switchdev), [Count(6)]);
        assert_eq!(plan(0, 3, Some(Legacy), Legacy), [Count(3)]);
    }

    #[test]
    fn persist_records_switchdev_and_legacy_only_over_another_line() {
        assert_eq!(to_record(Some(Switchdev), None), Some(Switchdev));
        assert_eq!(to_record(Some(Switchdev), Some(Legacy)), Some(Switchdev));
        assert_eq!(to_record(Some(Legacy), Some(Switchdev)), Some(Legacy));
        assert_eq!(to_record(Some(Legacy), None), None);
        assert_eq!(to_record(None, Some(Switchdev)), None, "kept as it is");
    }

    #[test]
    fn representors_are_named_pf_m_vf_n() {
        assert_eq!(representor_of("pf0vf3\n"), Some((0, 3)));
        assert_eq!(representor_of("pf1vf12"), Some((1, 12)));
        assert_eq!(representor_of("c1pf0vf7"), Some((0, 7)));
        for other in [
            "p0", "p1s0", "pf0", "pf0sf1", "pfvf1", "pf0vf", "pf0vf1x", "", "vf0",
        ] {
            assert_eq!(representor_of(other), None, "{other}");
        }
    }
}
