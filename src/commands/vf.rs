//! `vfnet vf DEV INDEX [SETTING VALUE]...`: show or change one VF's
//! settings: MAC, VLAN, trust, spoof check, link state, rate, driver. The
//! work is the VF engine's (`crate::engine`), shared with `apply`.

use crate::args::{self, Globals, Parsed};
use crate::config::{self, VfSel};
use crate::device::PfDev;
use crate::engine::{Session, configure, report};
use crate::error::{Error, Result};
use crate::out;
use crate::pci::DevKey;
use crate::survey::{Want, survey};
use crate::system::System;
use crate::vf::{Setting, Wanted};
use crate::wait::Deadline;
use lexopt::prelude::*;
use std::time::Duration;

/// `vfnet vf -h`.
pub const USAGE: crate::packed::Packed = crate::packed::texts::HELP_VF_TXT;

#[derive(Debug, Clone, PartialEq, Eq)]
/// `vfnet vf`'s arguments.
pub struct Args {
    /// `DEV`: the PF.
    pub dev: DevKey,
    /// INDEX: one VF (`3`) or a range (`0-3`).
    pub sel: VfSel,
    /// The settings to make, in command-line order.
    pub settings: Vec<Setting>,
    /// `--persist`: record them in the config file too.
    pub persist: bool,
    /// `--timeout SECS`: one budget for every wait.
    pub timeout: Duration,
    /// `--force`: take a VF from its user.
    pub force: bool,
    /// `vfnet vf DEV free`: find the lowest free VF instead.
    pub free: Option<Free>,
    /// `--json` (showing, without settings): `list DEV --json`'s document.
    pub json: bool,
}

/// `vfnet vf DEV [INDEX|A-B] free [--driver vfio-pci] [--json]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Free {
    /// `INDEX|A-B free`: only among these VFs (a hook asking whether the
    /// VF a VM names is free).
    pub among: Option<VfSel>,
    /// `driver vfio-pci|default`.
    pub driver: Option<crate::vf::Driver>,
    /// `--json`: show as JSON.
    pub json: bool,
}

/// One `SETTING VALUE` (`rate MIN MAX`: two values) of the command line.
fn setting(p: &mut lexopt::Parser, name: std::ffi::OsString) -> Result<Setting> {
    let name = args::text("vf", "SETTING", name)?;
    let mut value = args::text(
        "vf",
        &name,
        p.value()
            .map_err(|_| args::usage("vf", crate::msg!("{} needs a value", name)))?,
    )?;
    if name == "rate" {
        let max = args::text(
            "vf",
            "rate",
            p.value()
                .map_err(|_| args::usage("vf", "rate needs MIN and MAX"))?,
        )?;
        value = format!("{value},{max}");
    }
    Setting::parse(&name, &value).map_err(|e| args::usage("vf", e))
}

/// Parses `vfnet vf`'s arguments (or returns its help).
#[inline(never)]
pub fn parse(p: &mut lexopt::Parser, g: &mut Globals) -> Result<Parsed<Args>> {
    let (mut dev, mut index, mut persist, mut timeout) = (None, None, false, args::DEFAULT_TIMEOUT);
    let mut settings = Vec::new();
    let (mut force, mut free, mut json, mut driver, mut among) = (false, false, false, None, None);
    while let Some(arg) = p.next()? {
        crate::prologue!(arg, p, g, USAGE);
        match arg {
            Long("persist") => persist = true,
            Long("force") => force = true,
            Long("json") | Short('j') => json = true,
            Long("driver") if free => {
                driver = match args::text("vf", "--driver", p.value()?)?.as_str() {
                    "vfio-pci" => Some(crate::vf::Driver::VfioPci),
                    other => {
                        return Err(args::usage(
                            "vf",
                            crate::msg!(
                                "free --driver takes vfio-pci, not '{}'",
                                crate::text::quote(other)
                            ),
                        ));
                    }
                }
            }
            Value(v) if dev.is_some() && !free && settings.is_empty() && v == "free" => {
                free = true;
                among = index;
                index = Some(VfSel::One(0));
            }
            Short('t') | Long("timeout") => timeout = args::timeout("vf", p.value()?)?,
            Value(v) if dev.is_none() => dev = Some(args::dev("vf", v)?),
            Value(v) if index.is_none() => {
                let v = args::text("vf", "INDEX", v)?;
                index = Some(config::parse_vf_sel(&v).ok_or_else(|| {
                    args::usage(
                        "vf",
                        crate::msg!(
                            "INDEX must be a VF number or a range A-B, not '{}'",
                            crate::text::quote(&v)
                        ),
                    )
                })?);
            }
            Value(name) if !free => settings.push(setting(p, name)?),
            _ => return Err(args::unexpected("vf", USAGE, arg)),
        }
    }
    let dev = dev.ok_or_else(|| args::usage("vf", "missing DEV and INDEX (see vfnet vf -h)"))?;
    let index = index
        .ok_or_else(|| args::usage("vf", "missing INDEX, the VF's number (see vfnet vf -h)"))?;
    if json && !settings.is_empty() {
        return Err(args::usage(
            "vf",
            "--json shows VFs (or a free one); it does not go with settings",
        ));
    }
    if persist && settings.is_empty() {
        return Err(args::usage("vf", "--persist needs settings to record"));
    }
    Ok(Parsed::Run(Args {
        dev,
        sel: index,
        settings,
        persist,
        timeout,
        force,
        free: free.then_some(Free {
            among,
            driver,
            json,
        }),
        json,
    }))
}

