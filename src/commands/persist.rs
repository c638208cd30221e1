//! `vfnet persist [DEV [N]]`: record VF counts in the config file.

use crate::args::{self, Globals, Parsed};
use crate::config::{self, Config, Line, Source, VfSel};
use crate::devlink::Mode;
use crate::error::{Error, Result};
use crate::ifname::IfName;
use crate::mlx4::Vfs;
use crate::modprobe::Lines;
use crate::netlink::Link;
use crate::pci::{DevKey, PciAddr};
use crate::system::System;
use crate::vf::{MacSpec, Setting};
use crate::{out, sriov};
use lexopt::prelude::*;

/// `vfnet persist -h`.
pub const USAGE: crate::packed::Packed = crate::packed::texts::HELP_PERSIST_TXT;

#[derive(Debug, Clone, PartialEq, Eq)]
/// `vfnet persist`'s arguments.
pub struct Args {
    /// `DEV` (none: every PF with VFs).
    pub dev: Option<DevKey>,
    /// `N` (for `X,Y,Z`: X+Y+Z).
    pub count: Option<u32>,
    /// `X,Y,Z` given for N: a ConnectX-3's count per port.
    pub ports: Option<[u32; 3]>,
    /// `--probe`: mlx4_core's probe_vf for DEV.
    pub probe: Option<crate::mlx4::Vfs>,
    /// `--port-type`: a ConnectX-3's port types (port_type_array).
    pub port_types: Option<crate::mlx4::PortTypes>,
    /// `--refresh-initramfs`.
    pub refresh_initramfs: bool,
    /// `--timeout SECS`: for another vfnet's edit.
    pub timeout: std::time::Duration,
    /// `--dry-run`: print the file as it would be.
    pub dry_run: bool,
    /// `--vf`: (selection, setting), checked.
    pub vf: Vec<(VfSel, Setting)>,
    /// `--remove`: remove DEV's entries.
    pub remove: bool,
    /// `--eswitch MODE`: DEV's eswitch mode.
    pub eswitch: Option<crate::devlink::Mode>,
    /// `--json`: what was recorded as apply's document.
    pub json: bool,
}

/// Parses `vfnet persist`'s arguments (or returns its help).
#[inline(never)]
pub fn parse(p: &mut lexopt::Parser, g: &mut Globals) -> Result<Parsed<Args>> {
    let mut args = Args {
        dev: None,
        count: None,
        ports: None,
        probe: None,
        port_types: None,
        refresh_initramfs: false,
        timeout: args::DEFAULT_TIMEOUT,
        dry_run: false,
        vf: Vec::new(),
        remove: false,
        eswitch: None,
        json: false,
    };
    while let Some(arg) = p.next()? {
        crate::prologue!(arg, p, g, USAGE);
        match arg {
            Short('t') | Long("timeout") => args.timeout = args::timeout("persist", p.value()?)?,
            Short('n') | Long("dry-run") => args.dry_run = true,
            Short('j') | Long("json") => args.json = true,
            Long("remove") => args.remove = true,
            Long("probe") => args.probe = Some(args::vfs("persist", "--probe", p.value()?)?),
            Long("port-type") => {
                let v = args::text("persist", "--port-type", p.value()?)?;
                let t = crate::mlx4::PortTypes::parse(&v, "--port-type");
                args.port_types = Some(t.map_err(|e| args::usage("persist", e))?);
            }
            Long("refresh-initramfs") => args.refresh_initramfs = true,
            Long("eswitch") => {
                let v = args::text("persist", "--eswitch", p.value()?)?;
                args.eswitch = Some(crate::devlink::Mode::parse(&v).ok_or_else(|| {
                    let v = crate::text::quote(&v);
                    args::usage(
                        "persist",
                        crate::msg!("--eswitch takes legacy or switchdev, not '{}'", v),
                    )
                })?);
            }
            Long("vf") => {
                let spec = p.value()?;
                let spec = spec.to_string_lossy();
                args.vf.push(vf_spec(&spec)?);
            }
            Value(v) if args.dev.is_none() => args.dev = Some(args::dev("persist", v)?),
            Value(v) if args.count.is_none() => {
                let vfs = args::vfs("persist", "N", v)?;
                args.count = Some(vfs.total());
                if let crate::mlx4::Vfs::Ports(x, y, z) = vfs {
                    args.ports = Some([x, y, z]);
                }
            }
            _ => return Err(args::unexpected("persist", USAGE, arg)),
        }
    }
    if (args.remove || !args.vf.is_empty()) && args.dev.is_none() {
        return Err(crate::error::Error::Usage(crate::msg!(
            "persist: --vf and --remove need a DEV (vfnet persist DEV --remove)"
        )));
    }
    let pf_opts = args.probe.is_some() || args.eswitch.is_some() || args.port_types.is_some();
    if pf_opts && args.dev.is_none() {
        return Err(crate::error::Error::Usage(crate::msg!(
            "persist: --probe, --port-type and --eswitch need a DEV (vfnet persist DEV N --eswitch MODE)"
        )));
    }
    if args.remove && (args.count.is_some() || !args.vf.is_empty() || pf_opts) {
        return Err(crate::error::Error::Usage(crate::msg!(
            "persist: --remove takes no N, --vf, --probe, --port-type or --eswitch"
        )));
    }
    Ok(Parsed::Run(args))
}

