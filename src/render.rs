//! `vfnet list` output: the inventory as text tables or one JSON document.
//!
//! Each column is defined here with the [`Pf`]/[`Vf`] field it shows; those
//! fields' docs name the sysfs file behind them. No I/O: the result is a
//! string the caller prints.

use crate::inventory::{Inventory, Pf, Vf};
use crate::json::Obj;
use crate::mac::Mac;
use crate::netlink::{LinkState, VfInfo};
use crate::table::{self, Column, Layout, col};
use std::fmt::Display;

fn or<T: Display>(v: Option<T>, none: &str) -> String {
    v.map_or_else(|| none.to_string(), |v| v.to_string())
}

/// `4/63`, with `?` for what could not be read.
fn count(n: Option<u32>, total: Option<u32>) -> String {
    format!("{}/{}", or(n, "?"), or(total, "?"))
}

/// Both tables, with a line that counts them.
pub fn text(inv: &Inventory, layout: Layout) -> String {
    let mut out = String::new();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let vfs: Vec<_> = inv.vfs().collect();
    if !layout.headers {
        // --no-headers: the rows only, the PFs' then the VFs', one blank
        // line between the two tables.
        let rows: Vec<_> = inv.pfs.iter().map(pf_row).collect();
        table::render(&mut out, &PF_COLUMNS, &rows, layout);
        if !vfs.is_empty() {
            out.push('\n');
            vf_rows(&mut out, &vfs, layout, inv.usage_known);
        }
        return out;
    }
    let counts = format!(
        "{} and {}.",
        plural(
            inv.pfs.len(),
            "physical function (PF)",
            "physical functions (PFs)"
        ),
        plural(
            vfs.len(),
            "virtual function (VF)",
            "virtual functions (VFs)"
        )
    );
    note(&mut out, &counts, layout.width, 0);
    if !inv.pfs.is_empty() {
        out.push_str("\nPF devices:\n");
        let rows: Vec<_> = inv.pfs.iter().map(pf_row).collect();
        table::render(&mut out, &PF_COLUMNS, &rows, layout);
        if inv.pfs.iter().any(|p| p.sriov && p.count_at_load()) {
            note(&mut out, AT_LOAD_NOTE, layout.width, 2);
        }
        if inv.pfs.iter().any(|p| p.sriov_off_in_firmware()) {
            note(&mut out, FIRMWARE_OFF_NOTE, layout.width, 2);
        }
    }
    if !vfs.is_empty() {
        out.push_str("\nVF devices:\n");
        vf_rows(&mut out, &vfs, layout, inv.usage_known);
    }
    if let Some(why) = no_sriov(inv) {
        out.push('\n');
        note(
            &mut out,
            &crate::msg!("{}. See vfnet doctor.", why),
            layout.width,
            0,
        );
    }
    eswitch_lines(&mut out, inv, layout.width);
    port_lines(&mut out, inv);
    out
}

/// `vfnet list --brief`: one line per PF, each followed by its VFs, no
/// header (as `ip -br`). Fields: interface, PCI address, `pf` or `vf`, then
/// for a PF its VFs (`4/63`) and for a VF its parent and index
/// (`enp1s0f0#0`), the driver, the MAC (`-` for a PF), the IOMMU group and,
/// where it was looked for, Used by.
pub fn brief(inv: &Inventory, width: Option<usize>) -> String {
    let mut rows = Vec::new();
    for p in &inv.pfs {
        let name = |i: Option<&crate::ifname::IfName>| or(i, "-");
        rows.push(vec![
            name(p.interface()),
            p.addr.to_string(),
            "pf".into(),
            active(p),
            or(p.driver.as_ref(), "-"),
            "-".into(),
            or(p.iommu_group, "-"),
            "-".into(),
        ]);
        for v in &p.vfs {
            let parent = p
                .interface()
                .map_or_else(|| p.addr.to_string(), |i| i.to_string());
            rows.push(vec![
                name(v.interface.as_ref()),
                v.addr.to_string(),
                "vf".into(),
                format!("{parent}#{}", or(v.index, "?")),
                or(v.driver.as_ref(), "-"),
                or(v.mac, "-"),
                or(v.iommu_group, "-"),
                or(v.used_by.as_ref(), "-"),
            ]);
        }
    }
    let mut cols: Vec<Column> = BRIEF_COLUMNS.to_vec();
    if !inv.usage_known {
        cols.pop();
        rows.iter_mut().for_each(|r| {
            r.pop();
        });
    }
    let mut out = String::new();
    let layout = Layout {
        width,
        headers: false,
    };
    table::render(&mut out, &cols, &rows, layout);
    out
}

