//! `vfnet doctor [DEV] [--json]`: the set-up problems behind most SR-IOV
//! failures, each with its fix.
//!
//! [`gather`] reads what the checks need (the kernel command line, IOMMU
//! classes and groups, vfio-pci, the inventory, the kernel log, the config
//! file, the boot glue) into [`Facts`]; [`check`] is pure: facts in,
//! findings out, so each finding is tested on its own.

use crate::args::{self, Globals, Parsed};
use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::glue::{self, Init};
use crate::inventory::Inventory;
use crate::json::{self, Obj};
use crate::out;
use crate::pci::{DevKey, PciAddr};
use crate::sysfs::{Dir, Root};
use crate::system::System;
use lexopt::prelude::*;

/// Reading what the checks look at.
mod gather;
pub use gather::gather;

/// `vfnet doctor -h`.
pub const USAGE: crate::packed::Packed = crate::packed::texts::HELP_DOCTOR_TXT;

#[derive(Debug, Clone, PartialEq, Eq)]
/// `vfnet doctor`'s arguments.
pub struct Args {
    /// `DEV`: check this device only.
    pub dev: Option<DevKey>,
    /// `--json`: the findings as JSON.
    pub json: bool,
}

/// Parses `vfnet doctor`'s arguments (or returns its help).
#[inline(never)]
pub fn parse(p: &mut lexopt::Parser, g: &mut Globals) -> Result<Parsed<Args>> {
    let mut args = Args {
        dev: None,
        json: false,
    };
    while let Some(arg) = p.next()? {
        crate::prologue!(arg, p, g, USAGE);
        match arg {
            Short('j') | Long("json") => args.json = true,
            Value(v) if args.dev.is_none() => args.dev = Some(args::dev("doctor", v)?),
            _ => return Err(args::unexpected("doctor", USAGE, arg)),
        }
    }
    Ok(Parsed::Run(args))
}

/// What the checks look at.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// `/proc/cmdline`.
    pub cmdline: String,
    /// Entries of `/sys/class/iommu` (dmar0, ivhd0, ...).
    pub iommus: usize,
    /// Entries of `/sys/kernel/iommu_groups`.
    pub groups: usize,
    /// `/sys/bus/pci/drivers/vfio-pci` exists.
    pub vfio_loaded: bool,
    /// vfio-pci is a module of the running kernel, or built in.
    pub vfio_available: bool,
    /// The devices, as the listing sees them.
    pub inv: Inventory,
    /// For each VF (by address): the other devices in its IOMMU group.
    pub group_peers: Vec<(PciAddr, Vec<String>)>,
    /// Kernel log lines about PCI resources and SR-IOV (`None`: unreadable).
    pub kmsg: Option<Vec<String>>,
    /// The config file, when there is one.
    pub config: Option<Config>,
    /// The init systems found, and whether each one's glue is installed.
    pub boot: Vec<(Init, bool)>,
    /// mlx4_core's parameters as loaded, when a ConnectX-3 is present.
    pub mlx4: Option<Mlx4Params>,
    /// What each Intel GPU PF's driver was loaded with, and its GuC.
    pub gpu: Vec<crate::gpu::Facts>,
    /// Why the config named by `--config` or `VFNET_CONFIG` cannot be read
    /// (`None`: it was read, or it is the default one).
    pub config_error: Option<String>,
    /// The hypervisor this runs under, when it is a VM guest
    /// (`/sys/hypervisor/type`, DMI's vendor, cpuinfo's `hypervisor` flag).
    pub guest: Option<String>,
}

/// mlx4_core's parameters in force (`/sys/module/mlx4_core/parameters`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mlx4Params {
    /// `num_vfs` (`None`: mlx4_core is not loaded).
    pub num_vfs: Option<String>,
    /// `probe_vf`.
    pub probe_vf: Option<String>,
    /// `port_type_array`.
    pub port_type_array: Option<String>,
}

/// One result: a check that passed, or a problem with its fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Which check (`iommu`, `firmware`, `mlx4-params`, ...).
    pub check: &'static str,
    /// The device it is about, if any.
    pub device: Option<String>,
    /// Passed.
    pub ok: bool,
    /// What was found.
    pub message: String,
    /// What to do about it (problems only).
    pub fix: Option<String>,
}

