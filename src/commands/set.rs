//! `vfnet set DEV N`: change the number of VFs now, safely.

use crate::args::{self, Globals, Parsed};
use crate::error::Result;
use crate::pci::DevKey;
use crate::system::System;
use crate::wait::{Deadline, secs};
use crate::{out, render, sriov};
use lexopt::prelude::*;
use std::time::Duration;

/// `vfnet set -h`.
pub const USAGE: &str = "\
Usage: vfnet set [--autoprobe on|off] [--eswitch legacy|switchdev] [--timeout SECS]
                 [--dry-run] [--force] DEV N

Make DEV have N VFs now (0 removes them). DEV is a PF's interface name
(enp1s0f0) or PCI address (0000:01:00.0), network device or not.

N is checked against the device's sriov_totalvfs first. Changing a nonzero
count goes through 0, as the kernel requires. vfnet returns once the kernel
shows the N VFs and their drivers (and netdevs), then lists them. The change
does not survive a reboot: vfnet persist records it.

Changing a nonzero count destroys every VF, the ones in use too: when a VF
is in use (a VM or program holding it through vfio, a container owning its
netdev, a bridge or an address on the host), set refuses, names each user,
and changes nothing, unless --force.

A ConnectX-3 (mlx4_core) takes its count only when its driver loads, so
changing it means reloading mlx4_core, which takes every port of every
ConnectX-3 in the host down for a moment. set does that only with --reload:
it records N (or X,Y,Z: VFs on port 1, on port 2, on both) as vfnet persist
does, with /etc/modprobe.d/vfnet-mlx4.conf, then unloads mlx4_ib, mlx4_en
and mlx4_core, loads them again and waits for the VFs.

Options:
  -n, --dry-run        say what would change and who uses the VFs it destroys
  --reload             ConnectX-3: record the count and reload mlx4_core
  --force              change the count even when VFs are in use
  --autoprobe on|off   whether new VFs get a host driver (sriov_drivers_autoprobe);
                       off: VFs without a driver, ready for vfio-pci or a VM
  --eswitch MODE       the PF's eswitch mode over devlink: switchdev (a representor
                       netdev per VF, for OVS or tc) or legacy. Drivers change it
                       only without VFs: a change goes through 0 VFs, as a count
                       change does, and a refusal puts the VFs back
  -t, --timeout SECS   give up waiting (for another vfnet, for the kernel)
                       after SECS (default 30). It bounds waiting, never
                       finishing: once 0 is written on the way to N, N is
                       written; SIGTERM, SIGINT and SIGHUP are held until then.
";

#[derive(Debug, Clone, PartialEq, Eq)]
/// `vfnet set`'s arguments.
pub struct Args {
    /// `DEV`: the PF.
    pub dev: DevKey,
    /// `N` (for `X,Y,Z`: X+Y+Z).
    pub count: u32,
    /// `--timeout SECS`: one budget for every wait.
    pub timeout: Duration,
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
}

/// Parses `vfnet set`'s arguments (or returns its help).
pub fn parse(p: &mut lexopt::Parser, g: &mut Globals) -> Result<Parsed<Args>> {
    let (mut dev, mut count, mut timeout, mut autoprobe) =
        (None, None, args::DEFAULT_TIMEOUT, None);
    let (mut dry_run, mut force, mut reload, mut ports) = (false, false, false, None);
    let mut eswitch = None;
    while let Some(arg) = p.next()? {
        crate::prologue!(arg, p, g, USAGE);
        match arg {
            Short('t') | Long("timeout") => timeout = args::timeout("set", p.value()?)?,
            Short('n') | Long("dry-run") => dry_run = true,
            Long("force") => force = true,
            Long("reload") => reload = true,
            Long("eswitch") => {
                let v = args::text("set", "--eswitch", p.value()?)?;
                eswitch = Some(crate::devlink::Mode::parse(&v).ok_or_else(|| {
                    let v = crate::text::quote(&v);
                    args::usage(
                        "set",
                        format!("--eswitch takes legacy or switchdev, not '{v}'"),
                    )
                })?);
            }
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
            Value(v) if count.is_none() => {
                let vfs = args::vfs("set", "N", v)?;
                count = Some(vfs.total());
                if let crate::mlx4::Vfs::Ports(x, y, z) = vfs {
                    ports = Some([x, y, z]);
                }
            }
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
        dry_run,
        force,
        ports,
        reload,
        eswitch,
    }))
}

/// The guard's refusal: VFs in use and no `--force`.
fn refuse_in_use(label: &str, users: &[crate::guard::InUse], force: bool) -> Result<()> {
    if users.is_empty() || force {
        return Ok(());
    }
    Err(crate::guard::refuse(
        label,
        users,
        "changing the VF count destroys every VF (the kernel goes through 0)",
    ))
}