/// `--brief`'s fields (no header is printed; the names document them).
const BRIEF_COLUMNS: [Column; 8] = [
    col("Interface", "Iface", 0, false),
    col("PCI BDF", "PCI BDF", 0, false),
    col("Kind", "Kind", 0, false),
    col("VFs or parent#index", "VFs", 0, false),
    col("Driver", "Driver", 4, false),
    col("MAC", "MAC", 2, false),
    col("IOMMU Grp", "IOMMU", 3, false),
    col("Used by", "Used by", 1, true),
];

/// Below the PF table when a PF's firmware has SR-IOV off.
const FIRMWARE_OFF_NOTE: &str = "off (fw): SR-IOV is off in the device's firmware (sriov_totalvfs \
is 0); vfnet doctor DEV names the fix.";

/// The Active VFs cell: `4/63`, with `*` when the driver takes the count
/// at load; `off (fw)` when the firmware has SR-IOV off.
fn active(p: &Pf) -> String {
    if p.sriov_off_in_firmware() {
        "off (fw)".into()
    } else if p.sriov && p.count_at_load() {
        count(p.num_vfs, p.total_vfs) + "*"
    } else if p.sriov {
        count(p.num_vfs, p.total_vfs)
    } else {
        "N/A".into()
    }
}

/// Why nothing here can have VFs, when nothing can: no PCI network
/// function at all (a VM's virtio and virtual interfaces are not PCI
/// functions vfnet lists), or none with the SR-IOV capability.
pub fn no_sriov(inv: &Inventory) -> Option<String> {
    if inv
        .pfs
        .iter()
        .any(|p| p.sriov && !p.sriov_off_in_firmware())
    {
        return None;
    }
    let names = |off: bool| -> Vec<String> {
        inv.pfs
            .iter()
            .filter(|p| p.sriov_off_in_firmware() == off)
            .map(|p| p.label())
            .collect()
    };
    let (off, mut none) = (names(true), names(false));
    // What a VM or a desktop has instead: virtio NICs, virtual interfaces
    // (the first 8: a container host has hundreds of veths).
    for (name, pci) in inv.others.iter().take(8) {
        none.push(match pci {
            Some(a) => crate::msg!("{} (virtio, {})", name, a),
            None => crate::msg!("{} (virtual)", name),
        });
    }
    if inv.others.len() > 8 {
        none.push(format!("{} more", inv.others.len() - 8));
    }
    Some(match (off.is_empty(), none.is_empty()) {
        (true, true) => crate::msg!("No PCI network function"),
        (true, false) => crate::msg!(
            "No SR-IOV capable device: {} {} no SR-IOV",
            none.join(", "),
            if none.len() == 1 { "has" } else { "have" }
        ),
        (false, true) => crate::msg!("SR-IOV is off in the firmware of {}", off.join(", ")),
        (false, false) => crate::msg!(
            "No PF can have VFs: SR-IOV is off in the firmware of {}, and {} has no SR-IOV",
            off.join(", "),
            none.join(", ")
        ),
    })
}