/// Parses a `--vf` SPEC as the config file would (`vf1.vlan=7`), with a
/// stand-in PF.
fn vf_spec(spec: &str) -> Result<(VfSel, Setting)> {
    if !spec.starts_with("vf") {
        return Err(crate::error::Error::Usage(crate::msg!(
            "persist: --vf takes vfN.SETTING=VALUE, vfA-B.SETTING=VALUE or vfs.SETTING=VALUE \
             (vfs.mac=auto for every VF), not '{}'",
            crate::text::quote(spec)
        )));
    }
    match config::parse_line(&crate::msg!("0000:00:00.0.{}\n", spec)) {
        Line::Vf { vf, setting, .. } => Ok((vf, setting)),
        Line::Bad { error, .. } => Err(crate::error::Error::Usage(crate::msg!(
            "persist: --vf '{}': {}",
            crate::text::quote(spec),
            error.replace("0000:00:00.0.", "")
        ))),
        _ => Err(crate::error::Error::Usage(crate::msg!(
            "persist: --vf '{}': expected vfN.SETTING=VALUE, vfA-B.SETTING=VALUE or vfs.SETTING=VALUE",
            crate::text::quote(spec)
        ))),
    }
}

/// One recorded count, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The PF.
    pub addr: PciAddr,
    /// How messages name the PF.
    pub label: String,
    /// The count the config had for it before (`None`: no entry).
    pub before: Option<u32>,
    /// `None`: only VF settings were recorded.
    pub count: Option<u32>,
    /// Whether the config changed for it.
    pub changed: bool,
}

/// What persist records for one PF, read from the system first; [`record`]
/// then writes it into the config, purely.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// The PF.
    pub addr: PciAddr,
    /// Its interfaces (config keys may name it by one).
    pub interfaces: Vec<IfName>,
    /// How messages name it.
    pub label: String,
    /// The count to record (`None`: left as recorded).
    pub vfs: Option<Vfs>,
    /// A ConnectX-3's `probe_vf` to record.
    pub probe: Option<Vfs>,
    /// A ConnectX-3's port types to record.
    pub port_types: Option<crate::mlx4::PortTypes>,
    /// The eswitch mode asked for (`--eswitch`).
    pub eswitch: Option<Mode>,
    /// The mode devlink reports, recorded as `eswitch::to_record` says.
    pub reported: Option<Mode>,
    /// The MAC lines read from the kernel (`mac_records`).
    pub macs: Vec<(VfSel, Setting)>,
    /// The `--vf` settings asked for.
    pub settings: Vec<(VfSel, Setting)>,
}