/// Runs `vfnet vf` on the system `system`.
#[inline(never)]
pub fn run(system: &System, args: &Args) -> Result<()> {
    let deadline = Deadline::after(args.timeout);
    if let Some(free) = &args.free {
        return find_free(system, args, free, &deadline);
    }
    let root = &system.root;
    let sys = system.sys()?;
    let pf = crate::device::resolve_for(sys, &args.dev, "vf")?;
    let vfs = open_vfs(&pf, args.sel)?;
    let indices: Vec<u32> = vfs.iter().map(|(i, _)| *i).collect();
    let mut s = Session::new(system, deadline)?;
    if args.settings.is_empty() {
        return show(system, &mut s, &pf, &indices, args.json);
    }
    out::set_changing();
    let mut want = Wanted::default();
    for setting in &args.settings {
        want.add(*setting);
    }
    // The guard: a driver change takes a VF from whoever uses it.
    if let Some(target) = want.driver {
        guard_driver(system, &pf, &vfs, target, args.force)?;
    }
    // Read before locking: a setting that cannot be made changes nothing.
    let link = if want.needs_netlink() {
        Some(s.link(&pf)?)
    } else {
        None
    };
    let _lock = system.state_lock(&deadline)?;
    let mut failed = 0;
    for &i in &indices {
        let done = configure(&mut s, &pf, link.as_ref(), i, &want);
        out::print(&report(&pf, i, &done));
        failed += done.errors.len();
        for e in done.errors {
            out::error(e);
        }
    }
    if failed > 0 {
        return Err(Error::fail(format!(
            "{} failed{}",
            out::plural(failed, "setting", "settings"),
            if args.persist {
                "; nothing was recorded"
            } else {
                ""
            }
        )));
    }
    if args.persist {
        let path = system.config.clone();
        crate::conffile::edit(root, &path, &deadline, |cfg| {
            for setting in &args.settings {
                cfg.set_vf(pf.addr, &pf.interfaces, args.sel, *setting);
            }
            Ok(())
        })?;
        out::print(&format!("recorded in {}\n", path.display()));
    }
    Ok(())
}

/// The VFs of `pf` that `sel` names, each opened and checked (a link that
/// leads anywhere odd is refused before anything, the lock file included,
/// is written); none there is an error naming how many it has.
fn open_vfs(
    pf: &PfDev,
    sel: VfSel,
) -> Result<Vec<(u32, (crate::sysfs::Dir, crate::pci::PciAddr))>> {
    let present = crate::scan::virtfns(&pf.dir).unwrap_or_default();
    let indices: Vec<u32> = present
        .iter()
        .copied()
        .filter(|&i| sel.contains(i))
        .collect();
    if indices.is_empty() {
        return Err(Error::fail(crate::msg!(
            "{} has no VF {} (it has {})",
            pf.label(),
            sel.to_string().trim_start_matches("vf"),
            out::vfs(present.len() as u32)
        )));
    }
    // A range that runs past the VFs there: said before anything is done.
    if let VfSel::Range(a, b) = sel {
        let missing: Vec<u32> = (a..=b).filter(|i| !present.contains(i)).collect();
        if !missing.is_empty() {
            // Runs of missing indices: `4-99`, or `1, 3`.
            let mut runs: Vec<(u32, u32)> = Vec::new();
            for &i in &missing {
                match runs.last_mut() {
                    Some((_, hi)) if *hi + 1 == i => *hi = i,
                    _ => runs.push((i, i)),
                }
            }
            let which: Vec<String> = runs
                .iter()
                .map(|&(lo, hi)| match lo == hi {
                    true => lo.to_string(),
                    false => format!("{lo}-{hi}"),
                })
                .collect();
            let which = which.join(", ");
            return Err(Error::fail(crate::msg!(
                "{} has no VF {} of {}-{} (it has {}); nothing was changed",
                pf.label(),
                which,
                a,
                b,
                out::vfs(present.len() as u32)
            )));
        }
    }
    indices
        .into_iter()
        .map(|i| Ok((i, crate::device::open_vf(pf, i)?)))
        .collect()
}