/// Each ConnectX-3's port types: `eth0 (0000:01:00.0): port 1 eth, port 2 ib`.
fn port_lines(out: &mut String, inv: &Inventory) {
    let mut first = true;
    for p in &inv.pfs {
        let Some(ports) = ports(p) else { continue };
        if std::mem::take(&mut first) {
            out.push_str("\nConnectX-3 ports (mlx4_core):\n");
        }
        out.push_str(&format!("{}: {ports}\n", p.label()));
    }
}

/// A ConnectX-3's ports as they run now: `port 1 eth, port 2 auto (ib)`.
pub fn ports(p: &Pf) -> Option<String> {
    let mut s = String::new();
    for (n, t) in p.port_types.as_ref()?.iter().enumerate() {
        s += &format!("{}port {} {t}", if n > 0 { ", " } else { "" }, n + 1);
    }
    Some(s)
}

/// Each PF's eswitch mode (where devlink reports one) and its VFs'
/// representor netdevs (in switchdev mode).
fn eswitch_lines(out: &mut String, inv: &Inventory, width: Option<usize>) {
    let mut first = true;
    for p in &inv.pfs {
        let reps: Vec<String> = p
            .vfs
            .iter()
            .filter_map(|v| {
                Some(format!(
                    "{} (VF {})",
                    v.representor.as_ref()?,
                    or(v.index, "?")
                ))
            })
            .collect();
        if p.eswitch.is_none() && reps.is_empty() {
            continue;
        }
        if std::mem::take(&mut first) {
            out.push_str("\nEswitch (devlink):\n");
        }
        let mode = p.eswitch.map_or("mode not reported", |m| m.name());
        let mut text = format!("{}: {mode}", p.label());
        if !reps.is_empty() {
            text.push_str(&crate::msg!("; VF representors: {}", reps.join(", ")));
        }
        // A line of data, not a note: cut to the terminal only.
        match width {
            Some(w) => out.push_str(&crate::text::fill(&text, w, 2)),
            None => {
                out.push_str(&text);
                out.push('\n');
            }
        }
    }
}

/// The VF table of one PF (after `vfnet set`).
pub fn vf_table(pf: &Pf, width: Option<usize>) -> String {
    let layout = Layout::fit(width);
    let mut out = String::new();
    let vfs: Vec<_> = pf.vfs.iter().map(|v| (pf, v)).collect();
    vf_rows(&mut out, &vfs, layout, false);
    out
}

/// The VF table; the settings columns only when some VF has settings
/// (they come over rtnetlink, so not under --root), Used by only when it
/// was looked for (`usage`).
fn vf_rows(out: &mut String, vfs: &[(&Pf, &Vf)], layout: Layout, usage: bool) {
    let with = vfs.iter().any(|(_, v)| v.settings.is_some());
    let keep = |i: usize| (with || !SETTINGS_COLUMNS.contains(&i)) && (usage || i != USED_BY);
    let cols: Vec<Column> = VF_COLUMNS
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, c)| *c)
        .collect();
    let rows: Vec<Vec<String>> = vfs
        .iter()
        .map(|(p, v)| {
            vf_row(p, v)
                .into_iter()
                .enumerate()
                .filter(|(i, _)| keep(*i))
                .map(|(_, c)| c)
                .collect()
        })
        .collect();
    table::render(out, &cols, &rows, layout);
}

/// Notes under the tables are filled to 72 columns, or to a narrower
/// terminal.
pub const NOTE_WIDTH: usize = 72;

/// Appends `text` filled to the note width (see [`NOTE_WIDTH`]).
pub fn note(out: &mut String, text: &str, width: Option<usize>, indent: usize) {
    let w = width.map_or(NOTE_WIDTH, |w| w.min(NOTE_WIDTH));
    out.push_str(&crate::text::fill(text, w, indent));
}

/// Below the PF table when a count there (marked `*`) is set at driver load.
const AT_LOAD_NOTE: &str = "* set when the driver loads (mlx4_core's num_vfs): vfnet persist DEV N \
records it, vfnet set DEV N --reload reloads mlx4_core now.";

