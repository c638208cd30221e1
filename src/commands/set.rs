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
Usage: vfnet set [--autoprobe on|off] [--timeout SECS] DEV N

Make DEV have N VFs now (0 removes them). DEV is a PF's interface name
(enp1s0f0) or PCI address (0000:01:00.0), network device or not.

N is checked against the device's sriov_totalvfs first. Changing a nonzero
count goes through 0, as the kernel requires. vfnet returns once the kernel
shows the N VFs and their drivers (and netdevs), then lists them. The change
does not survive a reboot: vfnet persist records it.

Options:
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
}

pub fn parse(p: &mut lexopt::Parser, g: &mut Globals) -> Result<Parsed<Args>> {
    let (mut dev, mut count, mut timeout, mut autoprobe) =
        (None, None, args::DEFAULT_TIMEOUT, None);
    while let Some(arg) = p.next()? {
        crate::prologue!(arg, p, g, USAGE);
        match arg {
            Short('t') | Long("timeout") => timeout = args::timeout("set", p.value()?)?,
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
    }))
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
    let _lock = lock::state(root, &s.config, &deadline)?;
    let label = pf.label();
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
