//! `vfnet set DEV N`: change the number of VFs now, safely.

use crate::args::{self, Globals, Parsed};
use crate::error::Result;
use crate::pci::{self, DevKey};
use crate::system::System;
use crate::wait::{Deadline, secs};
use crate::{lock, out, render, sriov};
use lexopt::prelude::*;
use std::time::Duration;

pub const USAGE: &str = "\
Usage: vfnet set [--autoprobe on|off] [--timeout SECS] [--dry-run] [--force] DEV N

Make DEV have N VFs now (0 removes them). DEV is a PF's interface name
(enp1s0f0) or PCI address (0000:01:00.0), network device or not.

N is checked against the device's sriov_totalvfs first. Changing a nonzero
count goes through 0, as the kernel requires. vfnet returns once the kernel
shows the N VFs and their drivers (and netdevs), then lists them. The change
does not survive a reboot: vfnet persist records it.

Changing a nonzero count destroys every VF, the ones in use too: when a VF
is in use (a VM or program holding it through vfio, a container owning its
netdev, a bridge or an address on the host), set refuses, names each user,
and changes nothing, unless --force.

Options:
  -n, --dry-run        say what would change and who uses the VFs it destroys
  --force              change the count even when VFs are in use
  --autoprobe on|off   whether new VFs get a host driver (sriov_drivers_autoprobe);
                       off: VFs without a driver, ready for vfio-pci or a VM
  -t, --timeout SECS   give up waiting (for another vfnet, for the kernel)
                       after SECS (default 30). It bounds waiting, never
                       finishing: once 0 is written on the way to N, N is
                       written; SIGTERM, SIGINT and SIGHUP are held until then.
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub dev: DevKey,
    pub count: u32,
    pub timeout: Duration,
    /// Set `sriov_drivers_autoprobe` first.
    pub autoprobe: Option<bool>,
    pub dry_run: bool,
    /// Destroy VFs in use.
    pub force: bool,
}

pub fn parse(p: &mut lexopt::Parser, g: &mut Globals) -> Result<Parsed<Args>> {
    let (mut dev, mut count, mut timeout, mut autoprobe) =
        (None, None, args::DEFAULT_TIMEOUT, None);
    let (mut dry_run, mut force) = (false, false);
    while let Some(arg) = p.next()? {
        crate::prologue!(arg, p, g, USAGE);
        match arg {
            Short('t') | Long("timeout") => timeout = args::timeout("set", p.value()?)?,
            Short('n') | Long("dry-run") => dry_run = true,
            Long("force") => force = true,
            Long("autoprobe") => {
                autoprobe = match args::text("set", "--autoprobe", p.value()?)?.as_str() {
                    "on" => Some(true),
                    "off" => Some(false),
                    other => {
                        let v = crate::text::quote(other);
                        return Err(args::usage(
                            "set",
                            format!("--autoprobe takes on or off, not '{v}'"),
                        ));
                    }
                }
            }
            Value(v) if dev.is_none() => dev = Some(args::dev("set", v)?),
            Value(v) if count.is_none() => count = Some(args::count("set", v)?),
            _ => return Err(args::unexpected("set", arg)),
        }
    }
    let dev = dev.ok_or_else(|| args::usage("set", "missing DEV and N (see vfnet set -h)"))?;
    let count = count
        .ok_or_else(|| args::usage("set", "missing N, the number of VFs (see vfnet set -h)"))?;
    Ok(Parsed::Run(Args {
        dev,
        count,
        timeout,
        autoprobe,
        dry_run,
        force,
    }))
}

/// The guard's refusal: VFs in use and no `--force`.
fn refuse_in_use(label: &str, users: &[crate::guard::InUse], force: bool) -> Result<()> {
    if users.is_empty() || force {
        return Ok(());
    }
    Err(crate::guard::refuse(
        label,
        users,
        "changing the VF count destroys every VF (the kernel goes through 0)",
    ))
}

