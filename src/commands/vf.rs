//! `vfnet vf DEV INDEX [SETTING VALUE]...`: show or change one VF's
//! settings: MAC, VLAN, trust, spoof check, link state, rate, driver.
//!
//! [`configure`] does the work for one VF, for this command and for
//! `apply`: one netlink request per setting that differs, then, when the
//! MAC changed, the PF brought up and the VF's driver rebound so that its
//! netdev takes the MAC, then the driver binding.

use crate::cli::{self, Command, Globals};
use crate::config::{self, VfSel};
use crate::error::{Error, Result};
use crate::netlink::{Link, Route, VfSet};
use crate::pci::{self, DevKey, PfDev, virtfn_path};
use crate::sysfs::Dir;
use crate::vf::{self, Driver, MacSpec, Setting, Wanted};
use crate::wait::{Deadline, until};
use crate::{lock, mac::Mac, out};
use lexopt::prelude::*;
use std::time::Duration;

pub const USAGE: &str = "\
Usage: vfnet vf [--persist] DEV INDEX [SETTING VALUE]...

Without settings, show VF INDEX of the PF DEV. With settings, change them now;
--persist also records them in the config file, for vfnet apply at boot.

Settings:
  mac MAC|auto             the VF's MAC; auto: a stable one derived from the
                           PF's permanent MAC and INDEX, the same on every boot;
                           00:00:00:00:00:00 clears it
  vlan ID [qos Q]          VLAN id (0: none) and 802.1p priority (0-7)
  trust on|off             let the VF change its MAC and use promiscuous mode
  spoofchk on|off          drop frames whose source MAC is not the VF's
  state auto|enable|disable   link state: follow the PF, always up, always down
  rate MIN MAX             TX rate limits in Mbit/s (0: no limit)
  driver vfio-pci|default  hand the VF to vfio-pci (for a VM), or back

A new MAC reaches the VF's own netdev when its driver probes: vfnet brings the
PF up if it is down and rebinds that one VF's driver.

Options:
  --persist            also record the settings in the config file
  -t, --timeout SECS   give up waiting for drivers after SECS (default 30)
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub dev: DevKey,
    pub index: u32,
    pub settings: Vec<Setting>,
    pub persist: bool,
    pub timeout: Duration,
}

pub fn parse(p: &mut lexopt::Parser, g: &mut Globals) -> Result<Command> {
    let (mut dev, mut index, mut persist, mut timeout) =
        (None, None, false, super::set::DEFAULT_TIMEOUT);
    let mut settings = Vec::new();
    while let Some(arg) = p.next()? {
        if let Some(opt) = Globals::option(&arg) {
            g.set(opt, p)?;
            continue;
        }
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help(USAGE)),
            Long("persist") => persist = true,
            Short('t') | Long("timeout") => timeout = cli::timeout("vf", p.value()?)?,
            Value(v) if dev.is_none() => dev = Some(cli::dev("vf", v)?),
            Value(v) if index.is_none() => {
                let v = cli::text("vf", "INDEX", v)?;
                index = Some(config::parse_count(&v).ok_or_else(|| {
                    cli::usage(
                        "vf",
                        format!(
                            "INDEX must be a VF number, not '{}'",
                            crate::text::quote(&v)
                        ),
                    )
                })?);
            }
            Value(name) => {
                let name = cli::text("vf", "SETTING", name)?;
                let mut value = cli::text(
                    "vf",
                    &name,
                    p.value()
                        .map_err(|_| cli::usage("vf", format!("{name} needs a value")))?,
                )?;
                if name == "rate" {
                    let max = cli::text(
                        "vf",
                        "rate",
                        p.value()
                            .map_err(|_| cli::usage("vf", "rate needs MIN and MAX"))?,
                    )?;
                    value = format!("{value},{max}");
                }
                settings.push(Setting::parse(&name, &value).map_err(|e| cli::usage("vf", e))?);
            }
            _ => return Err(cli::unexpected("vf", arg)),
        }
    }
    let dev = dev.ok_or_else(|| cli::usage("vf", "missing DEV and INDEX (see vfnet vf -h)"))?;
    let index = index
        .ok_or_else(|| cli::usage("vf", "missing INDEX, the VF's number (see vfnet vf -h)"))?;
    if persist && settings.is_empty() {
        return Err(cli::usage("vf", "--persist needs settings to record"));
    }
    Ok(Command::Vf(Args {
        dev,
        index,
        settings,
        persist,
        timeout,
    }))
}