fn ok(check: &'static str, device: Option<String>, message: String) -> Finding {
    Finding {
        check,
        device,
        ok: true,
        message,
        fix: None,
    }
}

fn bad(check: &'static str, device: Option<String>, message: String, fix: String) -> Finding {
    Finding {
        check,
        device,
        ok: false,
        message,
        fix: Some(fix),
    }
}

/// Kernel log lines that say a PF's VF BARs or bus numbers did not fit.
pub fn resource_trouble(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    (l.contains("bar")
        && (l.contains("no space") || l.contains("failed to assign") || l.contains("can't assign")))
        || l.contains("not enough mmio resources for sr-iov")
        || (l.contains("iov") && l.contains("bus number"))
        || l.contains("sriov: not enough")
}

/// The findings, in order: global checks, then each PF (only DEV's when
/// given), then the config and the boot service.
/// Every finding about the facts, in the order they are shown: the IOMMU,
/// vfio-pci, the device asked about, each PF, the config, the boot glue.
/// Pure: each area is a function of its own, tested on facts built by hand.
pub fn check(f: &Facts, only: Option<PciAddr>) -> Vec<Finding> {
    let mut out = Vec::new();
    // First of all, on a machine where nothing can have VFs.
    // (A PF whose firmware has SR-IOV off gets its own finding, with the fix.)
    let capable = f.inv.pfs.iter().any(|p| p.sriov);
    if let Some(why) = crate::render::no_sriov(&f.inv).filter(|_| only.is_none() && !capable) {
        out.push(bad("sr-iov", None, why, crate::msg!("SR-IOV needs a device with the capability (see its specifications); in a VM, pass one of the host's VFs through to it")));
    }
    out.extend([iommu(f), vfio(f)]);
    // A VF: say whose it is, and check that PF.
    let only = match only.and_then(|a| f.inv.vfs().find(|(_, v)| v.addr == a)) {
        Some((p, v)) => {
            out.push(ok(
                "device",
                Some(v.addr.to_string()),
                crate::msg!(
                    "VF {} of {}: checking that PF",
                    v.index.map_or("?".into(), |i| i.to_string()),
                    p.label()
                ),
            ));
            Some(p.addr)
        }
        None => only,
    };
    if let Some(a) = only.filter(|a| f.inv.pf_by_addr(*a).is_none()) {
        out.push(bad(
            "device",
            Some(a.to_string()),
            crate::msg!("not a network function nor an SR-IOV device"),
            crate::msg!("vfnet list --all shows the devices vfnet can manage"),
        ));
    }
    for p in f
        .inv
        .pfs
        .iter()
        .filter(|p| only.is_none_or(|a| a == p.addr))
    {
        out.extend(pf(f, p, only.is_some()));
        if p.sriov && p.count_at_load() {
            out.extend(mlx4(f, p));
        }
        for g in f.gpu.iter().filter(|g| g.addr == p.addr) {
            out.extend(crate::gpu::check(g).into_iter().map(|c| Finding {
                check: c.check,
                device: Some(p.label()),
                ok: c.fix.is_none(),
                message: c.message,
                fix: c.fix,
            }));
        }
    }
    if let Some(why) = &f.config_error {
        out.push(bad(
            "config",
            None,
            why.clone(),
            crate::msg!("create it (vfnet persist DEV N), or name the right file with --config"),
        ));
    }
    if let Some(cfg) = &f.config {
        out.extend(config(f, cfg, only));
        out.extend(boot(f, cfg));
    }
    out
}