/// The guard for a driver change: it takes each VF whose driver changes
/// from whoever uses it, so VFs in use (or VFs whose users could not be
/// looked for) refuse it unless `force`.
fn guard_driver(
    system: &System,
    pf: &PfDev,
    vfs: &[(u32, (crate::sysfs::Dir, crate::pci::PciAddr))],
    target: crate::vf::Driver,
    force: bool,
) -> Result<()> {
    let users = crate::guard::users(system, pf.addr);
    let mut taken = Vec::new();
    let mut unknown = None;
    for (_, (vf_dir, vf_addr)) in vfs {
        let mut buf = [0u8; crate::sysfs::LINK_MAX];
        let now = vf_dir.link_name("driver", &mut buf).ok();
        let on_vfio = now == Some("vfio-pci");
        let changes = match target {
            crate::vf::Driver::VfioPci => !on_vfio,
            crate::vf::Driver::Default => on_vfio || now.is_none(),
        };
        match (&users, changes) {
            (crate::guard::Users::Found(u), true) => {
                taken.extend(u.iter().filter(|u| u.addr == *vf_addr).cloned())
            }
            (crate::guard::Users::Unknown(why), true) => unknown = Some(why.clone()),
            _ => {}
        }
    }
    if let (Some(why), false) = (unknown, force) {
        return Err(Error::fail(crate::msg!(
            "{}: cannot tell whether its VFs are in use ({}): changing the driver could take a VF \
             from its user; nothing was changed (use --force)",
            pf.label(),
            why
        )));
    }
    if !taken.is_empty() {
        if !force {
            return Err(crate::guard::refuse(
                &pf.label(),
                &taken,
                "changing the driver takes a VF from its user",
            ));
        }
        for l in crate::guard::lines(&pf.label(), &taken) {
            out::warn(format_args!("--force: taking {l}"));
        }
    }
    Ok(())
}

/// `vfnet vf DEV INDEX|A-B`: what the VFs are now, as `list` sees them
/// (the same survey: settings replayed from a capture, Used by, the IOMMU
/// group), one block per VF, or `list DEV --json`'s document.
fn show(system: &System, s: &mut Session, pf: &PfDev, indices: &[u32], json: bool) -> Result<()> {
    let want = Want {
        only: Some(pf.addr),
        ..Want::list(false, true)
    };
    let mut inv = survey(system, &want)?;
    inv.pfs.retain(|p| p.addr == pf.addr);
    for p in &mut inv.pfs {
        p.vfs
            .retain(|v| v.index.is_some_and(|i| indices.contains(&i)));
    }
    if json {
        crate::render::json_to(&inv, &mut |chunk| out::print(chunk));
        return Ok(());
    }
    let Some(p) = inv.pfs.first() else {
        return Err(Error::fail(crate::msg!("{}: its VFs vanished", pf.label())));
    };
    // The PF's own MAC and GUID, to tell `mac auto` and `node_guid auto`
    // (live only).
    let pf_ids = match system.live() && inv.settings_known {
        true => s.link(pf).map(|l| l.ids()).unwrap_or_default(),
        false => Default::default(),
    };
    let mut text = String::new();
    for v in &p.vfs {
        text.push_str(&vf_block(pf, &inv, v, &pf_ids, system.live()));
    }
    out::print(&text);
    Ok(())
}

