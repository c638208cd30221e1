//! `vfnet fdb`: put the MACs behind the bridge a PF is a port of into the
//! PF's own forwarding table, so that its VFs reach the guests on that
//! bridge (`crate::fdb` says why and decides; `crate::fdbsync` runs it).

use crate::args::{self, Globals, Parsed};
use crate::config::Flag;
use crate::error::{Error, Result};
use crate::fdbsync::{Macs, Outcome, Refused, Target};
use crate::json::Obj;
use crate::mac::Mac;
use crate::pci::DevKey;
use crate::pci::PciAddr;
use crate::survey::{Want, survey};
use crate::system::System;
use crate::wait::Deadline;
use crate::{out, text};
use lexopt::prelude::*;
use std::time::{Duration, Instant};

/// `vfnet fdb -h`.
pub const USAGE: crate::packed::Packed = crate::packed::texts::HELP_FDB_TXT;

/// `vfnet fdb`'s arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    /// `DEV`: only this PF.
    pub dev: Option<DevKey>,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--json`.
    pub json: bool,
    /// `--watch`.
    pub watch: bool,
}

/// Parses `vfnet fdb`'s arguments (or returns its help).
#[inline(never)]
pub fn parse(p: &mut lexopt::Parser, g: &mut Globals) -> Result<Parsed<Args>> {
    let mut a = Args::default();
    while let Some(arg) = p.next()? {
        crate::prologue!(arg, p, g, USAGE);
        match arg {
            Short('n') | Long("dry-run") => a.dry_run = true,
            Short('j') | Long("json") => a.json = true,
            Short('w') | Long("watch") => a.watch = true,
            Value(v) if a.dev.is_none() => a.dev = Some(args::dev("fdb", v)?),
            _ => return Err(args::unexpected("fdb", USAGE, arg)),
        }
    }
    if a.watch && (a.json || a.dry_run) {
        return Err(args::usage(
            "fdb",
            "--watch prints one line per change; it takes neither --json nor --dry-run",
        ));
    }
    Ok(Parsed::Run(a))
}

/// `vfnet fdb`.
#[inline(never)]
pub fn run(s: &System, a: &Args) -> Result<()> {
    let mut route = match s.bridges() {
        Some(r) => r,
        None => {
            return Err(Error::fail(
                "fdb reads and changes the running kernel's bridge tables; it does not run with --root",
            ));
        }
    }
    .map_err(|e| Error::fail(crate::msg!("cannot open rtnetlink: {}", crate::error::strerror(e))))?;
    if a.watch {
        return watch(s, a, &mut route);
    }
    let targets = targets(s, a)?;
    let lock = match a.dry_run {
        true => None,
        false => Some(s.state_lock(&Deadline::after(Duration::from_secs(30)))?),
    };
    let outcomes = crate::fdbsync::sync(&mut route, &s.root, &targets, a.dry_run)?;
    drop(lock);
    let failed = outcomes
        .iter()
        .filter(|o| o.error.is_some() || !o.failed.is_empty())
        .count();
    if a.json {
        out::print(&json(&targets, &outcomes, a.dry_run));
    } else {
        let mut text = String::new();
        for (t, o) in targets.iter().zip(&outcomes) {
            report(&mut text, t, o, a.dry_run, a.dev.is_some());
        }
        if text.is_empty() {
            text = crate::msg!(
                "{}: no PF with VFs is a bridge port; nothing to do\n",
                match &a.dev {
                    Some(_) => "that PF",
                    None => "fdb",
                }
            );
        }
        out::print(&text);
    }
    match failed {
        0 => Ok(()),
        n => Err(Error::fail(crate::msg!(
            "{} of {} not fully synced (above)",
            out::plural(n, "PF", "PFs"),
            targets.len()
        ))),
    }
}

/// The PFs to sync: DEV; or those the config gives `fdb_sync=yes`; or,
/// when it gives none, every PF with a netdev and VFs (and every PF vfnet
/// has a record for, so that what it added goes when the VFs go).
fn targets(s: &System, a: &Args) -> Result<Vec<Target>> {
    let inv = survey(s, &Want::default())?;
    let flagged: Vec<DevKey> = match crate::conffile::load(&s.root, &s.config) {
        Ok(c) => c.flagged(Flag::FdbSync).into_iter().cloned().collect(),
        Err(_) => Vec::new(),
    };
    let mut out = Vec::new();
    for (i, pf) in inv.pfs.iter().enumerate() {
        let chosen = match (&a.dev, flagged.is_empty()) {
            (Some(k), _) => inv.pf_by_key(k) == Some(i),
            (None, false) => flagged.iter().any(|k| inv.pf_by_key(k) == Some(i)),
            (None, true) => {
                pf.num_vfs.unwrap_or(0) > 0
                    || !crate::fdbsync::recorded(&s.root, pf.addr).is_empty()
            }
        };
        let Some(name) = pf.interface().filter(|_| chosen) else {
            continue;
        };
        out.push(Target {
            pci: pf.addr,
            interface: name.to_string(),
            vfs: pf.num_vfs.unwrap_or(0),
        });
    }
    if let (Some(k), true) = (&a.dev, out.is_empty()) {
        return Err(Error::fail(crate::msg!(
            "{}: no PF with a network interface of that name or address (vfnet list shows them)",
            text::quote(&k.to_string())
        )));
    }
    Ok(out)
}

/// `enp1s0f0 (0000:01:00.0)`.
fn label(t: &Target) -> String {
    format!("{} ({})", text::quote(&t.interface), t.pci)
}

/// One PF's lines: what changed (or would), what did not fit, what failed.
/// A PF that is no bridge port and had nothing to undo says so only when
/// it was asked for by name.
#[inline(never)]
fn report(out: &mut String, t: &Target, o: &Outcome, dry: bool, named: bool) {
    use std::fmt::Write;
    let l = label(t);
    if let Some(e) = &o.error {
        crate::out::error(e);
        return;
    }
    let bridges: Vec<String> = o.bridges.iter().map(|b| text::quote(b)).collect();
    let (add, remove) = match dry {
        true => ("would add", "would remove"),
        false => ("added", "removed"),
    };
    if o.bridges.is_empty() && o.plan.is_empty() {
        if named {
            let why = match t.vfs {
                0 => "has no VFs",
                _ => "is not a bridge port (directly, through a bond or a VLAN)",
            };
            let _ = writeln!(out, "{l}: {why}; nothing to sync");
        }
        return;
    }
    let mut parts = Vec::new();
    if !o.plan.add.is_empty() {
        parts.push(format!("{add} {}", Macs(&o.plan.add)));
    }
    if !o.plan.remove.is_empty() {
        parts.push(format!("{remove} {}", Macs(&o.plan.remove)));
    }
    let behind = out::plural(o.behind.len(), "MAC", "MACs");
    if parts.is_empty() {
        parts.push(crate::msg!("in step ({} behind the bridge)", behind));
    } else {
        parts.push(crate::msg!("{} behind the bridge", behind));
    }
    let on = match bridges.is_empty() {
        true => String::new(),
        false => format!(" in {}", bridges.join(", ")),
    };
    let _ = writeln!(out, "{l}{on}: {}", parts.join("; "));
    if !o.did_not_fit.is_empty() {
        crate::out::warn(format_args!(
            "{l}: the NIC's filter table is full: {} did not fit (the others are in; guests with these MACs stay unreachable from VFs)",
            Macs(&o.did_not_fit)
        ));
    }
    for f in &o.failed {
        crate::out::error(format_args!("{l}: cannot {}", Refused(f)));
    }
}

/// The JSON document: one object per PF.
#[inline(never)]
fn json(targets: &[Target], outcomes: &[Outcome], dry: bool) -> String {
    let mut s = String::with_capacity(256);
    let mut doc = Obj::document(&mut s);
    doc.bool("dry_run", dry);
    doc.raw("pfs", |s| {
        s.push('[');
        for (i, (t, o)) in targets.iter().zip(outcomes).enumerate() {
            if i > 0 {
                s.push(',');
            }
            let errors: Vec<String> = o
                .failed
                .iter()
                .map(|f| Refused(f).to_string())
                .chain(o.error.clone())
                .collect();
            let mut p = Obj::new(s);
            p.display("pci", t.pci)
                .str("interface", &t.interface)
                .displays("bridges", &o.bridges)
                .displays("behind", &o.behind)
                .displays("added", &o.plan.add)
                .displays("removed", &o.plan.remove)
                .displays("did_not_fit", &o.did_not_fit)
                .displays("errors", &errors);
            p.end();
        }
        s.push(']');
    });
    doc.end();
    s.push('\n');
    s
}

/// `--watch`: a sync now, then one after each burst of link or bridge
/// events (200 ms after the last) and every 60 s, printing each change.
#[inline(never)]
fn watch(s: &System, a: &Args, route: &mut crate::netlink::Socket) -> Result<()> {
    use crate::netlink::{RTMGRP_LINK, RTMGRP_NEIGH, Socket};
    let mut events = Socket::route_events(RTMGRP_LINK | RTMGRP_NEIGH).map_err(|e| {
        Error::fail(crate::msg!(
            "cannot follow rtnetlink events: {}",
            crate::error::strerror(e)
        ))
    })?;
    let mut full: Vec<(PciAddr, Mac)> = Vec::new();
    let mut first = true;
    loop {
        let targets = targets(s, a)?;
        if first {
            let names: Vec<String> = targets.iter().map(label).collect();
            out::note(format_args!(
                "fdb --watch: following {} ({}); one line per change",
                out::plural(targets.len(), "PF", "PFs"),
                names.join(", ")
            ));
            first = false;
        }
        // Another vfnet changing VFs (apply at boot, with slow PFs) holds
        // the state lock: this round waits for it up to 30 s, then the next
        // round (an event, or 60 s) tries again; the service keeps running.
        let outcomes = match s.state_lock(&Deadline::after(Duration::from_secs(30))) {
            Ok(_lock) => crate::fdbsync::sync(route, &s.root, &targets, false)?,
            Err(e) => {
                out::warn(format_args!("fdb --watch: {e}; trying again later"));
                Vec::new()
            }
        };
        let mut text = String::new();
        for (t, o) in targets.iter().zip(&outcomes) {
            changes(&mut text, t, o, &mut full);
        }
        if !text.is_empty() {
            out::print(&text);
        }
        // Wait for a burst of events, then for it to end.
        let start = Instant::now();
        let mut n = 0;
        while start.elapsed() < Duration::from_secs(60) {
            let wait = match n {
                0 => Duration::from_secs(60).saturating_sub(start.elapsed()),
                _ => Duration::from_millis(200),
            };
            match events.events(wait) {
                Ok(0) if n > 0 => break,
                Ok(k) => n += k,
                Err(e) => {
                    return Err(Error::fail(crate::msg!(
                        "fdb --watch: rtnetlink events: {}",
                        crate::error::strerror(e)
                    )));
                }
            }
        }
    }
}

/// `--watch`'s lines: one per MAC added or removed; a MAC that did not fit
/// is said once (until it fits or goes).
#[inline(never)]
fn changes(out: &mut String, t: &Target, o: &Outcome, full: &mut Vec<(PciAddr, Mac)>) {
    use std::fmt::Write;
    let l = label(t);
    if let Some(e) = &o.error {
        crate::out::error(e);
    }
    for m in &o.plan.add {
        let _ = writeln!(out, "{l}: added {m}");
    }
    for m in &o.plan.remove {
        let _ = writeln!(out, "{l}: removed {m}");
    }
    full.retain(|(p, m)| *p != t.pci || o.did_not_fit.contains(m));
    let new: Vec<Mac> = o
        .did_not_fit
        .iter()
        .filter(|m| !full.contains(&(t.pci, **m)))
        .copied()
        .collect();
    if !new.is_empty() {
        crate::out::warn(format_args!(
            "{l}: the NIC's filter table is full: {} did not fit",
            Macs(&new)
        ));
        full.extend(new.iter().map(|m| (t.pci, *m)));
    }
    for f in &o.failed {
        crate::out::error(format_args!("{l}: cannot {}", Refused(f)));
    }
}