/// The kernel access `configure` needs, opened once per command.
pub struct Session {
    pub bus: Dir,
    /// rtnetlink, on the live system only (none under --root).
    pub route: Option<std::result::Result<Route, nix::errno::Errno>>,
    /// The command's one deadline: every wait for a driver draws from it.
    pub deadline: Deadline,
}

impl Session {
    pub fn new(sys: &Dir, live: bool, deadline: Deadline) -> Result<Session> {
        let bus = sys.open_dir("bus/pci").map_err(|e| {
            Error::fail(format!(
                "cannot open /sys/bus/pci: {}",
                crate::error::strerror(e)
            ))
        })?;
        Ok(Session {
            bus,
            route: live.then(Route::open),
            deadline,
        })
    }

    /// The PF's link with its VFs' settings, or why there is none.
    pub fn link(&mut self, pf: &PfDev) -> Result<Link> {
        let label = pf.label();
        let iface = pf.interfaces.first().ok_or_else(|| {
            Error::fail(format!(
                "{label}: VF settings go through the PF's network interface, and it has none"
            ))
        })?;
        let route = match &mut self.route {
            None => {
                return Err(Error::fail(
                    "VF settings go through the kernel's rtnetlink: not available under --root",
                ));
            }
            Some(Err(e)) => {
                return Err(Error::fail(format!(
                    "cannot open an rtnetlink socket: {}",
                    crate::error::strerror(*e)
                )));
            }
            Some(Ok(r)) => r,
        };
        route.link(iface.as_str()).map_err(|e| {
            Error::fail(format!(
                "{label}: cannot read its VFs over rtnetlink: {}",
                crate::error::strerror(e)
            ))
        })
    }
}

/// What configuring one VF did: one line of changes, and the errors.
#[derive(Debug, Default)]
pub struct Done {
    pub changes: Vec<String>,
    pub errors: Vec<Error>,
    /// Something changed that the errors describe (an undo that did not
    /// fully succeed): "nothing changed" would be false.
    pub partial: bool,
}

/// Brings VF `index` of `pf` to `want`. `link` is the PF's link as read
/// before (settings need it; the driver alone does not).
pub fn configure(
    s: &mut Session,
    pf: &PfDev,
    link: Option<&Link>,
    index: u32,
    want: &Wanted,
) -> Done {
    let mut done = Done::default();
    let label = format!("{} VF {index}", pf.label());
    let (vf_dir, vf_addr) = match pci::open_vf(pf, index) {
        Ok(v) => v,
        Err(e) => {
            done.errors.push(e);
            return done;
        }
    };
    let deadline = s.deadline;
    if want.needs_netlink() {
        match link.map(|l| (l, l.vfs.iter().find(|v| v.vf == index))) {
            None => done.errors.push(Error::fail(format!(
                "{label}: VF settings need the PF's rtnetlink view, which is unavailable"
            ))),
            Some((_, None)) => done.errors.push(Error::fail(format!(
                "{label}: the PF's driver reports no such VF"
            ))),
            Some((link, Some(have))) => {
                let pf_mac = link.perm_address.or(link.address);
                if want.mac_for(pf_mac, index) == Some(Err(())) {
                    done.errors.push(Error::fail(format!(
                        "{label}: mac auto needs the PF's MAC, which it does not report"
                    )));
                }
                let mut mac_set = false;
                for change in want.changes(have, pf_mac) {
                    let route = match &mut s.route {
                        Some(Ok(r)) => r,
                        _ => break,
                    };
                    match route.set_vf(link.ifindex, index, change) {
                        Ok(()) => {
                            mac_set |= matches!(change, VfSet::Mac(_));
                            done.changes.push(change.to_string());
                        }
                        Err(e) => done.errors.push(vf::set_error(&label, &change, e)),
                    }
                }
                if let Some(Ok(mac)) = want.mac_for(pf_mac, index) {
                    // 00:00:00:00:00:00 clears the admin MAC: the VF keeps its own.
                    if want.driver != Some(Driver::VfioPci) && mac != Mac([0; 6]) {
                        into_netdev(
                            s, link, &vf_dir, vf_addr, mac, mac_set, &label, &deadline, &mut done,
                        );
                    }
                }
            }
        }
    }
    if let Some(d) = want.driver {
        // A driver probe for the default driver is quick when there is one.
        let probe = Deadline::after(deadline.remaining().min(Duration::from_secs(5)));
        match vf::bind(
            &s.bus,
            &vf_dir,
            vf_addr,
            d,
            if d == Driver::Default {
                &probe
            } else {
                &deadline
            },
        ) {
            Ok((_, false)) => {}
            Ok((now, true)) => done.changes.push(format!(
                "driver {}",
                now.as_deref().unwrap_or("none (no driver claimed it)")
            )),
            Err(b) => {
                done.partial |= b.changed;
                done.errors.push(b.error);
            }
        }
    }
    done
}