/// Writes `r` into `cfg`; whether anything changed. Pure.
pub fn record(cfg: &mut Config, r: &Record) -> bool {
    let (addr, names) = (r.addr, &r.interfaces[..]);
    let mut changed = false;
    if let Some(v) = r.vfs {
        changed |= cfg.set_vfs(addr, names, v);
    }
    if let Some(p) = r.probe {
        changed |= cfg.set_probe(addr, names, Some(p));
    }
    if let Some(t) = r.port_types {
        changed |= cfg.set_port_types(addr, names, t);
    }
    let recorded = cfg.eswitch(addr, names).map(|e| e.1);
    if let Some(m) = r
        .eswitch
        .or(crate::eswitch::to_record(r.reported, recorded))
    {
        changed |= cfg.set_eswitch(addr, names, Some(m));
    }
    changed |= record_macs(cfg, addr, names, r.macs.clone());
    for (sel, setting) in &r.settings {
        changed |= cfg.set_vf(addr, names, *sel, *setting);
    }
    changed
}

/// `vfnet persist` without DEV: each PF that has VFs, or an entry already,
/// recorded with the count it has; `migrated` are PFs whose count came from
/// the original vfnet's file (kept as it said). Pure.
pub fn record_all(cfg: &mut Config, pfs: &[Record], migrated: &[Recorded]) -> Vec<Recorded> {
    let mut rec = migrated.to_vec();
    for r in pfs {
        if rec.iter().any(|m| m.label == r.label) {
            continue;
        }
        let n = r.vfs.map_or(0, |v| v.total());
        let before = cfg.find(r.addr, &r.interfaces).map(|e| e.count);
        if n > 0 || before.is_some() {
            let changed = record(cfg, r);
            rec.push(Recorded {
                addr: r.addr,
                before,
                label: r.label.clone(),
                count: Some(n),
                changed,
            });
        }
    }
    rec
}

/// What persist needs of the system: stable MACs from the kernel (live
/// only), the config path, the deadline, whether to write.
struct Ctx<'s> {
    s: &'s System,
    route: Option<crate::netlink::Socket>,
    deadline: crate::wait::Deadline,
    write: bool,
}

