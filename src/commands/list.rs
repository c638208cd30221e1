//! `vfnet list`: the PF and VF tables, or JSON.

use crate::args::{self, Globals, Parsed};
use crate::error::Result;
use crate::netlink::Socket;
use crate::pci::Inventory;
use crate::system::System;
use crate::{config, out, render};
use lexopt::prelude::*;

/// `vfnet list -h`.
pub const USAGE: &str = "\
Usage: vfnet list [--all] [--json] [--stats]

List physical functions (PFs: network functions, SR-IOV capable or not)
and their virtual functions (VFs), with the VF counts the config file asks for.
This is what vfnet does without a command.

Options:
  --all     also list SR-IOV capable PCI devices without a network interface
            (an NVMe drive, a GPU, a NIC whose driver is not bound)
  --json    print one JSON document {\"pfs\":[...],\"vfs\":[...]}
  --stats   also each VF's traffic counters, as the PF's driver counts them
            (a driver that keeps none reports zeros; live systems only)
";

#[derive(Debug, Default, Clone, PartialEq, Eq)]
/// `vfnet list`'s arguments.
pub struct Args {
    /// `--all`: SR-IOV devices that are not network functions too.
    pub all: bool,
    /// `--json`: one JSON document.
    pub json: bool,
    /// `--stats`: each VF's traffic counters.
    pub stats: bool,
}

/// Parses `vfnet list`'s arguments into `args` (or returns its help).
pub fn parse(p: &mut lexopt::Parser, g: &mut Globals, mut args: Args) -> Result<Parsed<Args>> {
    while let Some(arg) = p.next()? {
        crate::prologue!(arg, p, g, USAGE);
        match arg {
            Long("all") | Short('a') => args.all = true,
            Long("json") | Short('j') => args.json = true,
            Long("stats") => args.stats = true,
            _ => return Err(args::unexpected("list", arg)),
        }
    }
    Ok(Parsed::Run(args))
}

/// Runs `vfnet list` on the system `s`.
pub fn run(s: &System, args: &Args) -> Result<()> {
    let root = &s.root;
    let sys = s.sys()?;
    let mut inv = super::inventory(root, sys, args.all);
    // The config only adds a column: a broken one is worth a warning, not
    // a missing listing.
    match config::load(root, &s.config) {
        Ok(cfg) => {
            for e in cfg.errors() {
                out::error(format_args!("warning: {e}"));
            }
            for pf in &mut inv.pfs {
                pf.configured = cfg.find(pf.addr, &pf.interfaces).map(|e| e.count);
            }
        }
        Err(e) => out::error(format_args!("warning: {e}")),
    }
    // Live, the kernel says; a capture replayed under --root says what it
    // said then.
    let settings = if let Some(route) = s.route() {
        attach_settings(route, &mut inv, args.stats);
        true
    } else {
        crate::replay::captured_settings(root, &mut inv)
    };
    if s.live() {
        crate::eswitch::modes(&mut inv);
    } else {
        crate::replay::captured_eswitch(root, &mut inv);
    }
    crate::usage::attach(s, &mut inv)?;
    if args.json {
        render::json_to(&inv, &mut |chunk| out::print(chunk));
        return Ok(());
    }
    let mut text = render::text(&inv, out::width());
    if !settings && inv.vfs().next().is_some() {
        text.push_str(
            "\nVF settings (admin MAC, VLAN, trust, spoof check, link state, rate) come\n\
             from the kernel over rtnetlink: not shown under --root.\n",
        );
    }
    out::print(&text);
    Ok(())
}

/// Reads each PF's VF settings over rtnetlink: one request per PF with VFs
/// and a netdev. A PF whose driver does not answer keeps `None`s.
pub fn attach_settings(
    route: std::result::Result<Socket, nix::errno::Errno>,
    inv: &mut Inventory,
    stats: bool,
) {
    if inv.vfs().next().is_none() {
        return;
    }
    let Ok(mut route) = route else { return };
    for pf in inv.pfs.iter_mut().filter(|p| !p.vfs.is_empty()) {
        let Some(iface) = pf.interface() else {
            continue;
        };
        let Ok(link) = route.link_with(iface.as_str(), stats) else {
            continue;
        };
        for vf in &mut pf.vfs {
            vf.settings = link.vfs.iter().find(|s| Some(s.vf) == vf.index).cloned();
        }
    }
}