/// A ConnectX-3's `port_type_array` against the ports it shows and the
/// ports the config puts VFs on.
fn port_types(
    pf: &crate::inventory::Pf,
    types: &str,
    entry: Option<crate::mlx4::Vfs>,
) -> Vec<Finding> {
    use crate::mlx4::{self as m, Vfs};
    let dev = Some(pf.label());
    let mut out = Vec::new();
    let types = m::port_types(types);
    let eth = types.iter().filter(|t| **t == "eth").count();
    let explicit = types.iter().all(|t| *t == "eth" || *t == "ib");
    if explicit && eth != pf.interfaces.len() {
        out.push(bad(
            "port-type",
            dev.clone(),
            crate::msg!("port_type_array={} asks for {} Ethernet ports, but the card shows {} ({})", types.join(","), eth, pf.interfaces.len(), pf.interfaces.iter().map(|i| i.as_str()).collect::<Vec<_>>().join(", ")),
            crate::msg!("the port types change when mlx4_core loads: reload it (vfnet set DEV N --reload) or fix \
             port_type_array in /etc/modprobe.d"),
        ));
    }
    if let Some(Vfs::Ports(x, y, _)) = entry {
        for (port, n) in [(1, x), (2, y)] {
            if n > 0 && types.get(port - 1) == Some(&"ib") {
                out.push(bad(
                    "port-type",
                    dev.clone(),
                    crate::msg!("the config puts {} on port {}, which is InfiniBand", out::vfs(n), port),
                    crate::msg!("for Ethernet VFs: vfnet persist DEV --port-type eth,eth, then reload mlx4_core (vfnet set DEV N --reload); or move them to the other port"),
                ));
            }
        }
    }
    out
}

/// A ConnectX-3: the parameters mlx4_core was loaded with against the
/// config's entry, the firmware's limit, and the port types.
fn mlx4(f: &Facts, pf: &crate::inventory::Pf) -> Vec<Finding> {
    use crate::mlx4::{self as m, Vfs};
    let mut out = Vec::new();
    let dev = Some(pf.label());
    let params = f.mlx4.clone().unwrap_or_default();
    let Some(num) = params.num_vfs.as_deref() else {
        return out;
    };
    let in_force = m::in_force(num, pf.addr);
    let probe = params.probe_vf.as_deref().unwrap_or("0").trim().to_string();
    out.push(ok(
        "mlx4-params",
        dev.clone(),
        crate::msg!(
            "mlx4_core loaded with num_vfs={} probe_vf={}: this card gets {}",
            crate::text::quote(num.trim()),
            crate::text::quote(&probe),
            in_force.map_or(crate::msg!("no VFs (it is not named)"), |v| v.to_string())
        ),
    ));
    let entry = f
        .config
        .as_ref()
        .and_then(|c| c.find(pf.addr, &pf.interfaces).map(|e| e.mlx4()));
    if let (Some(want), Some(have)) = (entry, in_force) {
        if want.total() != have.total() || (matches!(want, Vfs::Ports(..)) && want != have) {
            out.push(bad(
                "mlx4-params",
                dev.clone(),
                crate::msg!("the config asks for {}, but mlx4_core was loaded with {} for it", want, have),
                format!(
                    "vfnet persist {0} {want} (writes {1}), then reboot or vfnet set {0} {want} --reload",
                    pf.addr,
                    m::MODPROBE_FILE
                ),
            ));
        }
    }
    if let (Some(want), Some(total)) = (entry, pf.total_vfs) {
        if want.total() > total {
            out.push(bad(
                "firmware",
                dev.clone(),
                crate::msg!(
                    "the config asks for {} VFs; the firmware enables {}",
                    want.total(),
                    total
                ),
                crate::drivers::firmware_fix(pf.driver.as_deref(), pf.vendor, pf.addr),
            ));
        }
    }
    if let Some(ports) = crate::render::ports(pf) {
        out.push(ok("port-type", dev.clone(), ports));
    }
    if let Some(types) = params.port_type_array.as_deref() {
        out.extend(port_types(pf, types, entry));
    }
    out
}

