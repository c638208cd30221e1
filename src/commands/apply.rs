//! `vfnet apply`: make the live VF counts match the config file.
//!
//! [`plan`] is pure: the config and an inventory in, one [`Action`] per
//! config line out. `--dry-run` prints it; otherwise each action runs in
//! order and a failed one does not stop the others.

use crate::args::{self, Globals, Parsed};
use crate::config::{self, Config, Line, Source, VfSel};
use crate::error::{Error, Result};
use crate::pci::{self, DevKey, Inventory};
use crate::sysfs::Dir;
use crate::system::System;
use crate::uevent::Uevents;
use crate::vf::Wanted;
use crate::wait::{Deadline, secs, until_woken};
use crate::{lock, out, sriov};
use lexopt::prelude::*;
use std::time::Duration;

pub const USAGE: &str = "\
Usage: vfnet apply [--dry-run] [--wait SECS] [--timeout SECS] [--quiet]

Make the live VF counts match the config file, entry by entry: entries that
already match are left alone, the others are set as vfnet set does. A bad
entry (a line that does not parse, an unknown device, a count over the
device's total, a kernel error) is reported and the other entries still
apply; the exit status is then 1. Boot services run this, with --wait.

Prints one line per action: the device, what changed, how long it took.

Options:
  -n, --dry-run        print what would change and change nothing
  -w, --wait SECS      first wait up to SECS for every configured PF to appear
                       with its driver (at boot, drivers bind while apply
                       starts); PFs still missing then are reported, the
                       others applied
  -t, --timeout SECS   time for the kernel to make the changes (default 30)

One budget bounds the whole run: --wait plus --timeout (60 s for --wait 30).
Every wait (for PFs, the lock, the kernel, VF drivers) draws from it; what
is left undone when it runs out is reported, and apply exits 1.
  -q, --quiet          print errors only
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub dry_run: bool,
    pub timeout: Duration,
    /// How long to wait for configured PFs to appear; `None`: not at all.
    pub wait: Option<Duration>,
    pub quiet: bool,
}

pub fn parse(p: &mut lexopt::Parser, g: &mut Globals) -> Result<Parsed<Args>> {
    let mut args = Args {
        dry_run: false,
        timeout: args::DEFAULT_TIMEOUT,
        wait: None,
        quiet: false,
    };
    while let Some(arg) = p.next()? {
        crate::prologue!(arg, p, g, USAGE);
        match arg {
            Short('n') | Long("dry-run") => args.dry_run = true,
            Short('t') | Long("timeout") => args.timeout = args::timeout("apply", p.value()?)?,
            Short('w') | Long("wait") => {
                args.wait = Some(args::seconds("apply", "--wait", p.value()?, true)?)
            }
            Short('q') | Long("quiet") => args.quiet = true,
            _ => return Err(args::unexpected("apply", arg)),
        }
    }
    Ok(Parsed::Run(args))
}

/// What to do about one config line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The PF (index in the inventory) already has the count.
    Keep { line: usize, pf: usize, count: u32 },
    /// The PF needs to go from one count to another.
    Set {
        line: usize,
        pf: usize,
        from: u32,
        to: u32,
    },
    /// The line cannot be applied, and why.
    Fail { line: usize, error: String },
}

/// One action per entry or bad line of `cfg`, in file order.
pub fn plan(cfg: &Config, inv: &Inventory) -> Vec<Action> {
    let mut claimed: Vec<(usize, usize)> = Vec::new(); // (pf, line)
    let mut actions = Vec::new();
    for (i, l) in cfg.lines.iter().enumerate() {
        let line = i + 1;
        let fail = |error: String| Action::Fail { line, error };
        let (key, count) = match l {
            Line::Count { key, count, .. } => (key, *count),
            Line::Bad { error, .. } => {
                actions.push(fail(error.clone()));
                continue;
            }
            // VF settings are applied once the counts are right.
            Line::Other(_) | Line::Vf { .. } => continue,
        };
        let found = match key {
            DevKey::Pci(a) => inv.pf_by_addr(*a),
            DevKey::Name(n) => inv.pf_by_name(n),
        };
        let Some(p) = found else {
            actions.push(fail(missing(key, inv)));
            continue;
        };
        let pf = &inv.pfs[p];
        let label = pf.label();
        if !pf.sriov {
            actions.push(fail(format!("{label} does not support SR-IOV")));
            continue;
        }
        if let Some(&(_, first)) = claimed.iter().find(|c| c.0 == p) {
            actions.push(fail(format!(
                "{label} already has an entry on line {first}; this one is ignored"
            )));
            continue;
        }
        claimed.push((p, line));
        let (Some(total), Some(num)) = (pf.total_vfs, pf.num_vfs) else {
            actions.push(fail(format!(
                "{label}: cannot read its sriov_totalvfs or sriov_numvfs"
            )));
            continue;
        };
        if num == count {
            actions.push(Action::Keep { line, pf: p, count });
        } else if let Err(e) = sriov::check(count, total) {
            actions.push(fail(sriov::plan_error(&label, e).to_string()));
        } else {
            actions.push(Action::Set {
                line,
                pf: p,
                from: num,
                to: count,
            });
        }
    }
    actions
}

