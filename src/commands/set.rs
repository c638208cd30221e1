//! `vfnet set DEV N`: change the number of VFs now, safely.

use crate::args::{self, Globals, Parsed};
use crate::change::{self, Ask, Change, Now, Plan};
use crate::device::PfDev;
use crate::devlink::Mode;
use crate::error::Result;
use crate::pci::DevKey;
use crate::system::System;
use crate::wait::{Deadline, secs};
use crate::{out, render, sriov};
use lexopt::prelude::*;
use std::time::Duration;

/// `vfnet set -h`.
pub const USAGE: crate::packed::Packed = crate::packed::texts::HELP_SET_TXT;

#[derive(Debug, Clone, PartialEq, Eq)]
/// `vfnet set`'s arguments.
pub struct Args {
    /// `DEV`: the PF.
    pub dev: DevKey,
    /// `N` (for `X,Y,Z`: X+Y+Z).
    pub count: u32,
    /// `--timeout SECS`: one budget for every wait.
    pub timeout: Duration,
    /// The hard cap: `--timeout` when given (a bound the user asked for),
    /// else [`args::DEFAULT_CAP`], within which the kernel's work on many
    /// VFs gets the time it needs (`sriov::allowance`).
    pub cap: Duration,
    /// Set `sriov_drivers_autoprobe` first.
    pub autoprobe: Option<bool>,
    /// `--dry-run`: say what would change.
    pub dry_run: bool,
    /// Destroy VFs in use.
    pub force: bool,
    /// `X,Y,Z` given for N: a ConnectX-3's count per port.
    pub ports: Option<[u32; 3]>,
    /// `--reload`: a ConnectX-3's count, by reloading mlx4_core.
    pub reload: bool,
    /// `--eswitch MODE`: the PF's eswitch mode, over devlink.
    pub eswitch: Option<crate::devlink::Mode>,
    /// `--json`: the outcome as apply's document, one count record.
    pub json: bool,
}

/// Parses `vfnet set`'s arguments (or returns its help).
#[inline(never)]
pub fn parse(p: &mut lexopt::Parser, g: &mut Globals) -> Result<Parsed<Args>> {
    let (mut dev, mut count, mut timeout, mut autoprobe) =
        (None, None, args::DEFAULT_TIMEOUT, None);
    let mut cap = args::DEFAULT_CAP;
    let (mut dry_run, mut force, mut reload, mut ports) = (false, false, false, None);
    let (mut eswitch, mut json) = (None, false);
    while let Some(arg) = p.next()? {
        crate::prologue!(arg, p, g, USAGE);
        match arg {
            Short('j') | Long("json") => json = true,
            Short('t') | Long("timeout") => {
                timeout = args::timeout("set", p.value()?)?;
                cap = timeout;
            }
            Short('n') | Long("dry-run") => dry_run = true,
            Long("force") => force = true,
            Long("reload") => reload = true,
            Long("eswitch") => {
                let v = args::text("set", "--eswitch", p.value()?)?;
                eswitch = Some(crate::devlink::Mode::parse(&v).ok_or_else(|| {
                    let v = crate::text::quote(&v);
                    args::usage(
                        "set",
                        crate::msg!("--eswitch takes legacy or switchdev, not '{}'", v),
                    )
                })?);
            }
            Long("autoprobe") => {
                let v = args::text("set", "--autoprobe", p.value()?)?;
                autoprobe = Some(crate::text::boolean(&v).ok_or_else(|| {
                    let v = crate::text::quote(&v);
                    args::usage(
                        "set",
                        crate::msg!(
                            "--autoprobe takes on or off (yes/no, true/false), not '{}'",
                            v
                        ),
                    )
                })?);
            }
            Value(v) if dev.is_none() => dev = Some(args::dev("set", v)?),
            Value(v) if count.is_none() => {
                let vfs = args::vfs("set", "N", v)?;
                count = Some(vfs.total());
                if let crate::mlx4::Vfs::Ports(x, y, z) = vfs {
                    ports = Some([x, y, z]);
                }
            }
            _ => return Err(args::unexpected("set", USAGE, arg)),
        }
    }
    let dev = dev.ok_or_else(|| args::usage("set", "missing DEV and N (see vfnet set -h)"))?;
    let count = count
        .ok_or_else(|| args::usage("set", "missing N, the number of VFs (see vfnet set -h)"))?;
    Ok(Parsed::Run(Args {
        dev,
        count,
        timeout,
        cap,
        autoprobe,
        dry_run,
        force,
        ports,
        reload,
        eswitch,
        json,
    }))
}