/// Is there an IOMMU, and what does the kernel command line say of it.
fn iommu(f: &Facts) -> Finding {
    let flags: Vec<&str> = f
        .cmdline
        .split_whitespace()
        .filter(|w| {
            w.starts_with("intel_iommu=") || w.starts_with("amd_iommu=") || w.starts_with("iommu=")
        })
        .collect();
    let flags = if flags.is_empty() {
        crate::msg!("none on the command line")
    } else {
        flags.join(" ")
    };
    if f.groups > 0 {
        ok(
            "iommu",
            None,
            crate::msg!(
                "IOMMU on: {} groups, {} in /sys/class/iommu ({})",
                f.groups,
                out::plural(f.iommus, "unit", "units"),
                flags
            ),
        )
    } else if flags.contains("intel_iommu=off") || flags.contains("amd_iommu=off") {
        bad(
            "iommu",
            None,
            crate::msg!("IOMMU turned off on the kernel command line ({})", flags),
            crate::msg!(
                "remove it, and boot with intel_iommu=on iommu=pt (Intel) or amd_iommu=on iommu=pt (AMD)"
            ),
        )
    } else if let Some(hv) = &f.guest {
        bad(
            "iommu",
            None,
            crate::msg!(
                "no IOMMU in this VM ({}): /sys/class/iommu has {} entries, {} IOMMU groups ({})",
                hv,
                f.iommus,
                f.groups,
                flags
            ),
            crate::msg!(
                "give the VM a virtual IOMMU (QEMU: q35 with -device intel-iommu; libvirt: <iommu model='intel'/>) \
             and boot it with intel_iommu=on"
            ),
        )
    } else {
        bad(
            "iommu",
            None,
            crate::msg!(
                "no IOMMU: /sys/class/iommu has {} entries, {} IOMMU groups ({})",
                f.iommus,
                f.groups,
                flags
            ),
            crate::msg!(
                "enable VT-d (Intel) or AMD-Vi/IOMMU (AMD) in the BIOS, and boot with intel_iommu=on iommu=pt or amd_iommu=on iommu=pt"
            ),
        )
    }
}

/// Can a VF go to vfio-pci.
fn vfio(f: &Facts) -> Finding {
    match (f.vfio_loaded, f.vfio_available) {
        (true, _) => ok("vfio-pci", None, crate::msg!("vfio-pci is loaded")),
        (false, true) => ok(
            "vfio-pci",
            None,
            crate::msg!("vfio-pci is available (loaded when a VF is bound to it)"),
        ),
        (false, false) => bad(
            "vfio-pci",
            None,
            crate::msg!("vfio-pci is neither loaded nor a module of the running kernel"),
            crate::msg!(
                "install the running kernel's modules (/lib/modules/VERSION: vfio-pci is in every distribution \
             kernel), then modprobe vfio-pci; a kernel booted with nomodule loads none"
            ),
        ),
    }
}

/// One PF: SR-IOV in firmware, its driver, resources in the kernel log,
/// its VFs' IOMMU groups. `asked`: the user named it (a PF without SR-IOV
/// is then a finding).
fn pf(f: &Facts, pf: &crate::inventory::Pf, asked: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    let dev = Some(pf.label());
    if !pf.sriov {
        if asked {
            out.push(bad(
                "sr-iov",
                dev,
                crate::msg!("no SR-IOV capability (no sriov_totalvfs)"),
                crate::msg!("SR-IOV needs a device that has it: see its specifications"),
            ));
        }
        return out;
    }
    match pf.total_vfs {
        Some(0) => out.push(bad(
            "firmware",
            dev.clone(),
            match pf.driver.as_deref().filter(|d| crate::gpu::is_gpu(Some(d))) {
                Some(d) => crate::msg!("sriov_totalvfs is 0: {} was loaded without max_vfs", d),
                None => crate::msg!("SR-IOV is off in firmware (sriov_totalvfs is 0)"),
            },
            crate::drivers::firmware_fix(pf.driver.as_deref(), pf.vendor, pf.addr),
        )),
        Some(n) => out.push(ok(
            "firmware",
            dev.clone(),
            crate::msg!("SR-IOV capable: up to {}", out::vfs(n)),
        )),
        None => out.push(bad(
            "firmware",
            dev.clone(),
            crate::msg!("sriov_totalvfs cannot be read"),
            crate::msg!("check dmesg for the PF"),
        )),
    }
    match &pf.driver {
        Some(d) => out.push(ok("driver", dev.clone(), crate::msg!("driver {} bound", d))),
        None => out.push(bad(
            "driver",
            dev.clone(),
            crate::msg!("no driver bound: the kernel creates VFs only through the PF's driver"),
            crate::msg!(
                "load the device's driver (modprobe), or check why it did not bind (dmesg)"
            ),
        )),
    }
    out.extend(resources(f, pf));
    out.extend(iommu_groups(f, pf));
    out
}