/// One VF to configure, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VfPlan {
    /// Index of its PF in the inventory.
    pub pf: usize,
    pub vf: u32,
    pub want: Wanted,
    /// The config lines that asked for it (a failure counts against them).
    pub lines: Vec<usize>,
}

/// What the VF setting lines ask of each VF that exists, and the lines that
/// cannot be applied (unknown device, no such VF) with why. A `vfN` line
/// wins over a `vfs` line of the same setting, wherever it stands.
/// `vfs` gives the VF indices each PF (by inventory index) has, or will
/// have once the counts are applied (for `--dry-run`).
pub fn plan_vfs(
    cfg: &Config,
    inv: &Inventory,
    vfs: &dyn Fn(usize) -> Vec<u32>,
) -> (Vec<VfPlan>, Vec<(usize, String)>) {
    let mut errors = Vec::new();
    let mut entries = Vec::new();
    for e in cfg.vf_entries() {
        let found = match e.key {
            DevKey::Pci(a) => inv.pf_by_addr(*a),
            DevKey::Name(n) => inv.pf_by_name(n),
        };
        let Some(pf) = found else {
            errors.push((e.line, missing(e.key, inv)));
            continue;
        };
        let indices = vfs(pf);
        let count = indices.len();
        if let VfSel::One(n) = e.vf {
            if !indices.contains(&n) {
                errors.push((
                    e.line,
                    format!(
                        "{} has no VF {n} (it has {})",
                        inv.pfs[pf].label(),
                        out::vfs(count as u32)
                    ),
                ));
                continue;
            }
        }
        entries.push((pf, e));
    }
    let mut plans = Vec::new();
    let mut pfs: Vec<usize> = entries.iter().map(|(pf, _)| *pf).collect();
    pfs.sort_unstable();
    pfs.dedup();
    for pf in pfs {
        for index in vfs(pf) {
            let mut want = Wanted::default();
            let mut lines = Vec::new();
            for pass in [VfSel::All, VfSel::One(index)] {
                for (_, e) in entries.iter().filter(|(p, e)| *p == pf && e.vf == pass) {
                    want.add(e.setting);
                    lines.push(e.line);
                }
            }
            if want != Wanted::default() {
                lines.sort_unstable();
                plans.push(VfPlan {
                    pf,
                    vf: index,
                    want,
                    lines,
                });
            }
        }
    }
    (plans, errors)
}

/// Consecutive plans of the same PF.
fn group_by_pf(plans: &[VfPlan]) -> Vec<(usize, &[VfPlan])> {
    plans
        .chunk_by(|a, b| a.pf == b.pf)
        .map(|g| (g[0].pf, g))
        .collect()
}

/// Why a key matches no PF: it names a VF, or nothing present.
fn missing(key: &DevKey, inv: &Inventory) -> String {
    let vf = inv.vfs().find(|(_, v)| match key {
        DevKey::Pci(a) => v.addr == *a,
        DevKey::Name(n) => v.interface.as_ref() == Some(n),
    });
    match vf {
        Some((pf, v)) => format!(
            "{key} is VF {} of {}: VF counts are set on PFs",
            v.index.map_or("?".to_string(), |i| i.to_string()),
            pf.label()
        ),
        None => match key {
            DevKey::Pci(a) => format!("no SR-IOV device {a} on this system now"),
            DevKey::Name(n) => format!("no network interface {n} on this system now"),
        },
    }
}

/// What went wrong in a run, counted per config entry (a line), plus the
/// failures that belong to no line.
#[derive(Debug, Default)]
pub struct Failures {
    lines: std::collections::BTreeSet<usize>,
    other: usize,
}