/// How the guard's refusal ends: `set --json` tells an `in_use` record by it.
const IN_USE_FIX: &str = "(stop what uses them, or use --force)";

/// The error that ends a refused plan (VFs in use, a bad count): each VF
/// in use one line on stderr, then the refusal. `None` when it goes ahead.
fn refused(label: &str, plan: &Plan) -> Option<crate::error::Error> {
    match plan {
        Plan::Invalid(e) => Some(sriov::plan_error(label, *e)),
        Plan::Down => Some(crate::error::Error::fail(crate::msg!(
            "{} is down, and {}: under --root it cannot be brought up; nothing was changed",
            label,
            crate::drivers::NEEDS_UP
        ))),
        Plan::InUse { users, .. } => {
            for l in crate::guard::lines(label, users) {
                out::error(l);
            }
            let why = plan.refusal().unwrap_or_default();
            Some(crate::error::Error::fail(format!(
                "{label}: {why}; nothing was changed {IN_USE_FIX}"
            )))
        }
        Plan::Keep | Plan::Change(_) => None,
    }
}

/// What `set --dry-run` says of `plan`: the change, who uses the VFs it
/// destroys, and that set refuses when they are in use.
fn dry_run_lines(label: &str, now: &Now, plan: &Plan) -> Vec<String> {
    let mut lines = plan.dry_run(label, now);
    if matches!(plan, Plan::InUse { .. }) {
        lines.push(crate::msg!(
            "{}: set would refuse: VFs in use (--force destroys them anyway).",
            label
        ));
    }
    lines
}

/// The PF as it is now and what to do with it: the one decision a dry run
/// prints and a run carries out (`crate::change`).
fn decide(
    s: &System,
    pf: &PfDev,
    args: &Args,
    total: u32,
    mode: Option<Mode>,
) -> Result<(Now, Plan)> {
    let now = Now {
        count: sriov::read(pf, "sriov_numvfs")?,
        total,
        mode,
        down: sriov::down(pf),
    };
    let ask = Ask {
        count: args.count,
        mode: args.eswitch,
        force: args.force,
        reload: false,
    };
    let users = change::destroys(&now, &ask).then(|| crate::guard::users(s, pf.addr));
    let plan = change::plan(&now, &ask, users.as_ref());
    Ok((now, plan))
}

/// Runs `vfnet set` on the system `s`.
#[inline(never)]
pub fn run(s: &System, args: &Args) -> Result<()> {
    if args.json {
        return run_json(s, args);
    }
    run_text(s, args)
}

/// `set --json`: the text path run muted, then apply's document with one
/// count record: before, wanted, after, and its status (`in_use` for the
/// guard's refusal, as apply says it).
fn run_json(s: &System, args: &Args) -> Result<()> {
    use crate::report::{Record, Report, Status, Values};
    let pf = s
        .sys()
        .and_then(|sys| crate::device::resolve(sys, &args.dev));
    let before = pf
        .as_ref()
        .ok()
        .and_then(|p| sriov::read(p, "sriov_numvfs").ok());
    out::mute(true);
    let result = run_text(s, args);
    out::mute(false);
    let after = match (&pf, args.dry_run, &result) {
        (Ok(p), false, _) => sriov::read(p, "sriov_numvfs").ok(),
        (Ok(_), true, Ok(())) => Some(args.count),
        _ => before,
    };
    // The guard's refusal (refused()) is the one error ending in IN_USE_FIX.
    let status = match &result {
        Err(e) if e.to_string().ends_with(IN_USE_FIX) => Status::InUse,
        Err(_) => Status::Failed,
        Ok(()) if before == Some(args.count) && args.eswitch.is_none() => Status::Unchanged,
        Ok(()) => Status::Changed,
    };
    let error = result.as_ref().err().map(|e| e.to_string());
    let record = Record {
        lines: Vec::new(),
        device: pf.as_ref().ok().map(|p| p.addr),
        vf: None,
        values: Values::Count {
            before,
            wanted: Some(args.count),
            after,
        },
        status,
        error,
    };
    let report = Report {
        config: None,
        config_state: None,
        entries: &[],
        dry_run: args.dry_run,
        records: std::slice::from_ref(&record),
        error: None,
        exit_status: result.as_ref().map_or_else(|e| e.exit_code(), |_| 0),
    };
    out::print(&report.to_json());
    result
}