pub fn run(s: &System, args: &Args) -> Result<()> {
    // One deadline for the whole command, the lock included.
    let deadline = Deadline::after(args.timeout);
    out::set_changing();
    let root = &s.root;
    let sys = s.sys()?;
    let pf = pci::resolve(sys, &args.dev)?;
    // Refuse what cannot be done before taking the lock (which may create
    // its file): bad input changes nothing.
    sriov::check_pf(&pf, args.count)?;
    let label = pf.label();
    // The guard: a change of a nonzero count destroys every VF. It looks
    // once before the lock (a refusal then leaves no trace, not even the
    // lock file) and again under it: no other vfnet changes the count
    // between that look and the change.
    let survey = || -> Result<(u32, bool, Vec<crate::guard::InUse>)> {
        let current = sriov::read(&pf, "sriov_numvfs")?;
        let destroys = current > 0 && current != args.count;
        let users = if destroys {
            crate::guard::users(s, pf.addr)?
        } else {
            Vec::new()
        };
        Ok((current, destroys, users))
    };
    if args.dry_run {
        let (current, destroys, users) = survey()?;
        let mut text = if current == args.count {
            format!("{label} has {}: nothing would change.\n", out::vfs(current))
        } else if destroys {
            format!(
                "{label}: would change {current} -> {} VFs, through 0: VFs 0-{} are destroyed.\n",
                args.count,
                current - 1
            )
        } else {
            format!("{label}: would change {current} -> {} VFs.\n", args.count)
        };
        for l in crate::guard::lines(&label, &users) {
            text.push_str(&l);
            text.push('\n');
        }
        if !users.is_empty() && !args.force {
            text.push_str("set would refuse: VFs in use (--force destroys them anyway).\n");
        }
        out::print(&text);
        return Ok(());
    }
    // A first look that fails (another vfnet mid-change) is left to the
    // second.
    if let Ok((_, _, users)) = survey() {
        refuse_in_use(&label, &users, args.force)?;
    }
    let _lock = lock::state(root, &s.config, &deadline)?;
    let (_, _, users) = survey()?;
    refuse_in_use(&label, &users, args.force)?;
    for l in crate::guard::lines(&label, &users) {
        out::error(format_args!("--force: destroying {l}"));
    }
    if let Some(on) = args.autoprobe {
        if sriov::set_autoprobe(&pf, on)? {
            out::print(&format!(
                "{label}: autoprobe {}.\n",
                if on { "on" } else { "off" }
            ));
        }
    }
    let done = sriov::set(&pf, args.count, &deadline)?;
    if done.from == done.to {
        out::print(&format!(
            "{label} already has {}: nothing to do.\n",
            out::vfs(done.to)
        ));
        return Ok(());
    }
    let mut text = format!(
        "{label}: {} -> {} VFs in {}.\n",
        done.from,
        done.to,
        secs(done.took)
    );
    let mut unbound = Vec::new();
    if done.to > 0 {
        let inv = super::inventory(root, sys, true);
        if let Some(i) = inv.pf_by_addr(pf.addr) {
            text.push('\n');
            text.push_str(&render::vf_table(&inv.pfs[i], out::width()));
            unbound = inv.pfs[i]
                .vfs
                .iter()
                .filter(|v| v.driver.is_none())
                .map(|v| v.addr.to_string())
                .collect();
        }
    }
    if done.unbound > 0 {
        text.push_str(&unbound_note(root, done.unbound, &unbound));
    }
    out::print(&text);
    Ok(())
}

/// What to say about VFs no driver took: what the kernel log says about
/// them when it says anything, else neutral words (the PF may be a NIC, an
/// NVMe drive, a GPU: no guess about which module is missing).
fn unbound_note(root: &crate::sysfs::Root, n: u32, addrs: &[String]) -> String {
    let said =
        crate::kmsg::records(root, |r| addrs.iter().any(|a| r.mentions(a))).unwrap_or_default();
    // The last warning or error about them, else the last word about them.
    let line = said
        .iter()
        .rev()
        .find(|r| r.level <= 4)
        .or(said.last())
        .map(|r| r.message.as_str());
    let why = match line {
        Some(line) => format!("the kernel log says: {}", crate::text::quote(line)),
        None => "no driver took them, or one gave up on them (dmesg may say why)".to_string(),
    };
    format!(
        "\nnote: {} without a driver: {why}. They exist; a driver can take them later (vfnet vf DEV N driver vfio-pci for a VM).\n",
        out::vfs(n)
    )
}
