//! `vfnet metrics`: the inventory (counts, VFs, who uses them, settings,
//! traffic counters) in Prometheus's text format, on stdout or as a file
//! for node_exporter's textfile collector (`crate::prom` writes it).

use crate::args::{self, Globals, Parsed};
use crate::error::{Error, Result};
use crate::inventory::{Inventory, Pf, Vf};
use crate::prom::{Doc, Kind};
use crate::survey::{Want, survey};
use crate::system::System;
use lexopt::prelude::*;
use std::fmt::Display;
use std::path::PathBuf;
use std::time::Instant;

/// `vfnet metrics -h`.
pub const USAGE: crate::packed::Packed = crate::packed::texts::HELP_METRICS_TXT;

/// `vfnet metrics`'s arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    /// `--textfile DIR`.
    pub textfile: Option<PathBuf>,
}

/// Parses `vfnet metrics`'s arguments (or returns its help).
#[inline(never)]
pub fn parse(p: &mut lexopt::Parser, g: &mut Globals) -> Result<Parsed<Args>> {
    let mut a = Args::default();
    while let Some(arg) = p.next()? {
        crate::prologue!(arg, p, g, USAGE);
        match arg {
            Long("textfile") => {
                let v = args::text("metrics", "--textfile", p.value()?)?;
                if v.is_empty() {
                    return Err(args::usage("metrics", "--textfile needs a directory"));
                }
                a.textfile = Some(PathBuf::from(v));
            }
            _ => return Err(args::unexpected("metrics", USAGE, arg)),
        }
    }
    Ok(Parsed::Run(a))
}

/// `vfnet metrics`.
#[inline(never)]
pub fn run(s: &System, a: &Args) -> Result<()> {
    let start = Instant::now();
    let inv = survey(s, &Want::list(false, true))?;
    let mut text = metrics(&inv);
    text.push_str(&scrape(start.elapsed()));
    match &a.textfile {
        None => crate::out::print(&text),
        Some(dir) => {
            if !dir.is_dir() {
                return Err(Error::fail(crate::msg!(
                    "--textfile {}: no such directory (node_exporter's --collector.textfile.directory)",
                    crate::text::quote(&dir.display().to_string())
                )));
            }
            crate::files::write_atomic(&dir.join("vfnet.prom"), text.as_bytes(), 0o644)?;
        }
    }
    Ok(())
}

/// The scrape's own series.
fn scrape(took: std::time::Duration) -> String {
    let mut d = Doc::default();
    let name = "vfnet_scrape_duration_seconds";
    d.family(
        name,
        Kind::Gauge,
        "How long vfnet took to read what these metrics show.",
    );
    // Integer arithmetic: no float formatting in the binary (4 KiB).
    let us = took.as_micros() as u64;
    d.sample(
        name,
        &[],
        &format_args!("{}.{:06}", us / 1_000_000, us % 1_000_000),
    );
    d.finish()
}

/// Shown for a value that is not there: an empty label value.
struct Opt<T>(Option<T>);

impl<T: Display> Display for Opt<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(v) => v.fmt(f),
            None => Ok(()),
        }
    }
}

/// Every PF's and VF's series, family by family.
pub fn metrics(inv: &Inventory) -> String {
    let mut d = Doc::default();
    type Pick = fn(&Pf) -> Option<u32>;
    let per_pf: [(&str, &str, Pick); 3] = [
        ("vfnet_pf_vfs", "VFs the PF has now (sriov_numvfs).", |p| {
            p.num_vfs
        }),
        (
            "vfnet_pf_total_vfs",
            "The most VFs the PF allows (sriov_totalvfs).",
            |p| p.total_vfs,
        ),
        (
            "vfnet_pf_configured_vfs",
            "The VF count the config file asks for.",
            |p| p.configured,
        ),
    ];
    for (name, help, pick) in per_pf {
        d.family(name, Kind::Gauge, help);
        for p in inv.pfs.iter().filter(|p| p.sriov) {
            if let Some(v) = pick(p) {
                d.sample(
                    name,
                    &[("pf", &p.addr), ("interface", &Opt(p.interface()))],
                    &v,
                );
            }
        }
    }
    let vfs: Vec<(&Pf, &Vf)> = inv.vfs().collect();
    vf_info(&mut d, inv, &vfs);
    vf_settings(&mut d, &vfs);
    vf_counters(&mut d, &vfs);
    d.finish()
}