/// `set` with its text output.
fn run_text(s: &System, args: &Args) -> Result<()> {
    // One deadline for the whole command, the lock included; the kernel's
    // work on the VFs gets what it needs within the cap.
    let deadline = Deadline::after(args.timeout).capped(args.cap);
    out::set_changing();
    let sys = s.sys()?;
    let pf = crate::device::resolve(sys, &args.dev)?;
    if pf.count_at_load() {
        return reload(s, &pf, args, &deadline);
    }
    if args.ports.is_some() || args.reload {
        return Err(crate::error::Error::fail(crate::msg!(
            "{}: X,Y,Z and --reload are for a ConnectX-3, whose driver mlx4_core takes its count at load",
            pf.label()
        )));
    }
    // Refuse what cannot be done before taking the lock (which may create
    // its file): bad input changes nothing.
    let total = sriov::check_pf(&pf, args.count)?;
    let label = pf.label();
    // --eswitch: devlink's view first, so that a driver without an eswitch
    // is one line and no change.
    let mut devlink = match args.eswitch {
        Some(want) => Some(eswitch_of(s, &pf, want)?),
        None => None,
    };
    let mode = devlink.as_ref().and_then(|(_, m)| *m);
    if args.dry_run {
        let (now, plan) = decide(s, &pf, args, total, mode)?;
        out::print(&(dry_run_lines(&label, &now, &plan).join("\n") + "\n"));
        // A dry run exits as the run would.
        return refused(&label, &plan).map_or(Ok(()), Err);
    }
    // The guard looks once before the lock (a refusal then leaves no
    // trace, not even the lock file) and again under it: no other vfnet
    // changes the count between that look and the change. A first look
    // that fails (another vfnet mid-change) is left to the second.
    if let Ok((_, plan)) = decide(s, &pf, args, total, mode) {
        if let Some(e) = refused(&label, &plan) {
            return Err(e);
        }
    }
    let _lock = s.state_lock(&deadline)?;
    // The mode as it is now, under the lock (another vfnet may have set it).
    let mode = match &mut devlink {
        Some((dl, m)) => dl.mode(pf.addr).unwrap_or(*m),
        None => None,
    };
    let (_, plan) = decide(s, &pf, args, total, mode)?;
    if let Some(e) = refused(&label, &plan) {
        return Err(e);
    }
    if let Some(on) = args.autoprobe {
        autoprobe(&pf, on)?;
    }
    let Plan::Change(c) = plan else {
        out::print(&crate::msg!(
            "{} already has {}: nothing to do.\n",
            label,
            out::vfs(args.count)
        ));
        return Ok(());
    };
    for l in crate::guard::lines(&label, &c.forced) {
        out::warn(format_args!("--force: destroying {l}"));
    }
    let dl = devlink.as_mut().map(|(dl, _)| dl);
    let done = execute(&pf, dl, &c, &deadline)?;
    report(s, &pf, &c, &done)
}

/// `--autoprobe`: sets `sriov_drivers_autoprobe`, saying so when it changed.
fn autoprobe(pf: &PfDev, on: bool) -> Result<()> {
    if sriov::set_autoprobe(pf, on)? {
        let state = if on { "on" } else { "off" };
        out::print(&crate::msg!("{}: autoprobe {}.\n", pf.label(), state));
    }
    Ok(())
}

/// Carries out the planned change: through `eswitch::change` when the
/// mode changes, else `sriov::set`.
fn execute(
    pf: &PfDev,
    devlink: Option<&mut crate::devlink::Devlink>,
    c: &Change,
    deadline: &Deadline,
) -> Result<sriov::Outcome> {
    let (Some(dl), Some((from, want))) = (devlink, c.mode) else {
        return sriov::set(pf, c.to, deadline);
    };
    let mut set_mode = |m| dl.set_mode(pf.addr, m);
    let e = crate::eswitch::change(pf, &mut set_mode, from, c.to, want, deadline)?;
    Ok(sriov::Outcome {
        from: e.from,
        to: e.to,
        took: e.took,
        unbound: e.unbound,
    })
}

/// What `set` says once the change is made: the change, the PF's VFs now,
/// and why VFs have no driver when some have none.
fn report(s: &System, pf: &PfDev, c: &Change, done: &sriov::Outcome) -> Result<()> {
    let switched = c.mode.map(|(from, want)| {
        crate::msg!(
            "eswitch {} -> {}, ",
            crate::eswitch::mode_name(from),
            want.name()
        )
    });
    let mut text = crate::msg!(
        "{}: {}{} -> {} VFs in {}.\n",
        pf.label(),
        switched.unwrap_or_default(),
        done.from,
        done.to,
        secs(done.took)
    );
    let mut unbound = Vec::new();
    if done.to > 0 {
        let inv = crate::survey::survey(s, &shown(pf.addr))?;
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
        text.push_str(&unbound_note(&s.root, done.unbound, &unbound));
    }
    out::print(&text);
    Ok(())
}

