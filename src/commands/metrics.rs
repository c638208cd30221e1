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
use std::path::PathBuf;
use std::time::Instant;

/// `vfnet metrics -h`.
pub const USAGE: &str = "\
Usage: vfnet metrics [--textfile DIR]

Print what vfnet knows as Prometheus metrics (the text format): per PF its
VFs now, the most it allows and the count the config asks for; per VF an
info series (PF, index, PCI address, interface, driver, user), whether it is
in use, its settings as labels, and its traffic counters as the PF's driver
keeps them (live systems only); and how long the scrape took. The README
lists every series.

Options:
  --textfile DIR  write DIR/vfnet.prom (atomically: a temporary file renamed
                  over it) for node_exporter's textfile collector, instead of
                  printing; vfnet install --metrics DIR refreshes it every minute
";

/// `vfnet metrics`'s arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    /// `--textfile DIR`.
    pub textfile: Option<PathBuf>,
}

/// Parses `vfnet metrics`'s arguments (or returns its help).
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
pub fn run(s: &System, a: &Args) -> Result<()> {
    let start = Instant::now();
    let inv = survey(s, &Want::list(false, true))?;
    let mut text = metrics(&inv);
    text.push_str(&scrape(start.elapsed().as_secs_f64()));
    match &a.textfile {
        None => crate::out::print(&text),
        Some(dir) => {
            if !dir.is_dir() {
                return Err(Error::fail(format!(
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
fn scrape(secs: f64) -> String {
    let mut d = Doc::default();
    d.family(
        "vfnet_scrape_duration_seconds",
        Kind::Gauge,
        "How long vfnet took to read what these metrics show.",
    );
    d.sample(
        "vfnet_scrape_duration_seconds",
        &[],
        format_args!("{secs:.6}"),
    );
    d.finish()
}

/// Every PF's and VF's series, family by family.
pub fn metrics(inv: &Inventory) -> String {
    let mut d = Doc::default();
    let pf_labels = |p: &Pf| -> [(&'static str, String); 2] {
        [
            ("pf", p.addr.to_string()),
            (
                "interface",
                p.interface().map(|i| i.to_string()).unwrap_or_default(),
            ),
        ]
    };
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
                let l = pf_labels(p);
                d.sample(name, &[(l[0].0, &l[0].1), (l[1].0, &l[1].1)], v);
            }
        }
    }
    vf_families(&mut d, inv);
    d.finish()
}

/// A VF's identifying labels: its PF, its index and its address.
fn vf_id(p: &Pf, v: &Vf) -> [(&'static str, String); 3] {
    [
        ("pf", p.addr.to_string()),
        ("vf", v.index.map(|i| i.to_string()).unwrap_or_default()),
        ("pci", v.addr.to_string()),
    ]
}

/// `id` and then `more`, as one label list.
fn with(
    id: &[(&'static str, String)],
    more: &[(&'static str, String)],
) -> Vec<(&'static str, String)> {
    id.iter().chain(more).cloned().collect()
}

/// One sample with owned label values.
fn sample(d: &mut Doc, name: &str, l: &[(&'static str, String)], v: u64) {
    let refs: Vec<(&str, &str)> = l.iter().map(|(k, v)| (*k, v.as_str())).collect();
    d.sample(name, &refs, v);
}

fn vf_families(d: &mut Doc, inv: &Inventory) {
    let vfs: Vec<(&Pf, &Vf)> = inv.vfs().collect();
    vf_info(d, inv, &vfs);
    vf_settings(d, &vfs);
    vf_counters(d, &vfs);
}

/// `vfnet_vf_info` and (where users are known) `vfnet_vf_in_use`.
fn vf_info(d: &mut Doc, inv: &Inventory, vfs: &[(&Pf, &Vf)]) {
    d.family(
        "vfnet_vf_info",
        Kind::Gauge,
        "A VF: its PF, index, address, interface, driver and user (1).",
    );
    for (p, v) in vfs {
        let more = [
            (
                "interface",
                v.interface
                    .as_ref()
                    .map(|i| i.to_string())
                    .unwrap_or_default(),
            ),
            (
                "driver",
                v.driver.as_ref().map(|i| i.to_string()).unwrap_or_default(),
            ),
            (
                // Who, or nobody; "unknown" when it could not be told.
                "used_by",
                match (&v.used_by, inv.usage_known) {
                    (Some(u), _) => u.to_string(),
                    (None, true) => String::new(),
                    (None, false) => "unknown".into(),
                },
            ),
        ];
        sample(d, "vfnet_vf_info", &with(&vf_id(p, v), &more), 1);
    }
    if inv.usage_known {
        d.family(
            "vfnet_vf_in_use",
            Kind::Gauge,
            "Whether a VM, a program, a container or the host uses the VF.",
        );
        for (p, v) in vfs {
            sample(
                d,
                "vfnet_vf_in_use",
                &with(&vf_id(p, v), &[]),
                v.used_by.is_some() as u64,
            );
        }
    }
}

/// `vfnet_vf_settings_info`: the settings as labels.
fn vf_settings(d: &mut Doc, vfs: &[(&Pf, &Vf)]) {
    d.family(
        "vfnet_vf_settings_info",
        Kind::Gauge,
        "A VF's settings as its PF's driver reports them (1).",
    );
    for (p, v) in vfs {
        let Some(s) = &v.settings else { continue };
        let opt = |x: Option<String>| x.unwrap_or_default();
        let more = [
            (
                "mac",
                opt(s.mac.filter(|m| m.0 != [0; 6]).map(|m| m.to_string())),
            ),
            ("vlan", opt(s.vlan.map(|x| x.to_string()))),
            ("qos", opt(s.qos.map(|x| x.to_string()))),
            ("spoofchk", opt(s.spoofchk.map(|x| on(x).into()))),
            ("trust", opt(s.trust.map(|x| on(x).into()))),
            ("state", opt(s.link_state.map(|x| x.name().into()))),
            ("min_rate", opt(s.min_tx_rate.map(|x| x.to_string()))),
            ("max_rate", opt(s.max_tx_rate.map(|x| x.to_string()))),
        ];
        sample(d, "vfnet_vf_settings_info", &with(&vf_id(p, v), &more), 1);
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
                sample(d, name, &with(&vf_id(p, v), &[]), pick(st));
            }
        }
    }
}

fn on(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}