/// `vfnet_vf_info` and (where users are known) `vfnet_vf_in_use`.
fn vf_info(d: &mut Doc, inv: &Inventory, vfs: &[(&Pf, &Vf)]) {
    let name = "vfnet_vf_info";
    d.family(
        name,
        Kind::Gauge,
        "A VF: its PF, index, address, interface, driver and user (1).",
    );
    for (p, v) in vfs {
        // Who, or nobody; "unknown" when it could not be told.
        let user: &dyn Display = match (&v.used_by, inv.usage_known) {
            (Some(u), _) => u,
            (None, true) => &"",
            (None, false) => &"unknown",
        };
        let labels: [(&str, &dyn Display); 6] = [
            ("pf", &p.addr),
            ("vf", &Opt(v.index)),
            ("pci", &v.addr),
            ("interface", &Opt(v.interface.as_ref())),
            ("driver", &Opt(v.driver.as_ref())),
            ("used_by", user),
        ];
        d.sample(name, &labels, &1);
    }
    if !inv.usage_known {
        return;
    }
    let name = "vfnet_vf_in_use";
    d.family(
        name,
        Kind::Gauge,
        "Whether a VM, a program, a container or the host uses the VF.",
    );
    for (p, v) in vfs {
        let labels: [(&str, &dyn Display); 3] =
            [("pf", &p.addr), ("vf", &Opt(v.index)), ("pci", &v.addr)];
        d.sample(name, &labels, &(v.used_by.is_some() as u8));
    }
}

/// `vfnet_vf_settings_info`: the settings as labels.
fn vf_settings(d: &mut Doc, vfs: &[(&Pf, &Vf)]) {
    let name = "vfnet_vf_settings_info";
    d.family(
        name,
        Kind::Gauge,
        "A VF's settings as its PF's driver reports them (1).",
    );
    let on = |b: Option<bool>| Opt(b.map(|b| if b { "on" } else { "off" }));
    for (p, v) in vfs {
        let Some(s) = &v.settings else { continue };
        let labels: [(&str, &dyn Display); 11] = [
            ("pf", &p.addr),
            ("vf", &Opt(v.index)),
            ("pci", &v.addr),
            ("mac", &Opt(s.mac.filter(|m| m.0 != [0; 6]))),
            ("vlan", &Opt(s.vlan)),
            ("qos", &Opt(s.qos)),
            ("spoofchk", &on(s.spoofchk)),
            ("trust", &on(s.trust)),
            ("state", &Opt(s.link_state.map(|x| x.name()))),
            ("min_rate", &Opt(s.min_tx_rate)),
            ("max_rate", &Opt(s.max_tx_rate)),
        ];
        d.sample(name, &labels, &1);
    }
}

/// The traffic counters, as the PF's driver keeps them.
fn vf_counters(d: &mut Doc, vfs: &[(&Pf, &Vf)]) {
    type Count = fn(&crate::netlink::VfStats) -> u64;
    let counters: [(&str, &str, Count); 8] = [
        (
            "vfnet_vf_rx_packets_total",
            "Packets the VF received.",
            |s| s.rx_packets,
        ),
        ("vfnet_vf_tx_packets_total", "Packets the VF sent.", |s| {
            s.tx_packets
        }),
        ("vfnet_vf_rx_bytes_total", "Bytes the VF received.", |s| {
            s.rx_bytes
        }),
        ("vfnet_vf_tx_bytes_total", "Bytes the VF sent.", |s| {
            s.tx_bytes
        }),
        (
            "vfnet_vf_broadcast_total",
            "Broadcast packets the VF received.",
            |s| s.broadcast,
        ),
        (
            "vfnet_vf_multicast_total",
            "Multicast packets the VF received.",
            |s| s.multicast,
        ),
        (
            "vfnet_vf_rx_dropped_total",
            "Received packets dropped.",
            |s| s.rx_dropped,
        ),
        ("vfnet_vf_tx_dropped_total", "Sent packets dropped.", |s| {
            s.tx_dropped
        }),
    ];
    for (name, help, pick) in counters {
        d.family(name, Kind::Counter, help);
        for (p, v) in vfs {
            if let Some(st) = v.settings.as_ref().and_then(|s| s.stats.as_ref()) {
                let labels: [(&str, &dyn Display); 3] =
                    [("pf", &p.addr), ("vf", &Opt(v.index)), ("pci", &v.addr)];
                d.sample(name, &labels, &pick(st));
            }
        }
    }
}