/// `--eswitch`: a devlink socket and the PF's mode, or one line saying why
/// not (no devlink under --root, a driver without an eswitch).
fn eswitch_of(
    s: &System,
    pf: &PfDev,
    want: Mode,
) -> Result<(crate::devlink::Devlink, Option<Mode>)> {
    let label = pf.label();
    let mut buf = [0u8; crate::sysfs::LINK_MAX];
    let driver = pf.dir.link_name("driver", &mut buf).ok();
    let refused = |e| crate::error::Error::fail(crate::eswitch::refused(&label, want, e, driver));
    if !s.live() {
        return Err(refused(None));
    }
    let refused = |e| refused(Some(e));
    let mut dl = crate::devlink::Devlink::open().map_err(refused)?;
    let mode = dl.mode(pf.addr).map_err(refused)?;
    Ok((dl, mode))
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
        Some(line) => crate::msg!("the kernel log says: {}", crate::text::quote(line)),
        None => crate::msg!("no driver took them, or one gave up on them (dmesg may say why)"),
    };
    crate::msg!(
        "\nnote: {} without a driver: {}. They exist; a driver can take them later (vfnet vf DEV N driver vfio-pci for a VM).\n",
        out::vfs(n),
        why
    )
}

/// `set` on a ConnectX-3: mlx4_core takes the count only when it loads.
/// Without `--reload`, what it would take; with it: record the count (the
/// config and vfnet's modprobe.d file), reload mlx4_core, wait for the VFs.
#[inline(never)]
fn reload(s: &System, pf: &PfDev, args: &Args, deadline: &Deadline) -> Result<()> {
    use crate::error::Error;
    use crate::mlx4::{self, Vfs};
    let label = pf.label();
    let total = sriov::read(pf, "sriov_totalvfs")?;
    let vfs = match args.ports {
        Some([x, y, z]) => Vfs::Ports(x, y, z),
        None => Vfs::Dual(args.count),
    };
    vfs.check(Some(total))
        .map_err(|e| Error::fail(format!("{label}: {e}")))?;
    let current = sriov::read(pf, "sriov_numvfs")?;
    let param = crate::modules::param(&s.root, mlx4::MODULE, "num_vfs");
    let loaded_with = param.and_then(|p| mlx4::in_force(&p, pf.addr));
    if current == vfs.total()
        && loaded_with.is_none_or(|v| v == vfs || v.total() == 0 && current == 0)
    {
        out::print(&crate::msg!(
            "{} already has {}: nothing to do.\n",
            label,
            out::vfs(current)
        ));
        return Ok(());
    }
    let down = ports_down(s)?;
    if !args.reload {
        return Err(Error::fail(crate::msg!(
            "{}: its driver mlx4_core takes the VF count only when it loads; changing it to {} means \
             reloading mlx4_core, which takes every ConnectX-3 port of the host down for a moment{}: \
             vfnet set {} {} --reload does that, \
             or vfnet persist {} {} and reboot",
            label,
            vfs,
            down,
            pf.addr,
            vfs,
            pf.addr,
            vfs
        )));
    }
    // A reload recreates every VF: the guard as for any change through 0.
    let now = Now {
        count: current,
        total,
        mode: None,
        down: None,
    };
    let ask = Ask {
        count: vfs.total(),
        mode: None,
        force: args.force,
        reload: true,
    };
    let users = change::destroys(&now, &ask).then(|| crate::guard::users(s, pf.addr));
    let plan = change::plan(&now, &ask, users.as_ref());
    if args.dry_run {
        let mut lines = dry_run_lines(&label, &now, &plan);
        if let Some(first) = lines
            .first_mut()
            .filter(|_| !matches!(plan, Plan::Invalid(_)))
        {
            *first = crate::msg!(
                "{}: would record {} in {} and {}, then reload mlx4_core (every ConnectX-3 port of the host goes down for a moment{}); {} -> {} VFs.",
                label,
                vfs,
                s.config.display(),
                s.root.join(mlx4::MODPROBE_FILE).display(),
                down,
                current,
                vfs.total()
            );
        }
        out::print(&(lines.join("\n") + "\n"));
        return refused(&label, &plan).map_or(Ok(()), Err);
    }
    if let Some(e) = refused(&label, &plan) {
        return Err(e);
    }
    reload_now(s, pf, vfs, current, deadline)
}