/// Gets the admin MAC into the VF's own netdev: the driver reads it at
/// probe, and only from an up PF. Does nothing when the netdev has it, or
/// when the VF has no net driver (vfio-pci, none: the next probe reads it).
#[allow(clippy::too_many_arguments)]
fn into_netdev(
    s: &mut Session,
    link: &Link,
    vf_dir: &Dir,
    vf_addr: pci::PciAddr,
    mac: Mac,
    changed: bool,
    label: &str,
    deadline: &Deadline,
    done: &mut Done,
) {
    let Some((_, address)) = vf_netdev(vf_dir) else {
        return;
    };
    if address == Some(mac) && !changed {
        return;
    }
    let mut buf = [0u8; crate::sysfs::LINK_MAX];
    let Some(driver) = vf_dir
        .link_name("driver", &mut buf)
        .ok()
        .map(str::to_string)
    else {
        return;
    };
    if !link.is_up() {
        if let Some(Ok(route)) = &mut s.route {
            match route.set_up(link.ifindex) {
                Ok(()) => done
                    .changes
                    .push("PF brought up (a VF takes its MAC from an up PF)".into()),
                Err(e) => done.errors.push(Error::fail(format!(
                    "{label}: cannot bring the PF up for the VF to take its MAC: {}",
                    crate::error::strerror(e)
                ))),
            }
        }
    }
    if let Err(e) = vf::rebind(&s.bus, vf_dir, vf_addr, &driver, deadline) {
        done.errors.push(e);
        return;
    }
    let got = until(deadline, || {
        vf_netdev(vf_dir).filter(|(_, a)| *a == Some(mac))
    });
    match got {
        Some((name, _)) => done
            .changes
            .push(format!("{driver} rebound, {name} has {mac}")),
        None => {
            let now = vf_netdev(vf_dir).map_or("no netdev".to_string(), |(n, a)| {
                format!("{n} has {}", a.map_or("no MAC".into(), |m| m.to_string()))
            });
            done.errors.push(Error::fail(format!(
                "{label}: {driver} rebound, but {now}, not {mac}"
            )));
        }
    }
}

/// The VF's netdev and its MAC.
fn vf_netdev(vf: &Dir) -> Option<(String, Option<Mac>)> {
    let net = vf.open_dir("net").ok()?;
    let mut name = None;
    let _ = net.for_each_entry(|e| name = name.take().or(Some(e.to_string())));
    let name = name?;
    let mut buf = [0u8; 128];
    let mac = net
        .read(&format!("{name}/address"), &mut buf)
        .ok()
        .and_then(Mac::parse);
    Some((name, mac))
}

/// What a dry run would change: the netlink changes (when the PF's view
/// was read) and the driver.
pub fn summary(changes: &[VfSet], want: &Wanted) -> String {
    let mut parts: Vec<String> = changes.iter().map(|c| c.to_string()).collect();
    if let Some(d) = want.driver {
        parts.push(format!("driver {}", Setting::Driver(d)));
    }
    if parts.is_empty() {
        "nothing".into()
    } else {
        parts.join("; ")
    }
}

/// `eth0 (0000:01:00.0) VF 3: mac 06:...; vlan 100 qos 0`, or "as asked".
pub fn report(pf: &PfDev, index: u32, done: &Done) -> String {
    let what = match (done.changes.is_empty(), done.errors.is_empty()) {
        (true, true) => "already as asked".to_string(),
        (true, false) if done.partial => "left part-way (see the error)".to_string(),
        (true, false) => "nothing changed".to_string(),
        (false, _) => done.changes.join("; "),
    };
    format!("{} VF {index}: {what}.\n", pf.label())
}