impl Failures {
    /// The closing sentence, given how many entries the file has: `1 of 2
    /// config entries failed (line 3); the others were applied`.
    pub fn summary(&self, total: usize, dry_run: bool) -> Option<String> {
        let n = self.lines.len();
        if n == 0 && self.other == 0 {
            return None;
        }
        let mut msg = if n == 0 {
            format!("{} failure(s) outside the config entries", self.other)
        } else {
            let which: Vec<String> = self.lines.iter().map(|l| l.to_string()).collect();
            format!(
                "{n} of {total} config entries failed (line{} {})",
                if n == 1 { "" } else { "s" },
                which.join(", ")
            )
        };
        if !dry_run && n < total {
            msg.push_str(if n == 0 {
                "; the config entries were applied"
            } else {
                "; the others were applied"
            });
        }
        Some(msg)
    }
}

pub fn run(s: &System, args: &Args) -> Result<()> {
    // One budget for the whole run: the wait for PFs, the locks, every
    // kernel change and every driver wait draw from it.
    let budget = Deadline::after(args.wait.unwrap_or_default() + args.timeout);
    if !args.dry_run {
        out::set_changing();
    }
    if args.quiet {
        out::set_quiet();
    }
    let root = &s.root;
    let sys = s.sys()?;
    let path = &s.config;
    let cfg = config::load(root, path)?;
    config::check_trusted(&cfg)?;
    let say = |line: String| {
        if !args.quiet {
            out::print(&line);
        }
    };
    if cfg.source == Source::Missing {
        say(format!(
            "No config file at {}: nothing to apply.\n",
            path.display()
        ));
        return Ok(());
    }
    let mut missing = Vec::new();
    if let Some(wait) = args.wait {
        let mut keys: Vec<&DevKey> = cfg.entries().map(|e| e.key).collect();
        keys.extend(
            cfg.vf_entries()
                .map(|e| e.key)
                .filter(|k| !keys.contains(k))
                .collect::<Vec<_>>(),
        );
        for (key, took) in wait_for(sys, &keys, wait.min(budget.remaining())) {
            match took {
                Some(t) => say(format!("{key}: appeared after {}.\n", secs(t))),
                None => missing.push(key.clone()),
            }
        }
    }
    // The plan comes from a scan taken under the lock: another vfnet's
    // change is seen, never reported as this one's.
    let _lock = if args.dry_run {
        None
    } else {
        Some(lock::state(root, path, &budget)?)
    };
    let inv = pci::scan(sys, true);
    let actions = plan(&cfg, &inv);
    let where_ = cfg.read_from();
    let entries = cfg
        .lines
        .iter()
        .filter(|l| !matches!(l, Line::Other(_)))
        .count();

    let mut failures = Failures::default();
    let mut fail = |lines: &[usize], error: &dyn std::fmt::Display| {
        let Some(&line) = lines.first() else {
            failures.other += 1;
            out::error(error);
            return;
        };
        failures.lines.extend(lines.iter().copied());
        let waited = match (&cfg.lines[line - 1], args.wait) {
            (Line::Count { key, .. } | Line::Vf { key, .. }, Some(w)) if missing.contains(key) => {
                format!(" (waited {} for it)", secs(w))
            }
            _ => String::new(),
        };
        let at = lines
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join(",");
        out::error(format_args!("{where_}:{at}: {error}{waited}"));
    };
    let spent = |budget: &Deadline| {
        format!(
            "not applied: apply's time budget ({}: --wait plus --timeout) ran out before this entry",
            secs(budget.timeout())
        )
    };
    for action in &actions {
        match action {
            Action::Keep { pf, count, .. } => {
                say(format!(
                    "{}: {}, as configured.\n",
                    inv.pfs[*pf].label(),
                    out::vfs(*count)
                ));
            }
            Action::Set { pf, from, to, .. } if args.dry_run => {
                say(format!(
                    "{}: would change {from} -> {to} VFs.\n",
                    inv.pfs[*pf].label()
                ));
            }
            Action::Set { line, .. } if budget.remaining().is_zero() => {
                fail(&[*line], &spent(&budget));
            }
            Action::Set { line, pf, to, .. } => {
                let result = pci::resolve(sys, &DevKey::Pci(inv.pfs[*pf].addr))
                    .and_then(|dev| sriov::set(&dev, *to, &budget));
                match result {
                    Ok(done) => say(format!(
                        "{}: {} -> {} VFs in {}.\n",
                        inv.pfs[*pf].label(),
                        done.from,
                        done.to,
                        secs(done.took)
                    )),
                    Err(e) => fail(&[*line], &e),
                }
            }
            Action::Fail { line, error } => fail(&[*line], error),
        }
    }

    // VF settings, now that the counts are right.
    if cfg.vf_entries().next().is_some() {
        // A dry run changed no count: it plans for the VFs the counts will give.
        let inv = if args.dry_run {
            inv
        } else {
            pci::scan(sys, true)
        };
        let will = |pf: usize| -> Vec<u32> {
            let set = actions.iter().find_map(|a| match a {
                Action::Set { pf: p, to, .. } if args.dry_run && *p == pf => Some(*to),
                _ => None,
            });
            match set {
                Some(to) => (0..to).collect(),
                None => inv.pfs[pf].vfs.iter().filter_map(|v| v.index).collect(),
            }
        };
        let (plans, errors) = plan_vfs(&cfg, &inv, &will);
        for (line, error) in &errors {
            fail(&[*line], error);
        }
        let mut session = crate::engine::Session::new(s, budget)?;
        for (pf, group) in group_by_pf(&plans) {
            let group_lines = |g: &[VfPlan]| {
                let mut l: Vec<usize> = g.iter().flat_map(|p| p.lines.iter().copied()).collect();
                l.sort_unstable();
                l.dedup();
                l
            };
            let dev = match pci::resolve(sys, &DevKey::Pci(inv.pfs[pf].addr)) {
                Ok(d) => d,
                Err(e) => {
                    fail(&group_lines(group), &e);
                    continue;
                }
            };
            let link = if group.iter().any(|p| p.want.needs_netlink()) {
                match session.link(&dev) {
                    Ok(l) => Some(l),
                    // A dry run says what it would set without the kernel's view.
                    Err(_) if args.dry_run => None,
                    Err(e) => {
                        fail(&group_lines(group), &e);
                        continue;
                    }
                }
            } else {
                None
            };
            for p in group {
                if args.dry_run {
                    let have = link
                        .as_ref()
                        .and_then(|l| l.vfs.iter().find(|v| v.vf == p.vf));
                    let pf_mac = link.as_ref().and_then(|l| l.perm_address.or(l.address));
                    let what = match have {
                        Some(h) => crate::engine::summary(&p.want.changes(h, pf_mac), &p.want),
                        // Not there yet (or no kernel to ask): all of it.
                        None => p
                            .want
                            .settings()
                            .iter()
                            .map(|s| format!("{} {s}", s.name()))
                            .collect::<Vec<_>>()
                            .join("; "),
                    };
                    say(format!("{} VF {}: would set {what}.\n", dev.label(), p.vf));
                    continue;
                }
                if budget.remaining().is_zero() {
                    fail(
                        &p.lines,
                        &format!("{} VF {}: {}", dev.label(), p.vf, spent(&budget)),
                    );
                    continue;
                }
                let done =
                    crate::engine::configure(&mut session, &dev, link.as_ref(), p.vf, &p.want);
                say(crate::engine::report(&dev, p.vf, &done));
                for e in &done.errors {
                    fail(&p.lines, e);
                }
            }
        }
    }
    match failures.summary(entries, args.dry_run) {
        Some(msg) => Err(Error::fail(msg)),
        None => Ok(()),
    }
}