/// What the kernel log says of the PF's VFs' resources (BARs, bus numbers).
fn resources(f: &Facts, pf: &crate::inventory::Pf) -> Vec<Finding> {
    let mut out = Vec::new();
    let dev = Some(pf.label());
    if let Some(lines) = &f.kmsg {
        let name = pf.addr.to_string();
        let trouble: Vec<&String> = lines
            .iter()
            .filter(|l| l.contains(&name) && resource_trouble(l))
            .collect();
        if let Some(first) = trouble.first() {
            out.push(bad(
                "resources",
                dev.clone(),
                crate::msg!("the kernel could not place the VFs' BARs or bus numbers: \"{}\"{}", first.trim(), if trouble.len() > 1 { crate::msg!(" (and {} more lines)", trouble.len() - 1) } else { String::new() }),
                crate::msg!("enable SR-IOV and Above 4G Decoding / Resizable BAR in the BIOS, or boot with pci=realloc (pci=realloc=on,assign-busses on some boards)"),
            ));
        }
    }
    out
}

/// Whether each VF is in an IOMMU group of its own (a VM takes a group).
fn iommu_groups(f: &Facts, pf: &crate::inventory::Pf) -> Vec<Finding> {
    let mut out = Vec::new();
    let dev = Some(pf.label());
    for vf in &pf.vfs {
        let Some((_, peers)) = f.group_peers.iter().find(|(a, _)| *a == vf.addr) else {
            continue;
        };
        if !peers.is_empty() {
            out.push(bad(
                "iommu-group",
                dev.clone(),
                crate::msg!("VF {} ({}) shares IOMMU group {} with {}", vf.index.map_or("?".into(), |i| i.to_string()), vf.addr, vf.iommu_group.map_or("?".into(), |g| g.to_string()), peers.join(", ")),
                crate::msg!("a VM must take the whole group: the PCIe path lacks ACS isolation; use a slot on the CPU's root ports, or the BIOS ACS setting"),
            ));
        }
    }
    if !pf.vfs.is_empty()
        && pf.vfs.iter().all(|v| v.iommu_group.is_some())
        && !out
            .iter()
            .any(|x| x.check == "iommu-group" && x.device == dev)
    {
        out.push(ok(
            "iommu-group",
            dev.clone(),
            crate::msg!(
                "each of its {} in an IOMMU group of its own",
                out::vfs(pf.vfs.len() as u32)
            ),
        ));
    }
    out
}

/// The config file: its bad lines, and each entry against the live count.
fn config(f: &Facts, cfg: &Config, only: Option<PciAddr>) -> Vec<Finding> {
    let mut out = Vec::new();
    let path = cfg.read_from();
    for e in cfg.errors() {
        out.push(bad(
            "config",
            None,
            e,
            crate::msg!("correct the line in {}", path),
        ));
    }
    for e in cfg.entries() {
        let found = match e.key {
            DevKey::Pci(a) => f.inv.pf_by_addr(*a),
            DevKey::Name(n) => f.inv.pf_by_name(n),
        };
        let Some(i) = found else {
            out.push(bad(
                "config",
                Some(e.key.to_string()),
                crate::msg!("{}:{}: no such device now", path, e.line),
                crate::msg!("remove the line, or check that the device and its driver are present"),
            ));
            continue;
        };
        let pf = &f.inv.pfs[i];
        if only.is_some_and(|a| a != pf.addr) {
            continue;
        }
        if let Some(total) = pf.total_vfs.filter(|&t| e.count > t && t > 0) {
            let fix = crate::drivers::over_total_fix(pf.driver.as_deref(), pf.addr, e.count)
                .unwrap_or_else(|| crate::msg!("at most {}: lower the count in {}", total, path));
            out.push(bad(
                "config",
                Some(pf.label()),
                crate::msg!(
                    "{}:{} asks for {}, more than the device allows ({})",
                    path,
                    e.line,
                    out::vfs(e.count),
                    total
                ),
                fix,
            ));
            continue;
        }
        if crate::drivers::needs_up(pf.driver.as_deref()) && e.count > 0 && !pf.up {
            out.push(bad(
                "driver",
                Some(pf.label()),
                crate::msg!("the PF is down: {}", crate::drivers::NEEDS_UP),
                crate::msg!(
                    "vfnet set and apply bring it up first; ip link set DEV up does it by hand"
                ),
            ));
        }
        match pf.num_vfs {
            Some(n) if n == e.count => out.push(ok(
                "config",
                Some(pf.label()),
                crate::msg!("{} as configured", out::vfs(n)),
            )),
            n => out.push(bad(
                "config",
                Some(pf.label()),
                crate::msg!(
                    "{}:{} asks for {}, the PF has {}",
                    path,
                    e.line,
                    out::vfs(e.count),
                    n.map_or("?".into(), |n| n.to_string())
                ),
                crate::msg!("vfnet apply (or vfnet persist to record what it has now)"),
            )),
        }
    }
    out
}