/// Runs `vfnet set` on the system `s`.
pub fn run(s: &System, args: &Args) -> Result<()> {
    // One deadline for the whole command, the lock included.
    let deadline = Deadline::after(args.timeout);
    out::set_changing();
    let root = &s.root;
    let sys = s.sys()?;
    let pf = crate::device::resolve(sys, &args.dev)?;
    if pf.count_at_load() {
        return reload(s, &pf, args, &deadline);
    }
    if args.ports.is_some() || args.reload {
        return Err(crate::error::Error::fail(format!(
            "{}: X,Y,Z and --reload are for a ConnectX-3, whose driver mlx4_core takes its count at load",
            pf.label()
        )));
    }
    // Refuse what cannot be done before taking the lock (which may create
    // its file): bad input changes nothing.
    sriov::check_pf(&pf, args.count)?;
    let label = pf.label();
    // --eswitch: devlink's view first, so that a driver without an eswitch
    // is one line and no change.
    let mut eswitch = match args.eswitch {
        Some(want) => Some(eswitch_of(s, &pf, want)?),
        None => None,
    };
    let mode_change = eswitch
        .as_ref()
        .and_then(|(_, mode, want)| (*mode != Some(*want)).then_some((*mode, *want)));
    // The guard: a change of a nonzero count destroys every VF. It looks
    // once before the lock (a refusal then leaves no trace, not even the
    // lock file) and again under it: no other vfnet changes the count
    // between that look and the change.
    let survey = || -> Result<(u32, bool, Vec<crate::guard::InUse>)> {
        let current = sriov::read(&pf, "sriov_numvfs")?;
        let destroys = current > 0 && (current != args.count || mode_change.is_some());
        let users = if destroys {
            crate::guard::users(s, pf.addr)?
        } else {
            Vec::new()
        };
        Ok((current, destroys, users))
    };
    if args.dry_run {
        let (current, destroys, users) = survey()?;
        let mut text = if let Some((from, want)) = mode_change {
            format!(
                "{label}: would change eswitch {} -> {} with 0 VFs, then {current} -> {} VFs{}.\n",
                crate::eswitch::mode_name(from),
                want.name(),
                args.count,
                if current > 0 {
                    format!(": VFs 0-{} are destroyed", current - 1)
                } else {
                    String::new()
                }
            )
        } else if current == args.count {
            format!("{label} has {}: nothing would change.\n", out::vfs(current))
        } else if destroys {
            format!(
                "{label}: would change {current} -> {} VFs, through 0: VFs 0-{} are destroyed.\n",
                args.count,
                current - 1
            )
        } else {
            format!("{label}: would change {current} -> {} VFs.\n", args.count)
        };
        for l in crate::guard::lines(&label, &users) {
            text.push_str(&l);
            text.push('\n');
        }
        if !users.is_empty() && !args.force {
            text.push_str("set would refuse: VFs in use (--force destroys them anyway).\n");
        }
        out::print(&text);
        return Ok(());
    }
    // A first look that fails (another vfnet mid-change) is left to the
    // second.
    if let Ok((_, _, users)) = survey() {
        refuse_in_use(&label, &users, args.force)?;
    }
    let _lock = s.state_lock(&deadline)?;
    let (_, _, users) = survey()?;
    refuse_in_use(&label, &users, args.force)?;
    for l in crate::guard::lines(&label, &users) {
        out::error(format_args!("--force: destroying {l}"));
    }
    if let Some(on) = args.autoprobe {
        if sriov::set_autoprobe(&pf, on)? {
            out::print(&format!(
                "{label}: autoprobe {}.\n",
                if on { "on" } else { "off" }
            ));
        }
    }
    let (done, switched) = match (&mut eswitch, mode_change) {
        (Some((dl, _, want)), Some((from, _))) => {
            // Under the lock, as it is now (another vfnet may have set it).
            let from = dl.mode(pf.addr).unwrap_or(from);
            let mut set_mode = |m| dl.set_mode(pf.addr, m);
            let c = crate::eswitch::change(&pf, &mut set_mode, from, args.count, *want, &deadline)?;
            let done = sriov::Outcome {
                from: c.from,
                to: c.to,
                took: c.took,
                unbound: c.unbound,
            };
            let switched = (from != Some(*want)).then(|| {
                format!(
                    "eswitch {} -> {}, ",
                    crate::eswitch::mode_name(from),
                    want.name()
                )
            });
            (done, switched)
        }
        _ => (sriov::set(&pf, args.count, &deadline)?, None),
    };
    if done.from == done.to && switched.is_none() {
        out::print(&format!(
            "{label} already has {}: nothing to do.\n",
            out::vfs(done.to)
        ));
        return Ok(());
    }
    let mut text = format!(
        "{label}: {}{} -> {} VFs in {}.\n",
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
        text.push_str(&unbound_note(root, done.unbound, &unbound));
    }
    out::print(&text);
    Ok(())
}