/// Waits up to `wait` for each key's device to be there with its driver
/// (see [`pci::ready`]), woken by kernel uevents, polling as a fallback.
/// Returns each key that was not there at first, with how long it took to
/// appear, or `None` if it never did.
fn wait_for<'k>(
    sys: &Dir,
    keys: &[&'k DevKey],
    wait: Duration,
) -> Vec<(&'k DevKey, Option<Duration>)> {
    let deadline = Deadline::after(wait);
    let mut late: Vec<(&DevKey, Option<Duration>)> = keys
        .iter()
        .filter(|k| !pci::ready(sys, k))
        .map(|k| (*k, None))
        .collect();
    if late.is_empty() {
        return late;
    }
    let events = Uevents::open();
    // With uevents, a change wakes the wait at once; the pauses only bound
    // how long a change without an event (a fake tree) goes unseen.
    let max_pause = Duration::from_millis(if events.active() { 250 } else { 100 });
    until_woken(
        &deadline,
        max_pause,
        |d| events.sleep(d),
        || {
            for (key, took) in late.iter_mut().filter(|(_, t)| t.is_none()) {
                if pci::ready(sys, key) {
                    *took = Some(deadline.elapsed());
                }
            }
            late.iter().all(|(_, t)| t.is_some()).then_some(())
        },
    );
    late
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ifname::IfName;
    use crate::pci::{PciAddr, Pf, Vf};
    use std::path::PathBuf;

    fn pf(addr: &str, name: &str, sriov: bool, total: u32, num: u32) -> Pf {
        Pf {
            addr: PciAddr::parse(addr).unwrap(),
            interfaces: vec![IfName::parse(name).unwrap()],
            subsystem: None,
            vendor: None,
            device: None,
            description: None,
            driver: None,
            sriov,
            total_vfs: sriov.then_some(total),
            num_vfs: sriov.then_some(num),
            iommu_group: None,
            configured: None,
            vfs: Vec::new(),
        }
    }

    fn inv() -> Inventory {
        let mut eth1 = pf("0000:01:00.1", "eth1", true, 7, 2);
        eth1.vfs.push(Vf {
            addr: PciAddr::parse("0000:01:10.1").unwrap(),
            index: Some(0),
            interface: Some(IfName::parse("eth1v0").unwrap()),
            mac: None,
            driver: None,
            iommu_group: None,
            settings: None,
        });
        Inventory {
            pfs: vec![
                pf("0000:01:00.0", "eth0", true, 7, 0),
                eth1,
                pf("0000:05:00.0", "eth5", false, 0, 0),
            ],
        }
    }

    fn plan_of(text: &str) -> Vec<Action> {
        plan(&Config::parse(PathBuf::from("/c"), text), &inv())
    }

    #[test]
    fn vf_lines_give_each_vf_its_settings_and_one_vf_lines_win() {
        let mut inv = inv();
        for i in 1..3 {
            let mut v = inv.pfs[1].vfs[0].clone();
            v.index = Some(i);
            inv.pfs[1].vfs.push(v);
        }
        let cfg = Config::parse(
            PathBuf::from("/c"),
            "eth1.vf1.vlan=7\neth1.vfs.mac=auto\neth1.vfs.vlan=5\n0000:01:00.1.vf2.driver=vfio-pci\neth1.vf9.trust=on\neth9.vfs.trust=on\n",
        );
        let vfs = |pf: usize| inv.pfs[pf].vfs.iter().filter_map(|v| v.index).collect();
        let (plans, errors) = plan_vfs(&cfg, &inv, &vfs);
        let errors: Vec<(usize, &str)> = errors.iter().map(|(l, e)| (*l, e.as_str())).collect();
        assert_eq!(
            errors,
            [
                (5, "eth1 (0000:01:00.1) has no VF 9 (it has 3 VFs)"),
                (6, "no network interface eth9 on this system now")
            ]
        );
        let want = |vlan, driver| Wanted {
            mac: Some(crate::vf::MacSpec::Auto),
            vlan: Some(vlan),
            driver,
            ..Wanted::default()
        };
        assert_eq!(
            plans,
            [
                VfPlan {
                    pf: 1,
                    vf: 0,
                    want: want(5, None),
                    lines: vec![2, 3],
                },
                VfPlan {
                    pf: 1,
                    vf: 1,
                    want: want(7, None),
                    lines: vec![1, 2, 3],
                },
                VfPlan {
                    pf: 1,
                    vf: 2,
                    want: want(5, Some(crate::vf::Driver::VfioPci)),
                    lines: vec![2, 3, 4],
                },
            ]
        );
    }

    #[test]
    fn entries_that_match_are_kept_and_others_set() {
        assert_eq!(
            plan_of("# x\n0000:01:00.0=4\neth1=2\n"),
            [
                Action::Set {
                    line: 2,
                    pf: 0,
                    from: 0,
                    to: 4
                },
                Action::Keep {
                    line: 3,
                    pf: 1,
                    count: 2
                }
            ]
        );
    }

    #[test]
    fn bad_entries_fail_alone_in_file_order() {
        let got = plan_of(
            "junk\neth9=1\neth1v0=1\neth1=8\neth5=1\n0000:01:00.0=3\neth0=1\n0000:01:10.1=1\n",
        );
        let errors: Vec<(usize, &str)> = got
            .iter()
            .filter_map(|a| match a {
                Action::Fail { line, error } => Some((*line, error.as_str())),
                _ => None,
            })
            .collect();
        let wants = [
            (1, "expected KEY=N"),
            (2, "no network interface eth9"),
            (3, "eth1v0 is VF 0 of eth1 (0000:01:00.1)"),
            (4, "at most 7"),
            (5, "does not support SR-IOV"),
            (7, "already has an entry on line 6"),
            (8, "0000:01:10.1 is VF 0"),
        ];
        assert_eq!(errors.len(), wants.len(), "{got:?}");
        for ((line, error), (want_line, want)) in errors.iter().zip(wants) {
            assert_eq!(*line, want_line);
            assert!(error.contains(want), "line {line}: {error}");
        }
        assert!(got.contains(&Action::Set {
            line: 6,
            pf: 0,
            from: 0,
            to: 3
        }));
    }
}