/// Whether anything applies the config at boot.
fn boot(f: &Facts, cfg: &Config) -> Option<Finding> {
    cfg.entries().next()?;
    let installed: Vec<&str> = f
        .boot
        .iter()
        .filter(|(_, on)| *on)
        .map(|(i, _)| i.name())
        .collect();
    Some(if installed.is_empty() {
        bad(
            "boot",
            None,
            crate::msg!("nothing applies the config at boot"),
            crate::msg!("vfnet install (see vfnet install -h)"),
        )
    } else {
        ok(
            "boot",
            None,
            crate::msg!("applied at boot by: {}", installed.join(", ")),
        )
    })
}

/// Runs `vfnet doctor` on the system `s`.
#[inline(never)]
pub fn run(s: &System, args: &Args) -> Result<()> {
    let root = &s.root;
    let sys = s.sys()?;
    let only = match &args.dev {
        Some(k) => Some(crate::device::addr_of(sys, k)?),
        None => None,
    };
    let inv = crate::survey::survey(s, &crate::survey::Want::scan())?;
    let facts = gather(root, sys, &s.config, inv);
    let findings = check(&facts, only);
    let problems = findings.iter().filter(|f| !f.ok).count();
    out::print(&if args.json {
        to_json(&findings)
    } else {
        to_text(&findings)
    });
    if problems > 0 {
        return Err(Error::fail(format!(
            "{} found",
            out::plural(problems, "problem", "problems")
        )));
    }
    Ok(())
}

fn to_text(findings: &[Finding]) -> String {
    let mut s = String::new();
    for f in findings {
        let dev = f
            .device
            .as_deref()
            .map_or(String::new(), |d| format!("{d}: "));
        s.push_str(&format!(
            "{} {:<11} {dev}{}\n",
            if f.ok { "ok  " } else { "FAIL" },
            f.check,
            // What the system said, in a message: no control character
            // reaches the terminal (the JSON escapes its own).
            crate::text::escape_controls(&f.message)
        ));
        if let Some(fix) = &f.fix {
            s.push_str(&format!("     {:<11} fix: {fix}\n", ""));
        }
    }
    s
}

/// A device label, `enp1s0f0 (0000:01:00.0)` or `0000:01:00.0`, as its
/// address and interface (interface names hold no space).
fn split_label(label: &str) -> (Option<&str>, Option<&str>) {
    match label.strip_suffix(')').and_then(|l| l.split_once(" (")) {
        Some((name, pci)) => (Some(pci), Some(name)),
        None => (Some(label), None),
    }
}