pub fn run(g: &Globals, args: &Args) -> Result<()> {
    let deadline = Deadline::after(args.timeout);
    let root = g.root();
    let sys = pci::open_sys(&root)?;
    let pf = pci::resolve_for(&sys, &args.dev, "vf")?;
    let mut path = String::new();
    if !pf.dir.exists(virtfn_path(&mut path, args.index, "")) {
        let n = pci::virtfns(&pf.dir).map(|v| v.len()).unwrap_or(0);
        return Err(Error::fail(format!(
            "{} has no VF {} (it has {})",
            pf.label(),
            args.index,
            out::vfs(n as u32)
        )));
    }
    // A VF whose link leads anywhere odd is refused before anything (the
    // lock file included) is written.
    pci::open_vf(&pf, args.index)?;
    let mut s = Session::new(&sys, root.is_live(), deadline)?;
    if args.settings.is_empty() {
        return show(&mut s, &pf, args.index);
    }
    out::set_changing();
    let mut want = Wanted::default();
    for setting in &args.settings {
        want.add(*setting);
    }
    // Read before locking: a setting that cannot be made changes nothing.
    let link = if want.needs_netlink() {
        Some(s.link(&pf)?)
    } else {
        None
    };
    let _lock = lock::state(&root, &g.config(&root), &deadline)?;
    let done = configure(&mut s, &pf, link.as_ref(), args.index, &want);
    out::print(&report(&pf, args.index, &done));
    let failed = done.errors.len();
    for e in done.errors {
        out::error(e);
    }
    if failed > 0 {
        return Err(Error::fail(format!(
            "{failed} setting(s) failed{}",
            if args.persist {
                "; nothing was recorded"
            } else {
                ""
            }
        )));
    }
    if args.persist {
        let path = g.config(&root);
        config::edit(&root, &path, &deadline, |cfg| {
            for setting in &args.settings {
                cfg.set_vf(pf.addr, &pf.interfaces, VfSel::One(args.index), *setting);
            }
            Ok(())
        })?;
        out::print(&format!("recorded in {}\n", path.display()));
    }
    Ok(())
}

/// `vfnet vf DEV INDEX`: what the VF is now.
fn show(s: &mut Session, pf: &PfDev, index: u32) -> Result<()> {
    let mut path = String::new();
    let vf_dir = pf
        .dir
        .open_dir(virtfn_path(&mut path, index, ""))
        .map_err(|_| Error::fail(format!("{}: VF {index} vanished", pf.label())))?;
    let mut buf = [0u8; crate::sysfs::LINK_MAX];
    let addr = pf
        .dir
        .link(virtfn_path(&mut path, index, ""), &mut buf)
        .ok()
        .and_then(pci::link_addr);
    let mut text = format!("{} VF {index}\n", pf.label());
    let or = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    text.push_str(&format!(
        "  pci       {}\n",
        or(addr.map(|a| a.to_string()))
    ));
    let driver = vf_dir
        .link_name("driver", &mut buf)
        .ok()
        .map(str::to_string);
    text.push_str(&format!("  driver    {}\n", or(driver)));
    let net = vf_netdev(&vf_dir);
    text.push_str(&format!(
        "  netdev    {}\n",
        or(net
            .as_ref()
            .map(|(n, a)| format!("{n} {}", a.map_or("-".into(), |m| m.to_string()))))
    ));
    match s.link(pf) {
        Ok(link) => match link.vfs.iter().find(|v| v.vf == index) {
            Some(v) => {
                let pf_mac = link.perm_address.or(link.address);
                text.push_str(&crate::render::vf_settings_lines(v, pf_mac));
            }
            None => text.push_str("  settings  not reported by the PF's driver\n"),
        },
        Err(e) => text.push_str(&format!("  settings  unavailable: {e}\n")),
    }
    out::print(&text);
    Ok(())
}

/// `mac auto` for a VF whose admin MAC is the auto one.
pub fn mac_setting(pf_mac: Option<Mac>, index: u32, admin: Option<Mac>) -> Option<Setting> {
    let admin = admin.filter(|m| *m != Mac([0; 6]))?;
    Some(if pf_mac.map(|p| vf::auto_mac(p, index)) == Some(admin) {
        Setting::Mac(MacSpec::Auto)
    } else {
        Setting::Mac(MacSpec::Addr(admin))
    })
}