/// One VF's lines in `vfnet vf DEV INDEX`.
fn vf_block(
    pf: &PfDev,
    inv: &crate::inventory::Inventory,
    v: &crate::inventory::Vf,
    pf_ids: &crate::netlink::PfIds,
    live: bool,
) -> String {
    let dash = |v: Option<&dyn std::fmt::Display>| v.map_or("-".to_string(), |v| v.to_string());
    let used = match (&v.used_by, inv.usage_known, inv.usage_incomplete) {
        (Some(u), _, _) => u.to_string(),
        (None, true, false) => "- (free)".into(),
        (None, true, true) => crate::msg!("? (not all processes could be read: run as root)"),
        (None, false, _) => crate::msg!("? (this tree has no /proc to look in)"),
    };
    let mut text = crate::msg!(
        "{} VF {}\n  pci       {}\n  driver    {}\n  netdev    {}{}\n  iommu     {}\n  used by   {}\n",
        pf.label(),
        v.index.unwrap_or(0),
        v.addr,
        dash(v.driver.as_ref().map(|d| d as _)),
        dash(v.interface.as_ref().map(|n| n as _)), // A VF without a netdev (vfio-pci, no driver) has no MAC here.
        v.interface.as_ref().map_or(String::new(), |_| format!(
            " {}",
            dash(v.mac.as_ref().map(|m| m as _))
        )),
        v.iommu_group.map_or(
            crate::msg!("- (no IOMMU group: passthrough needs the IOMMU on)"),
            |g| format!("group {g}")
        ),
        used
    );
    match (&v.settings, inv.settings_known, live) {
        (Some(set), _, _) => text.push_str(&crate::render::vf_settings_lines(set, pf_ids)),
        (None, true, _) => text.push_str("  settings  not reported by the PF's driver\n"),
        (None, false, false) => text.push_str(
            "  settings  unavailable: VF settings come from the kernel over rtnetlink, \
             not from a tree (a capture records them)\n",
        ),
        (None, false, true) => {
            text.push_str("  settings  unavailable: the PF's rtnetlink view could not be read\n")
        }
    }
    text
}

/// The lowest-numbered VF of `pf` nobody uses (among `among`'s when
/// given); for one VF that is in use, the error naming its user.
// Called once: inlined, as the code it came out of was.
#[inline(always)]
fn pick_free(
    system: &System,
    pf: &PfDev,
    among: Option<VfSel>,
) -> Result<Option<crate::inventory::Vf>> {
    let mut inv = survey(system, &Want::users_of(pf.addr))?;
    if !inv.usage_known {
        return Err(Error::fail(match system.live() {
            true => {
                "cannot tell which VFs are free: the processes' open files cannot be read (run vfnet as root)"
            }
            false => {
                "cannot tell which VFs are free: this tree has no /proc to look in (and no record of who used its VFs)"
            }
        }));
    }
    let Some(p) = inv.pfs.pop() else {
        return Ok(None);
    };
    let wanted =
        |v: &&crate::inventory::Vf| v.index.is_some_and(|i| among.is_none_or(|s| s.contains(i)));
    if let (Some(VfSel::One(i)), Some(v)) = (among, p.vfs.iter().find(wanted)) {
        if let Some(u) = &v.used_by {
            return Err(Error::fail(crate::msg!(
                "{}: VF {} ({}) is in use: {}",
                pf.label(),
                i,
                v.addr,
                u
            )));
        }
    }
    Ok(p.vfs
        .iter()
        .filter(wanted)
        .filter(|v| v.used_by.is_none())
        .min_by_key(|v| v.index)
        .cloned())
}

/// `vfnet vf DEV free`: the lowest-numbered VF nobody uses, bound to
/// vfio-pci first when asked.
fn find_free(system: &System, args: &Args, free: &Free, deadline: &Deadline) -> Result<()> {
    let sys = system.sys()?;
    let pf = crate::device::resolve_for(sys, &args.dev, "vf")?;
    if crate::scan::virtfns(&pf.dir).is_ok_and(|v| v.is_empty()) {
        return Err(Error::fail(crate::msg!(
            "{} has no VFs (vfnet set {} N makes them)",
            pf.label(),
            args.dev
        )));
    }
    let Some(vf) = pick_free(system, &pf, free.among)? else {
        let n = crate::scan::virtfns(&pf.dir).map(|v| v.len()).unwrap_or(0);
        return Err(Error::fail(crate::msg!(
            "{}: no free VF{} (vfnet list shows who uses each)",
            pf.label(),
            match free.among {
                Some(s) => format!(" in {s}"),
                None => format!(": all {} in use", out::vfs(n as u32)),
            }
        )));
    };
    let index = vf.index.unwrap_or(0);
    if let Some(d) = free.driver {
        out::set_changing();
        let want = Wanted {
            driver: Some(d),
            ..Wanted::default()
        };
        let _lock = system.state_lock(deadline)?;
        let mut s = Session::new(system, *deadline)?;
        let done = configure(&mut s, &pf, None, index, &want);
        if let Some(e) = done.errors.into_iter().next() {
            return Err(e);
        }
    }
    // Its row as it is now.
    let inv = survey(system, &Want::users_of(pf.addr))?;
    let row = inv
        .vfs()
        .find(|(_, v)| v.addr == vf.addr)
        .map(|(p, v)| (p.clone(), v.clone()));
    match (free.json, row) {
        (true, Some((p, v))) => out::print(&format!("{}\n", crate::render::vf_json_line(&p, &v))),
        _ => out::print(&format!("{}\n", vf.addr)),
    }
    Ok(())
}