impl Ctx<'_> {
    /// The MAC lines to record for a PF with `count` VFs (none under --root).
    fn macs(&mut self, names: &[IfName], count: u32) -> Vec<(VfSel, Setting)> {
        match (&mut self.route, names.first()) {
            (Some(r), Some(iface)) if count > 0 => r
                .link(iface.as_str())
                .map(|l| mac_records(&l))
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Edits the config under its lock (a dry run: plans it), `f` returning
    /// what it recorded; also the ConnectX-3 options line the edited config
    /// asks for, when one is concerned.
    fn edit<T>(&self, f: impl FnOnce(&mut Config) -> T) -> Result<(T, Vec<u8>, Lines)> {
        let s = self.s;
        let mut line = (None, None);
        let (t, after) =
            crate::conffile::edit_or_plan(&s.root, &s.config, &self.deadline, self.write, |cfg| {
                let t = f(cfg);
                line = crate::modprobe::lines(&s.root, s.sys()?, cfg)?;
                Ok(t)
            })?;
        Ok((t, after, line))
    }
}

/// Runs `vfnet persist` on the system `s`.
#[inline(never)]
pub fn run(s: &System, args: &Args) -> Result<()> {
    out::set_changing();
    let mut ctx = Ctx {
        s,
        route: s.route().and_then(|r| r.ok()),
        deadline: crate::wait::Deadline::after(args.timeout),
        write: !args.dry_run,
    };
    let (recorded, notes, after, line) = match &args.dev {
        Some(dev) if args.remove => return remove(&ctx, args, dev),
        None => all(&mut ctx)?,
        Some(dev) => one(&mut ctx, args, dev)?,
    };
    // A dry run writes nothing: neither the config nor a modprobe.d file.
    if args.json {
        out::print(&json(s, args, &recorded));
        return match args.dry_run {
            true => Ok(()),
            false => sync(s, line, args.refresh_initramfs),
        };
    }
    if args.dry_run {
        out::print(&String::from_utf8_lossy(&after));
        return Ok(());
    }
    let mut text = String::new();
    for n in notes {
        text.push_str(&n);
        text.push('\n');
    }
    text.push_str(&report(
        &s.config.display().to_string(),
        &recorded,
        !args.vf.is_empty(),
        args.eswitch,
    ));
    out::print(&text);
    sync(s, line, args.refresh_initramfs)
}

/// `persist --json`: apply's document, one record per PF recorded: its
/// count before (in the config), wanted and after, or its VF settings or
/// eswitch mode when only those were recorded.
fn json(s: &System, args: &Args, recorded: &[Recorded]) -> String {
    use crate::report::{Record, Report, Status, Values};
    let records: Vec<Record> = recorded
        .iter()
        .map(|r| Record {
            lines: Vec::new(),
            device: Some(r.addr),
            vf: None,
            values: match (r.count, args.eswitch) {
                (Some(n), _) => Values::Count {
                    before: r.before,
                    wanted: Some(n),
                    after: Some(n),
                },
                (None, Some(m)) => Values::Eswitch {
                    before: None,
                    wanted: m,
                    after: Some(m),
                },
                (None, None) => Values::Vf {
                    // `vf0.mac auto`: as the config's keys name them.
                    wanted: args
                        .vf
                        .iter()
                        .map(|(sel, set)| format!("{sel}.{} {set}", set.name()))
                        .collect(),
                    changes: Vec::new(),
                    before: None,
                    after: None,
                },
            },
            status: if r.changed {
                Status::Changed
            } else {
                Status::Unchanged
            },
            error: None,
        })
        .collect();
    let config = s.config.display().to_string();
    Report {
        config: Some(&config),
        config_state: None,
        entries: &[],
        dry_run: args.dry_run,
        records: &records,
        error: None,
        exit_status: 0,
    }
    .to_json()
}

/// What persist did, a record and config bytes, and the modprobe line.
type Done = (Vec<Recorded>, Vec<String>, Vec<u8>, Lines);

/// `vfnet persist DEV --remove`.
fn remove(ctx: &Ctx, args: &Args, dev: &DevKey) -> Result<()> {
    let (s, path) = (ctx.s, ctx.s.config.display());
    let (addr, names, label) = match crate::device::resolve_for(s.sys()?, dev, "persist") {
        Ok(pf) => (Some(pf.addr), pf.interfaces.clone(), pf.label()),
        Err(_) => match dev {
            DevKey::Pci(a) => (Some(*a), Vec::new(), a.to_string()),
            DevKey::Name(n) => (None, vec![n.clone()], n.to_string()),
        },
    };
    let (removed, after, line) = ctx.edit(|cfg| cfg.remove(addr, &names))?;
    if args.dry_run {
        out::print(&String::from_utf8_lossy(&after));
    } else if removed {
        out::print(&crate::msg!("{}: entries removed from {}\n", label, path));
        sync(s, line, args.refresh_initramfs)?;
    } else {
        out::print(&crate::msg!("{}: no entries in {}\n", label, path));
    }
    Ok(())
}

/// `vfnet persist`: every PF's current count.
fn all(ctx: &mut Ctx) -> Result<Done> {
    let s = ctx.s;
    let want = crate::survey::Want {
        eswitch: true,
        ..crate::survey::Want::scan()
    };
    let inv = crate::survey::survey(s, &want)?;
    let mut pfs = Vec::new();
    for pf in inv.pfs.iter().filter(|p| p.sriov) {
        let Some(n) = pf.num_vfs else { continue };
        pfs.push(Record {
            addr: pf.addr,
            interfaces: pf.interfaces.clone(),
            label: pf.label(),
            vfs: Some(current_vfs(&s.root, pf.addr, pf.count_at_load(), n)),
            reported: pf.eswitch,
            macs: ctx.macs(&pf.interfaces, n),
            ..Record::default()
        });
    }
    let mut notes = Vec::new();
    let (rec, after, line) = ctx.edit(|cfg| {
        // What the old file said is what gets recorded for its PFs, not
        // the live count read now.
        let mut migrated = Vec::new();
        if let Some((note, counts)) = migrate(cfg, s) {
            notes.push(note);
            for (addr, count) in counts {
                if let Some(pf) = inv.pfs.iter().find(|p| p.addr == addr) {
                    migrated.push(Recorded {
                        addr,
                        before: None,
                        label: pf.label(),
                        count: Some(count),
                        changed: true,
                    });
                }
            }
        }
        record_all(cfg, &pfs, &migrated)
    })?;
    Ok((rec, notes, after, line))
}

/// `vfnet persist DEV [N] [--vf ...] [--eswitch ...] [--probe ...]`.
fn one(ctx: &mut Ctx, args: &Args, dev: &DevKey) -> Result<Done> {
    let s = ctx.s;
    let pf = crate::device::resolve_for(s.sys()?, dev, "persist")?;
    // With --vf or --eswitch alone, the count is left as recorded.
    let alone = args.vf.is_empty() && args.eswitch.is_none();
    let vfs = checked_vfs(s, &pf, args, alone)?;
    let count = vfs.map(|v| v.total());
    let r = Record {
        addr: pf.addr,
        interfaces: pf.interfaces.clone(),
        label: pf.label(),
        vfs,
        probe: args.probe,
        port_types: args.port_types,
        eswitch: args.eswitch,
        // `persist DEV`: the mode devlink reports, as the count.
        reported: match (args.eswitch, args.count, alone) {
            (None, None, true) => crate::eswitch::reported(s.live(), pf.addr),
            _ => None,
        },
        // Settings asked for are the only ones written.
        macs: match (count, args.vf.is_empty()) {
            (Some(n), true) => ctx.macs(&pf.interfaces, n),
            _ => Vec::new(),
        },
        settings: args.vf.clone(),
    };
    let mut notes = Vec::new();
    let mut before = None;
    let (changed, after, line) = ctx.edit(|cfg| {
        if let Some((note, _)) = migrate(cfg, s) {
            notes.push(note);
        }
        before = cfg.find(r.addr, &r.interfaces).map(|e| e.count);
        record(cfg, &r)
    })?;
    warn_unlikely(&pf, args, count.or(before));
    let rec = vec![Recorded {
        addr: r.addr,
        before,
        label: r.label,
        count,
        changed,
    }];
    Ok((rec, notes, after, line))
}

/// Warnings for what persist records but apply will likely fail: switchdev
/// on a driver that has no such mode, VF settings past the count recorded.
fn warn_unlikely(pf: &crate::device::PfDev, args: &Args, count: Option<u32>) {
    let driver = pf.driver();
    if let (Some(crate::devlink::Mode::Switchdev), Some(d)) = (args.eswitch, driver.as_deref()) {
        if crate::drivers::lacks_switchdev(d) {
            out::warn(format_args!(
                "{}: recorded eswitch switchdev, but its driver {d} has only the legacy mode: apply \
                 will fail that line (switchdev needs a driver such as mlx5_core, ice or nfp)",
                pf.label()
            ));
        }
    }
    let Some(n) = count else { return };
    let past: Vec<String> = args
        .vf
        .iter()
        .filter_map(|(sel, _)| match sel {
            VfSel::One(i) if *i >= n => Some(format!("vf{i}")),
            VfSel::Range(a, b) if *b >= n => Some(format!("vf{a}-{b}")),
            _ => None,
        })
        .collect();
    if !past.is_empty() {
        out::warn(format_args!(
            "{}: recorded {} for VFs it will not have: the config gives it {} (VFs 0-{})",
            pf.label(),
            past.join(", "),
            out::vfs(n),
            n.saturating_sub(1)
        ));
    }
}

/// The count `persist DEV` records, checked against the device: N as
/// given, or (DEV alone) the count it has; `None` with --vf or --eswitch
/// alone. X,Y,Z and --probe only for a ConnectX-3.
fn checked_vfs(
    s: &System,
    pf: &crate::device::PfDev,
    args: &Args,
    alone: bool,
) -> Result<Option<Vfs>> {
    let label = pf.label();
    let total = sriov::read(pf, "sriov_totalvfs")?;
    let at_load = pf.count_at_load();
    if !at_load && (args.ports.is_some() || args.probe.is_some() || args.port_types.is_some()) {
        return Err(Error::fail(crate::msg!(
            "{}: X,Y,Z and --probe are for a ConnectX-3 (so is --port-type), whose driver mlx4_core takes \
             its count at load; its driver is {}",
            label,
            pf.driver().as_deref().unwrap_or("none")
        )));
    }
    let vfs = match (args.count, args.ports, alone) {
        (Some(_), Some([x, y, z]), _) => Some(Vfs::Ports(x, y, z)),
        (Some(n), None, _) => Some(Vfs::Dual(n)),
        (None, _, true) => Some(current_vfs(
            &s.root,
            pf.addr,
            at_load,
            sriov::read(pf, "sriov_numvfs")?,
        )),
        (None, _, false) => None,
    };
    match (vfs, at_load) {
        (Some(v), true) => {
            v.check(Some(total))
                .map_err(|e| Error::fail(format!("{label}: {e}")))?;
            if let Some(p) = args.probe.filter(|p| !v.holds(p)) {
                return Err(Error::fail(crate::msg!(
                    "{}: --probe {} does not fit in {} VFs (the same form, each part at most the count's)",
                    label,
                    p,
                    v
                )));
            }
        }
        // An Intel GPU's total is its driver's max_vfs, which this
        // persist writes (vfnet-gpu.conf): the new count is its next total.
        (Some(_), false) if crate::gpu::is_gpu(pf.driver().as_deref()) => {}
        (Some(v), false) => {
            sriov::check(v.total(), total).map_err(|e| sriov::plan_error(&label, e))?;
        }
        (None, _) => {}
    }
    Ok(vfs)
}

/// One line per PF recorded: `eth0 (0000:01:00.0): 4 VFs recorded in FILE`.
fn report(
    file: &str,
    recorded: &[Recorded],
    settings: bool,
    eswitch: Option<crate::devlink::Mode>,
) -> String {
    let mut text = String::new();
    if recorded.is_empty() {
        text.push_str(&crate::msg!(
            "No PF has VFs: nothing to record in {}.\n",
            file
        ));
    }
    for r in recorded {
        let verb = if r.changed {
            "recorded"
        } else {
            "already recorded"
        };
        // What this run recorded for the PF: its count, its VFs'
        // settings, its eswitch mode, in that order.
        let mut what: Vec<String> = r.count.map(out::vfs).into_iter().collect();
        if settings {
            what.push("VF settings".into());
        }
        if let Some(m) = eswitch {
            what.push(format!("eswitch mode {}", m.name()));
        }
        if what.is_empty() {
            what.push("VF settings".into());
        }
        let last = what.pop().unwrap_or_default();
        let what = match what.is_empty() {
            true => last,
            false => format!("{} and {last}", what.join(", ")),
        };
        text.push_str(&crate::msg!("{}: {} {} in {}\n", r.label, what, verb, file));
    }
    text
}

/// Writes vfnet's modprobe.d file when a ConnectX-3 is concerned, and
/// prints what the user must know.
fn sync(s: &System, (mlx4, gpu): Lines, refresh: bool) -> Result<()> {
    let mut notes = Vec::new();
    if let Some(line) = mlx4 {
        notes.extend(crate::modprobe::sync(&s.root, line.as_deref(), refresh)?);
    }
    if let Some(lines) = gpu {
        notes.extend(crate::modprobe::sync_gpu(
            &s.root,
            lines.as_deref(),
            refresh,
        )?);
    }
    let mut text = String::new();
    for note in notes {
        text.push_str(&note);
        text.push('\n');
    }
    out::print(&text);
    Ok(())
}

/// A PF's current count as it would be recorded: for a ConnectX-3 whose
/// mlx4_core was loaded with per-port counts, in that form.
fn current_vfs(root: &crate::sysfs::Root, addr: crate::pci::PciAddr, at_load: bool, n: u32) -> Vfs {
    if at_load {
        let param = crate::modules::param(root, crate::mlx4::MODULE, "num_vfs");
        if let Some(v) = param.and_then(|p| crate::mlx4::in_force(&p, addr)) {
            if v.total() == n {
                return v;
            }
        }
    }
    Vfs::Dual(n)
}

/// The MACs to record for a PF's VFs: `vfs.mac=auto`, the stable MACs, and
/// the admin MAC of each VF that has one set by hand (not its auto MAC).
///
/// Only what `apply` can apply on this machine is recorded: `mac=auto` needs
/// the PF's MAC (a PF that reports none gets no such line), and an admin MAC
/// is recorded only when it is one a setting may hold (unicast: a multicast
/// one would be a bad line at boot).
pub fn mac_records(link: &Link) -> Vec<(VfSel, Setting)> {
    let pf_mac = link
        .perm_address
        .or(link.address)
        .filter(|m| *m != crate::mac::Mac([0; 6]));
    let mut out = Vec::new();
    if pf_mac.is_some() {
        out.push((VfSel::All, Setting::Mac(MacSpec::Auto)));
    }
    for v in &link.vfs {
        if let Some(s @ Setting::Mac(MacSpec::Addr(m))) =
            crate::engine::mac_setting(pf_mac, v.vf, v.mac)
        {
            let text = m.to_string();
            if Setting::parse("mac", &text) == Ok(s) {
                out.push((VfSel::One(v.vf), s));
            }
        }
    }
    out
}

/// Writes MAC lines, leaving a `vfs.mac` line the user wrote alone.
fn record_macs(
    cfg: &mut Config,
    addr: crate::pci::PciAddr,
    names: &[IfName],
    lines: Vec<(VfSel, Setting)>,
) -> bool {
    let mut changed = false;
    for (sel, setting) in lines {
        let has_own = sel == VfSel::All
            && cfg.vf_entries().any(|e| {
                e.vf == VfSel::All
                    && e.setting.name() == "mac"
                    && match e.key {
                        DevKey::Pci(a) => *a == addr,
                        DevKey::Name(n) => names.contains(n),
                    }
            });
        if !has_own {
            changed |= cfg.set_vf(addr, names, sel, setting);
        }
    }
    changed
}

/// Moves the original vfnet's `iface:count` entries into the new file: by
/// PCI address when the interface exists now, else as they were. Returns
/// the note to print and the PFs it recorded, with their counts.
fn migrate(cfg: &mut Config, s: &System) -> Option<(String, Vec<(PciAddr, u32)>)> {
    let Source::Legacy(old, ..) = cfg.source.clone() else {
        return None;
    };
    let inv = crate::survey::survey(s, &crate::survey::Want::scan()).ok()?;
    let named: Vec<(crate::pci::PciAddr, Vec<_>, u32)> = cfg
        .entries()
        .filter_map(|e| match e.key {
            DevKey::Name(n) => inv
                .pf_by_name(n)
                .map(|i| (inv.pfs[i].addr, inv.pfs[i].interfaces.clone(), e.count)),
            DevKey::Pci(_) => None,
        })
        .collect();
    let count = cfg.entries().count();
    let mut recorded = Vec::new();
    for (addr, names, n) in named {
        cfg.set(addr, &names, n);
        recorded.push((addr, n));
    }
    let header = crate::msg!(
        "# Migrated from {} by vfnet persist; that file is no longer read.\n",
        s.root.system(&old).display()
    );
    cfg.lines.insert(0, Line::Other(header.into_bytes()));
    let note = crate::msg!(
        "Migrated {} entries from {} into {}.",
        count,
        old.display(),
        cfg.path.display()
    );
    Some((note, recorded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mac::Mac;
    use crate::netlink::VfInfo;

    fn pf(addr: &str, name: &str, n: u32) -> Record {
        Record {
            addr: PciAddr::parse(addr).unwrap(),
            interfaces: vec![IfName::parse(name).unwrap()],
            label: format!("{name} ({addr})"),
            vfs: Some(Vfs::Dual(n)),
            ..Record::default()
        }
    }

    fn cfg(text: &str) -> Config {
        Config::parse(std::path::PathBuf::from("/c"), text)
    }

    fn text(cfg: &Config) -> String {
        String::from_utf8(cfg.render()).unwrap()
    }

    #[test]
    fn persist_records_pfs_with_vfs_and_updates_entries_of_pfs_without() {
        let mut c = cfg("# mine\neth1=2\n");
        let pfs = [
            pf("0000:01:00.0", "eth0", 4),
            pf("0000:01:00.1", "eth1", 0),
            pf("0000:02:00.0", "eth2", 0),
        ];
        let rec = record_all(&mut c, &pfs, &[]);
        // eth2 has no VFs and no entry: nothing said of it.
        let got: Vec<(String, Option<u32>, bool)> = rec
            .into_iter()
            .map(|r| (r.label, r.count, r.changed))
            .collect();
        assert_eq!(
            got,
            [
                ("eth0 (0000:01:00.0)".to_string(), Some(4), true),
                ("eth1 (0000:01:00.1)".to_string(), Some(0), true),
            ]
        );
        // Entries are recorded by address, the interface named above them.
        assert_eq!(
            text(&c),
            "# mine\n# eth1\n0000:01:00.1=0\n# eth0\n0000:01:00.0=4\n"
        );
        // Again: nothing changes.
        let rec = record_all(&mut c, &pfs, &[]);
        assert!(rec.iter().all(|r| !r.changed), "{rec:?}");
        // A migrated PF keeps the count the old file gave it.
        let migrated = [Recorded {
            addr: PciAddr::parse("0000:01:00.0").unwrap(),
            before: None,
            label: "eth0 (0000:01:00.0)".into(),
            count: Some(7),
            changed: true,
        }];
        let rec = record_all(&mut c, &pfs, &migrated);
        assert_eq!(rec[0].count, Some(7));
        assert_eq!(rec.len(), 2);
    }

    #[test]
    fn persist_dev_records_what_was_asked_and_switchdev_as_reported() {
        let mut c = cfg("0000:01:00.0=2\n0000:01:00.0.vfs.mac=02:00:00:00:00:01\n");
        let mut r = pf("0000:01:00.0", "eth0", 3);
        r.reported = Some(Mode::Switchdev);
        r.macs = vec![(VfSel::All, Setting::Mac(MacSpec::Auto))];
        r.settings = vec![(VfSel::One(1), Setting::parse("vlan", "7").unwrap())];
        assert!(record(&mut c, &r));
        // The user's own vfs.mac line is left alone.
        assert_eq!(
            text(&c),
            "# eth0\n0000:01:00.0=3\n0000:01:00.0.eswitch=switchdev\n0000:01:00.0.vfs.mac=02:00:00:00:00:01\n0000:01:00.0.vf1.vlan=7\n"
        );
        assert!(!record(&mut c, &r), "recording it again changes nothing");
        // --eswitch legacy wins over what devlink reports; with no count
        // the count stays as recorded.
        let r = Record {
            vfs: None,
            eswitch: Some(Mode::Legacy),
            ..r
        };
        assert!(record(&mut c, &r));
        assert!(
            text(&c).starts_with("# eth0\n0000:01:00.0=3\n0000:01:00.0.eswitch=legacy\n"),
            "{}",
            text(&c)
        );
    }

    #[test]
    fn stable_macs_are_recorded_and_hand_set_ones_kept() {
        let pf = Mac([0x52, 0x54, 0, 0x12, 0x34, 0x56]);
        let vf = |vf, mac: Mac| VfInfo {
            vf,
            mac: Some(mac),
            ..VfInfo::default()
        };
        let link = Link {
            perm_address: Some(pf),
            vfs: vec![
                vf(0, Mac([0; 6])),
                vf(1, crate::vf::auto_mac(pf, 1)),
                vf(2, Mac([2, 0, 0, 0, 0, 9])),
            ],
            ..Link::default()
        };
        let got: Vec<String> = mac_records(&link)
            .iter()
            .map(|(s, v)| format!("{s}.mac={v}"))
            .collect();
        assert_eq!(got, ["vfs.mac=auto", "vf2.mac=02:00:00:00:00:09"]);
        // Without a PF MAC, `auto` could not be applied: not recorded; nor
        // is a multicast admin MAC, which no setting may hold.
        let link = Link {
            perm_address: None,
            address: None,
            vfs: vec![
                vf(0, Mac([1, 0, 0x5e, 0, 0, 1])),
                vf(1, Mac([2, 0, 0, 0, 0, 7])),
            ],
            ..Link::default()
        };
        let got: Vec<String> = mac_records(&link)
            .iter()
            .map(|(s, v)| format!("{s}.mac={v}"))
            .collect();
        assert_eq!(got, ["vf1.mac=02:00:00:00:00:07"]);
    }
}