/// The reload itself, under the state lock: record the count, reload
/// mlx4_core, wait for the PF and its VFs, show them.
fn reload_now(
    s: &System,
    pf: &PfDev,
    vfs: crate::mlx4::Vfs,
    current: u32,
    deadline: &Deadline,
) -> Result<()> {
    let label = pf.label();
    let _lock = s.state_lock(deadline)?;
    record_mlx4(s, pf, vfs, deadline)?;
    let start = std::time::Instant::now();
    let ran = crate::modules::reload(&s.root, crate::mlx4::MODULE, &crate::mlx4::UPPER, deadline)?;
    out::print(&crate::msg!(
        "{}: reloaded mlx4_core ({})\n",
        label,
        ran.join(", ")
    ));
    let unbound = wait_reloaded(s, pf, vfs.total(), deadline)?;
    let mut text = crate::msg!(
        "{}: {} -> {} VFs in {}.\n",
        label,
        current,
        vfs.total(),
        secs(start.elapsed())
    );
    if vfs.total() > 0 {
        let inv = crate::survey::survey(s, &shown(pf.addr))?;
        if let Some(i) = inv.pf_by_addr(pf.addr) {
            text.push('\n');
            text.push_str(&render::vf_table(&inv.pfs[i], out::width()));
        }
    }
    if unbound > 0 {
        text.push_str(&crate::msg!(
            "\nnote: {} not probed by the host (mlx4_core's probe_vf): free for VMs.\n",
            out::vfs(unbound)
        ));
    }
    out::print(&text);
    Ok(())
}

/// What a reload of mlx4_core takes down: every ConnectX-3 port of the
/// host, named.
fn ports_down(s: &System) -> Result<String> {
    let ports: Vec<String> = crate::survey::survey(s, &crate::survey::Want::default())?
        .pfs
        .iter()
        .filter(|p| p.count_at_load())
        .flat_map(|p| p.interfaces.iter().map(|i| i.to_string()))
        .collect();
    // `, enp3s0 and enp3s0d1` after "every ConnectX-3 port of the host ...".
    Ok(match ports.split_last() {
        None => String::new(),
        Some((last, [])) => format!(": {last}"),
        Some((last, rest)) => format!(": {} and {last}", rest.join(", ")),
    })
}

/// Records a ConnectX-3's count as `persist` does: the config entry and
/// vfnet's modprobe.d file, with what else the change needs said.
fn record_mlx4(s: &System, pf: &PfDev, vfs: crate::mlx4::Vfs, deadline: &Deadline) -> Result<()> {
    let sys = s.sys()?;
    let mut line = None;
    crate::conffile::edit_or_plan(&s.root, &s.config, deadline, true, |cfg| {
        cfg.set_vfs(pf.addr, &pf.interfaces, vfs);
        line = crate::modprobe::line_if_any(&s.root, sys, cfg)?;
        Ok(())
    })?;
    let mut text = crate::msg!(
        "{}: {} recorded in {}\n",
        pf.label(),
        vfs,
        s.config.display()
    );
    for note in crate::modprobe::sync(&s.root, line.flatten().as_deref(), false)? {
        text.push_str(&note);
        text.push('\n');
    }
    out::print(&text);
    Ok(())
}

/// After the reload: the PF back with its driver (mlx4_core probed it
/// again), then its `n` VFs; how many the host did not probe.
fn wait_reloaded(s: &System, pf: &PfDev, n: u32, deadline: &Deadline) -> Result<u32> {
    let sys = s.sys()?;
    let key = DevKey::Pci(pf.addr);
    let again = crate::wait::until(deadline, || {
        crate::device::resolve(sys, &key)
            .ok()
            .filter(|p| p.driver().is_some())
    })
    .ok_or_else(|| {
        crate::error::Error::fail(crate::msg!(
            "{}: mlx4_core was reloaded, but the PF has no driver after {}: dmesg says why",
            pf.label(),
            secs(deadline.elapsed())
        ))
    })?;
    sriov::wait_ready(&again, n, deadline)
}

/// What the table after a change shows: the PF's VFs, with names.
fn shown(pf: crate::pci::PciAddr) -> crate::survey::Want {
    crate::survey::Want {
        only: Some(pf),
        names: true,
        ..crate::survey::Want::scan()
    }
}