fn to_json(findings: &[Finding]) -> String {
    let mut s = String::new();
    let mut doc = Obj::document(&mut s);
    doc.bool("ok", findings.iter().all(|f| f.ok));
    doc.raw("findings", |out| {
        json::lines(out, findings, |out, f| {
            let mut o = Obj::new(out);
            let (pci, interface) = f.device.as_deref().map_or((None, None), split_label);
            o.str("check", f.check)
                .opt_str("pci", pci)
                .opt_str("interface", interface)
                .bool("ok", f.ok)
                .str("message", &f.message)
                .opt_str("fix", f.fix.as_ref());
            o.end();
        })
    });
    doc.end();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_lines_are_recognised() {
        for l in [
            "pci 0000:01:00.0: BAR 7: no space for [mem size 0x00100000 64bit]",
            "pci 0000:01:00.0: BAR 7: failed to assign [mem size 0x00100000 64bit]",
            "igb 0000:01:00.0: not enough MMIO resources for SR-IOV",
        ] {
            assert!(resource_trouble(l), "{l}");
        }
        assert!(!resource_trouble("igb 0000:01:00.0: 2 VFs allocated"));
        assert!(!resource_trouble(
            "pci 0000:01:00.0: BAR 0 [mem 0xfe800000-0xfe81ffff]: assigned"
        ));
    }

    fn a(s: &str) -> PciAddr {
        PciAddr::parse(s).unwrap()
    }

    /// A PF with SR-IOV, `total` allowed, `num` now, and its VFs' groups.
    fn sriov_pf(
        addr: &str,
        total: Option<u32>,
        num: u32,
        driver: Option<&str>,
    ) -> crate::inventory::Pf {
        crate::inventory::Pf {
            addr: a(addr),
            interfaces: vec![crate::ifname::IfName::parse("eth0").unwrap()],
            subsystem: None,
            vendor: Some(0x8086),
            device: Some(0x10c9),
            description: None,
            driver: driver.map(|d| crate::pci::Name::try_from(d).unwrap()),
            sriov: true,
            total_vfs: total,
            num_vfs: Some(num),
            iommu_group: Some(1),
            up: false,
            configured: None,
            eswitch: None,
            port_types: None,
            vfs: (0..num)
                .map(|i| crate::inventory::Vf {
                    addr: a(&format!("0000:01:10.{i}")),
                    index: Some(i),
                    interface: None,
                    mac: None,
                    driver: None,
                    iommu_group: Some(10 + i),
                    settings: None,
                    used_by: None,
                    representor: None,
                })
                .collect(),
        }
    }

    fn facts(pfs: Vec<crate::inventory::Pf>) -> Facts {
        Facts {
            cmdline: "quiet intel_iommu=on iommu=pt".into(),
            iommus: 1,
            groups: 12,
            vfio_loaded: true,
            vfio_available: true,
            inv: Inventory {
                others: Vec::new(),
                pfs,
                usage_known: false,
                usage_incomplete: false,
                settings_known: false,
            },
            ..Facts::default()
        }
    }

    fn brief(v: &[Finding]) -> Vec<String> {
        v.iter()
            .map(|f| format!("{} {}", if f.ok { "ok" } else { "BAD" }, f.check))
            .collect()
    }

    #[test]
    fn a_connectx3_is_checked_against_the_parameters_mlx4_core_loaded_with() {
        let mut cx3 = sriov_pf("0000:03:00.0", Some(16), 4, Some("mlx4_core"));
        cx3.vendor = Some(0x15b3);
        cx3.interfaces = vec![
            crate::ifname::IfName::parse("enp3s0").unwrap(),
            crate::ifname::IfName::parse("enp3s0d1").unwrap(),
        ];
        let mut f = facts(vec![cx3]);
        f.mlx4 = Some(Mlx4Params {
            num_vfs: Some("4\n".into()),
            probe_vf: Some("0\n".into()),
            port_type_array: Some("2,2\n".into()),
        });
        let p = f.inv.pfs[0].clone();
        let found = mlx4(&f, &p);
        assert_eq!(brief(&found), ["ok mlx4-params"]);
        assert!(
            found[0]
                .message
                .contains("num_vfs=4 probe_vf=0: this card gets 4")
        );
        // The config asks for more than was loaded, and more than the
        // firmware allows; port 1 is InfiniBand but gets VFs.
        f.config = Some(Config::parse("/c".into(), "0000:03:00.0=10,0,10\n"));
        f.mlx4.as_mut().unwrap().port_type_array = Some("1,2\n".into());
        let found = mlx4(&f, &p);
        assert_eq!(
            brief(&found),
            [
                "ok mlx4-params",
                "BAD mlx4-params",
                "BAD firmware",
                "BAD port-type",
                "BAD port-type"
            ]
        );
        assert!(
            found[1]
                .message
                .contains("asks for 10,0,10, but mlx4_core was loaded with 4")
        );
        assert!(
            found[1]
                .fix
                .as_ref()
                .unwrap()
                .contains("vfnet set 0000:03:00.0 10,0,10 --reload")
        );
        assert!(
            found[2]
                .fix
                .as_ref()
                .unwrap()
                .contains("mstconfig -d 0000:03:00.0")
        );
        assert!(
            found[3]
                .message
                .contains("asks for 1 Ethernet ports, but the card shows 2")
        );
        assert!(
            found[4]
                .message
                .contains("10 VFs on port 1, which is InfiniBand")
        );
        // Not loaded: nothing to compare.
        f.mlx4 = Some(Mlx4Params::default());
        assert!(mlx4(&f, &p).is_empty());
    }

    #[test]
    fn the_iommu_is_judged_by_its_groups_and_the_command_line() {
        let mut f = facts(vec![]);
        assert!(iommu(&f).ok);
        assert!(iommu(&f).message.contains("intel_iommu=on iommu=pt"));
        f.groups = 0;
        f.iommus = 0;
        assert!(iommu(&f).fix.unwrap().contains("enable VT-d"));
        f.cmdline = "intel_iommu=off".into();
        assert!(iommu(&f).message.contains("turned off"));
    }

    #[test]
    fn vfio_is_loaded_available_or_missing() {
        let mut f = facts(vec![]);
        assert!(vfio(&f).ok);
        f.vfio_loaded = false;
        assert!(vfio(&f).message.contains("available"));
        f.vfio_available = false;
        assert!(!vfio(&f).ok);
    }

    #[test]
    fn a_pf_is_checked_for_firmware_driver_resources_and_groups() {
        let mut f = facts(vec![sriov_pf("0000:01:00.0", Some(7), 2, Some("igb"))]);
        assert_eq!(
            brief(&pf(&f, &f.inv.pfs[0], false)),
            ["ok firmware", "ok driver", "ok iommu-group"]
        );
        f.kmsg = Some(vec![
            "pci 0000:01:00.0: BAR 7: no space for [mem size 0x00100000 64bit]".into(),
        ]);
        f.group_peers = vec![(a("0000:01:10.1"), vec!["0000:01:10.0".into()])];
        let off = sriov_pf("0000:01:00.0", Some(0), 2, None);
        assert_eq!(
            brief(&pf(&f, &off, false)),
            [
                "BAD firmware",
                "BAD driver",
                "BAD resources",
                "BAD iommu-group"
            ]
        );
        let mut plain = sriov_pf("0000:02:00.0", None, 0, Some("e1000e"));
        plain.sriov = false;
        assert_eq!(brief(&pf(&f, &plain, false)), Vec::<String>::new());
        assert_eq!(brief(&pf(&f, &plain, true)), ["BAD sr-iov"]);
    }

    #[test]
    fn config_entries_are_held_against_the_live_counts() {
        let mut f = facts(vec![sriov_pf("0000:01:00.0", Some(7), 2, Some("igb"))]);
        let cfg = Config::parse("/c".into(), "0000:01:00.0=2\neth9=1\nbroken\n");
        let found = config(&f, &cfg, None);
        assert_eq!(brief(&found), ["BAD config", "ok config", "BAD config"]);
        assert!(found[2].message.contains("/c:2: no such device now"));
        let drift = Config::parse("/c".into(), "0000:01:00.0=4\n");
        let found = config(&f, &drift, None);
        assert!(
            found[0]
                .message
                .contains("/c:1 asks for 4 VFs, the PF has 2"),
            "{:?}",
            found[0]
        );
        assert_eq!(boot(&f, &drift).map(|b| b.ok), Some(false));
        f.boot = vec![(Init::Systemd, true)];
        assert_eq!(
            boot(&f, &drift).unwrap().message,
            "applied at boot by: systemd"
        );
        assert_eq!(boot(&f, &Config::parse("/c".into(), "# none\n")), None);
    }
}