/// The PF table's columns; [`pf_row`] fills them in this order. On a
/// narrow terminal (see `table`): Device Path and Subsystem go first, then
/// headers shorten and Description is cut, then IOMMU Grp, Can VF?, Config
/// VFs, Driver and Description go, in that order.
const PF_COLUMNS: [Column; 10] = [
    col("PCI BDF", "PCI BDF", 0, false),
    col("Interface", "Iface", 0, false),
    col("Subsystem", "Subsys", 11, false),
    col("Description", "Description", 1, true),
    col("Driver", "Driver", 2, false),
    col("Can VF?", "VF?", 4, false),
    col("Active VFs", "Active", 0, false),
    col("Config VFs", "Config", 3, false),
    col("IOMMU Grp", "IOMMU", 5, false),
    col("Device Path", "Path", 12, false),
];

fn pf_row(p: &Pf) -> Vec<String> {
    let interfaces = if p.interfaces.is_empty() {
        "-".into()
    } else {
        p.interfaces
            .iter()
            .map(|i| i.as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    vec![
        p.addr.to_string(),
        interfaces,
        or(p.subsystem.as_ref(), "?"),
        p.description.clone().unwrap_or_else(|| "?".into()),
        or(p.driver.as_ref(), "-"),
        if p.sriov && !p.sriov_off_in_firmware() {
            "Yes"
        } else {
            "No"
        }
        .into(),
        active(p),
        if p.configured.is_some() {
            count(p.configured, p.total_vfs)
        } else {
            "N/A".into()
        },
        or(p.iommu_group, "-"),
        p.path(),
    ]
}

/// The VF table's columns; [`vf_row`] fills them in this order. MAC is
/// the VF netdev's own address; Admin MAC and Settings are what the PF's
/// driver enforces (`Vf::settings`).
///
/// On a narrow terminal (see `table`): Device Path and Parent BDF go first,
/// then headers shorten and Used by and Settings are cut, then Settings,
/// Admin MAC, Parent, Driver, IOMMU Grp, MAC and Used by go, in that order.
const VF_COLUMNS: [Column; 12] = [
    col("PCI BDF", "PCI BDF", 0, false),
    col("Interface", "Iface", 0, false),
    col("MAC", "MAC", 2, false),
    col("Parent", "Parent", 6, false),
    col("VF #", "VF", 0, false),
    col("Driver", "Driver", 5, false),
    // What passthrough needs: a VF goes to a VM with its whole group.
    col("IOMMU Grp", "IOMMU", 4, false),
    col("Used by", "Used by", 1, true),
    col("Admin MAC", "Admin MAC", 7, false),
    col("Settings", "Settings", 8, true),
    col("Parent BDF", "PF BDF", 11, false),
    col("Device Path", "Path", 12, false),
];

/// Indices of the columns that come from `Vf::settings`.
const SETTINGS_COLUMNS: [usize; 2] = [8, 9];

/// Index of the Used by column (`Vf::used_by`).
const USED_BY: usize = 7;

fn vf_row(p: &Pf, v: &Vf) -> Vec<String> {
    let (admin, settings) = match &v.settings {
        Some(s) => (or(admin_mac(s), "-"), compact(s)),
        None => ("?".into(), "?".into()),
    };
    vec![
        v.addr.to_string(),
        or(v.interface.as_ref(), "-"),
        or(v.mac, "-"),
        or(p.interface(), "-"),
        or(v.index, "?"),
        or(v.driver.as_ref(), "-"),
        or(v.iommu_group, "-"),
        or(v.used_by.as_ref(), "-"),
        admin,
        settings,
        p.addr.to_string(),
        v.path(),
    ]
}

/// The admin MAC; all zeros means none.
fn admin_mac(s: &VfInfo) -> Option<Mac> {
    s.mac.filter(|m| m.0 != [0; 6])
}

/// What differs from the defaults, briefly: `vlan 100 qos 2, trust, spoofchk off`.
pub fn compact(s: &VfInfo) -> String {
    let mut parts = Vec::new();
    if let Some(v) = s.vlan.filter(|&v| v != 0) {
        parts.push(match s.qos.filter(|&q| q != 0) {
            Some(q) => format!("vlan {v} qos {q}"),
            None => format!("vlan {v}"),
        });
        if let Some(p) = s.vlan_proto.filter(|&p| p != crate::netlink::ETH_P_8021Q) {
            parts.push(crate::netlink::proto_name(p));
        }
    }
    if s.trust == Some(true) {
        parts.push("trust".into());
    }
    if s.spoofchk == Some(false) {
        parts.push("spoofchk off".into());
    }
    if let Some(l) = s.link_state.filter(|l| *l != LinkState::Auto) {
        parts.push(format!("state {}", l.name()));
    }
    match (s.min_tx_rate.unwrap_or(0), s.max_tx_rate.unwrap_or(0)) {
        (0, 0) => {}
        (min, max) => parts.push(format!("rate {min},{max}")),
    }
    match (guid_set(s.node_guid), guid_set(s.port_guid)) {
        (Some(n), Some(p)) if n == p => parts.push(format!("guid {n}")),
        (n, p) => {
            parts.extend(n.map(|g| format!("node_guid {g}")));
            parts.extend(p.map(|g| format!("port_guid {g}")));
        }
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(", ")
    }
}

/// A GUID the kernel reports, all zeros being none set.
fn guid_set(g: Option<crate::guid::Guid>) -> Option<crate::guid::Guid> {
    g.filter(|g| g.0 != [0; 8])
}

/// `vfnet vf DEV INDEX`: one line per setting; the GUIDs where the kernel
/// reports them (InfiniBand PFs).
pub fn vf_settings_lines(s: &VfInfo, pf: &crate::netlink::PfIds) -> String {
    let on = |b: Option<bool>| b.map_or("?", |b| if b { "on" } else { "off" });
    let auto = match (admin_mac(s), pf.mac) {
        (Some(m), Some(p)) if crate::vf::auto_mac(p, s.vf) == m => " (auto)",
        _ => "",
    };
    let mut guids = String::new();
    for (name, g) in [("node_guid", s.node_guid), ("port_guid", s.port_guid)] {
        let Some(g) = g else { continue };
        let auto = match pf.guid.map(|p| p.auto(s.vf)) == Some(g) {
            true => " (auto)",
            false => "",
        };
        guids += &crate::msg!(
            "  {} {}{}\n",
            name,
            or(guid_set(Some(g)), "- (none set)"),
            auto
        );
    }
    crate::msg!(
        "  mac       {}{}\n  vlan      {} qos {} proto {}\n  spoofchk  {}\n  trust     {}\n  query_rss {}\n  state     {}\n  rate      {},{} Mbit/s (min,max; 0: no limit)\n",
        or(admin_mac(s), "- (none set)"),
        auto,
        or(s.vlan, "?"),
        or(s.qos, "?"),
        s.vlan_proto
            .map_or("?".to_string(), crate::netlink::proto_name),
        on(s.spoofchk),
        on(s.trust),
        on(s.query_rss),
        s.link_state.map_or("?", |l| l.name()),
        or(s.min_tx_rate, "?"),
        or(s.max_tx_rate, "?")
    ) + &guids
        + &stats_line(s)
}

/// `  stats     rx 10 packets (1234 bytes), tx ...`, when they were read.
fn stats_line(s: &VfInfo) -> String {
    match &s.stats {
        None => String::new(),
        Some(st) if st.is_zero() => {
            crate::msg!(
                "  stats     all zero: no traffic counted, or the PF's driver keeps no per-VF counters\n"
            )
        }
        Some(st) => crate::msg!(
            "  stats     rx {} packets ({} bytes, {} broadcast, {} multicast, {} dropped), tx {} packets ({} bytes, {} dropped)\n",
            st.rx_packets,
            st.rx_bytes,
            st.broadcast,
            st.multicast,
            st.rx_dropped,
            st.tx_packets,
            st.tx_bytes,
            st.tx_dropped
        ),
    }
}

/// `{"pfs":[...],"vfs":[...]}`, one PF or VF per line.
pub fn json(inv: &Inventory) -> String {
    let mut all = String::new();
    json_to(inv, &mut |chunk| all.push_str(chunk));
    all
}

/// [`json`] in chunks of about 32 KiB, so that a listing of thousands of
/// VFs never holds its whole output in memory.
pub fn json_to(inv: &Inventory, flush: &mut dyn FnMut(&str)) {
    let mut out = String::with_capacity(40 * 1024);
    let mut item = |out: &mut String, first: bool, write: &dyn Fn(&mut String)| {
        out.push_str(if first { "\n" } else { ",\n" });
        write(out);
        if out.len() > 32 * 1024 {
            flush(out);
            out.clear();
        }
    };
    out.push_str(&format!("{{\"version\":{},\"pfs\":[", crate::json::VERSION));
    for (i, pf) in inv.pfs.iter().enumerate() {
        item(&mut out, i == 0, &|o| pf_json(o, pf));
    }
    out.push_str(if inv.pfs.is_empty() {
        "],\"vfs\":["
    } else {
        "\n],\"vfs\":["
    });
    let mut any = false;
    for (i, (pf, vf)) in inv.vfs().enumerate() {
        item(&mut out, i == 0, &|o| vf_json(o, pf, vf));
        any = true;
    }
    out.push_str(if any { "\n]}\n" } else { "]}\n" });
    flush(&out);
}

fn hex(v: Option<u16>) -> Option<String> {
    v.map(|v| format!("0x{v:04x}"))
}

fn pf_json(out: &mut String, p: &Pf) {
    let mut o = Obj::new(out);
    o.display("pci", p.addr)
        .strs("interfaces", p.interfaces.iter().map(|i| i.as_str()))
        .opt_str("interface", p.interface())
        .opt_str("driver", p.driver.as_ref())
        .opt_str("vendor", hex(p.vendor))
        .opt_str("device", hex(p.device))
        .opt_str("description", p.description.as_ref())
        .bool("sriov_capable", p.sriov)
        .num("total_vfs", p.total_vfs)
        .num("num_vfs", p.num_vfs)
        .num("configured_vfs", p.configured)
        .num("iommu_group", p.iommu_group)
        .opt_str("eswitch", p.eswitch.map(|m| m.name()))
        .opt_strs("port_types", p.port_types.as_deref())
        .str("path", &p.path());
    o.end();
}

/// One VF as `list --json` prints it, as a document of its own: its
/// `"version"` first (`vfnet vf DEV free --json`).
pub fn vf_json_line(pf: &Pf, v: &Vf) -> String {
    let mut s = String::new();
    vf_json_in(Obj::document(&mut s), pf, v);
    s
}

fn vf_json(out: &mut String, pf: &Pf, v: &Vf) {
    vf_json_in(Obj::new(out), pf, v)
}

fn vf_json_in(mut o: Obj<'_>, pf: &Pf, v: &Vf) {
    o.display("pci", v.addr)
        .opt_str("interface", v.interface.as_ref())
        .opt_str("mac", v.mac)
        .display("parent_pci", pf.addr)
        .opt_str("parent_interface", pf.interface())
        .num("index", v.index)
        .opt_str("driver", v.driver.as_ref())
        .num("iommu_group", v.iommu_group)
        .opt_str("representor", v.representor.as_ref().map(|r| r.as_str()))
        .str("path", &v.path())
        .raw("used_by", |out| match &v.used_by {
            None => out.push_str("null"),
            Some(u) => {
                let mut o = Obj::new(out);
                o.str("kind", u.kind.name())
                    .opt_str("name", u.name.as_ref())
                    .num("pid", u.pid);
                o.end();
            }
        })
        .raw("settings", |out| match &v.settings {
            None => out.push_str("null"),
            Some(s) => {
                let mut o = Obj::new(out);
                o.opt_str("mac", admin_mac(s))
                    .num("vlan", s.vlan)
                    .num("qos", s.qos)
                    .opt_bool("spoofchk", s.spoofchk)
                    .opt_bool("trust", s.trust)
                    .opt_str("state", s.link_state.map(|l| l.name()))
                    .raw("rate", |out| {
                        let mut r = Obj::new(out);
                        r.num("min", s.min_tx_rate).num("max", s.max_tx_rate);
                        r.end();
                    })
                    .opt_str("proto", s.vlan_proto.map(crate::netlink::proto_name))
                    .opt_bool("query_rss", s.query_rss)
                    .opt_str("node_guid", guid_set(s.node_guid))
                    .opt_str("port_guid", guid_set(s.port_guid));
                o.raw("stats", |out| match &s.stats {
                    None => out.push_str("null"),
                    Some(st) => {
                        let mut c = Obj::new(out);
                        for (k, v) in [
                            ("rx_packets", st.rx_packets),
                            ("tx_packets", st.tx_packets),
                            ("rx_bytes", st.rx_bytes),
                            ("tx_bytes", st.tx_bytes),
                            ("broadcast", st.broadcast),
                            ("multicast", st.multicast),
                            ("rx_dropped", st.rx_dropped),
                            ("tx_dropped", st.tx_dropped),
                        ] {
                            c.raw(k, |o| o.push_str(&v.to_string()));
                        }
                        c.end();
                    }
                });
                o.end();
            }
        });
    o.end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pci::PciAddr;

    /// The fields of `path` in the README's JSON schema block.
    fn readme_fields(path: &str) -> Vec<String> {
        let readme = include_str!("../README.md");
        let line = readme
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{path}: ")))
            .unwrap_or_else(|| panic!("the README's schema has no {path}"));
        line.split(' ').map(str::to_string).collect()
    }

    fn keys(v: &crate::json::Value) -> Vec<String> {
        match v {
            crate::json::Value::Obj(m) => m.iter().map(|(k, _)| k.clone()).collect(),
            other => panic!("not an object: {other:?}"),
        }
    }

    #[test]
    fn a_machine_without_sr_iov_names_at_most_8_other_netdevs() {
        let mut inv = Inventory::default();
        for i in 0..12 {
            let name = crate::ifname::IfName::parse(&format!("veth{i}")).unwrap();
            inv.others.push((name, None));
        }
        let why = no_sriov(&inv).unwrap();
        assert!(
            why.contains("veth7 (virtual), 4 more have no SR-IOV"),
            "{why}"
        );
        assert!(!why.contains("veth8"), "{why}");
    }

    #[test]
    fn a_vf_s_traffic_counters_have_the_readme_s_fields() {
        let pf = Pf::new(PciAddr::parse("0000:01:00.0").unwrap());
        let mut vf = Vf::new(PciAddr::parse("0000:01:10.0").unwrap());
        vf.settings = Some(VfInfo {
            stats: Some(crate::netlink::VfStats::default()),
            ..VfInfo::default()
        });
        let doc = crate::json::parse(&vf_json_line(&pf, &vf)).unwrap();
        let settings = doc.get("settings").unwrap();
        assert_eq!(keys(settings), readme_fields("list.vfs[].settings"));
        assert_eq!(
            keys(settings.get("stats").unwrap()),
            readme_fields("list.vfs[].settings.stats")
        );
        assert_eq!(
            keys(settings.get("rate").unwrap()),
            readme_fields("list.vfs[].settings.rate")
        );
    }
}