/// `--eswitch`: a devlink socket and the PF's mode, or one line saying why
/// not (no devlink under --root, a driver without an eswitch).
fn eswitch_of(
    s: &System,
    pf: &crate::device::PfDev,
    want: crate::devlink::Mode,
) -> Result<(
    crate::devlink::Devlink,
    Option<crate::devlink::Mode>,
    crate::devlink::Mode,
)> {
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
    Ok((dl, mode, want))
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

/// `set` on a ConnectX-3: mlx4_core takes the count only when it loads.
/// Without `--reload`, what it would take; with it: record the count (the
/// config and vfnet's modprobe.d file), reload mlx4_core, wait for the VFs.
#[inline(never)]
fn reload(s: &System, pf: &crate::device::PfDev, args: &Args, deadline: &Deadline) -> Result<()> {
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
    let sys = s.sys()?;
    let ports: Vec<String> = crate::survey::survey(s, &crate::survey::Want::default())?
        .pfs
        .iter()
        .filter(|p| p.count_at_load())
        .flat_map(|p| p.interfaces.iter().map(|i| i.to_string()))
        .collect();
    let down = if ports.is_empty() {
        "every ConnectX-3 port of the host".to_string()
    } else {
        format!("every ConnectX-3 port of the host ({})", ports.join(", "))
    };
    let current = sriov::read(pf, "sriov_numvfs")?;
    let param = crate::modules::param(&s.root, mlx4::MODULE, "num_vfs");
    let loaded_with = param.and_then(|p| mlx4::in_force(&p, pf.addr));
    if current == vfs.total()
        && loaded_with.is_none_or(|v| v == vfs || v.total() == 0 && current == 0)
    {
        out::print(&format!(
            "{label} already has {}: nothing to do.\n",
            out::vfs(current)
        ));
        return Ok(());
    }
    if !args.reload {
        return Err(Error::fail(format!(
            "{label}: its driver mlx4_core takes the VF count only when it loads; changing it to {vfs} means \
             reloading mlx4_core, which takes {down} down for a moment: vfnet set {} {vfs} --reload does that, \
             or vfnet persist {} {vfs} and reboot",
            pf.addr, pf.addr
        )));
    }
    let users = if current > 0 {
        crate::guard::users(s, pf.addr)?
    } else {
        Vec::new()
    };
    if args.dry_run {
        let mut text = format!(
            "{label}: would record {vfs} in {} and {}, then reload mlx4_core ({down} go down), {current} -> {} VFs.\n",
            s.config.display(),
            mlx4::MODPROBE_FILE,
            vfs.total()
        );
        for l in crate::guard::lines(&label, &users) {
            text.push_str(&l);
            text.push('\n');
        }
        out::print(&text);
        return Ok(());
    }
    refuse_in_use(&label, &users, args.force)?;
    let _lock = s.state_lock(deadline)?;
    let mut line = None;
    crate::config::edit_or_plan(&s.root, &s.config, deadline, true, |cfg| {
        cfg.set_vfs(pf.addr, &pf.interfaces, vfs);
        line = crate::modprobe::line_if_any(&s.root, sys, cfg)?;
        Ok(())
    })?;
    let mut text = format!("{label}: {vfs} recorded in {}\n", s.config.display());
    for note in crate::modprobe::sync(&s.root, line.flatten().as_deref(), false)? {
        text.push_str(&note);
        text.push('\n');
    }
    out::print(&text);
    let start = std::time::Instant::now();
    let ran = crate::modules::reload(&s.root, mlx4::MODULE, &mlx4::UPPER, deadline)?;
    out::print(&format!(
        "{label}: reloaded mlx4_core ({})\n",
        ran.join(", ")
    ));
    // The PF comes back when mlx4_core has probed it again.
    let key = DevKey::Pci(pf.addr);
    let again = crate::wait::until(deadline, || {
        crate::device::resolve(sys, &key)
            .ok()
            .filter(|p| p.driver().is_some())
    })
    .ok_or_else(|| {
        Error::fail(format!(
            "{label}: mlx4_core was reloaded, but the PF has no driver after {}: dmesg says why",
            secs(deadline.elapsed())
        ))
    })?;
    let unbound = sriov::wait_ready(&again, vfs.total(), deadline)?;
    let mut text = format!(
        "{label}: {current} -> {} VFs in {}.\n",
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
        text.push_str(&format!(
            "\nnote: {} not probed by the host (mlx4_core's probe_vf): free for VMs.\n",
            out::vfs(unbound)
        ));
    }
    out::print(&text);
    Ok(())
}

/// What the table after a change shows: the PF's VFs, with names.
fn shown(pf: crate::pci::PciAddr) -> crate::survey::Want {
    crate::survey::Want {
        only: Some(pf),
        names: true,
        ..crate::survey::Want::scan()
    }
}
