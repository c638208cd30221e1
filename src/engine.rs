//! The VF engine: bringing one VF to what is wanted, for `vfnet vf`,
//! `apply` and `persist` alike. One netlink request per setting that
//! differs (a driver that refuses one does not block the others); when the
//! MAC changed, the PF brought up and that one VF's driver rebound so that
//! its netdev takes the MAC; then the driver binding, which completes or is
//! undone (`vf::bind`).

use crate::device::PfDev;
use crate::error::{Error, Result};
use crate::mac::Mac;
use crate::netlink::{Link, Socket, VfSet};
use crate::sysfs::Dir;
use crate::vf::{self, Driver, MacSpec, Setting, Wanted};
use crate::wait::{Deadline, until};
use std::time::Duration;

/// The kernel access `configure` needs, opened once per command.
pub struct Session {
    /// `/sys/bus/pci`, opened once.
    pub bus: Dir,
    /// rtnetlink, on the live system only (none under --root).
    pub route: Option<std::result::Result<Socket, nix::errno::Errno>>,
    /// The command's one deadline: every wait for a driver draws from it.
    pub deadline: Deadline,
}

impl Session {
    /// Opens what configuring needs on `system`, with the command's deadline.
    pub fn new(system: &crate::system::System, deadline: Deadline) -> Result<Session> {
        Session::open(system.sys()?, system.live(), deadline)
    }

    /// The same from an open `/sys` (a thread of its own opens its own):
    /// rtnetlink only when `live`.
    pub fn open(sys: &Dir, live: bool, deadline: Deadline) -> Result<Session> {
        let bus = sys.open_dir("bus/pci").map_err(|e| {
            Error::fail(crate::msg!(
                "cannot open /sys/bus/pci: {}",
                crate::error::strerror(e)
            ))
        })?;
        Ok(Session {
            bus,
            route: live.then(Socket::route),
            deadline,
        })
    }

    /// The PF's link with its VFs' settings, or why there is none.
    pub fn link(&mut self, pf: &PfDev) -> Result<Link> {
        let label = pf.label();
        let iface = pf.interfaces.first().ok_or_else(|| {
            Error::fail(crate::msg!(
                "{}: VF settings go through the PF's network interface, and it has none",
                label
            ))
        })?;
        let route = match &mut self.route {
            None => {
                return Err(Error::fail(
                    "VF settings go through the kernel's rtnetlink: not available under --root",
                ));
            }
            Some(Err(e)) => {
                return Err(Error::fail(crate::msg!(
                    "cannot open an rtnetlink socket: {}",
                    crate::error::strerror(*e)
                )));
            }
            Some(Ok(r)) => r,
        };
        route.link(iface.as_str()).map_err(|e| {
            Error::fail(crate::msg!(
                "{}: cannot read its VFs over rtnetlink: {}",
                label,
                crate::error::strerror(e)
            ))
        })
    }
}

/// What configuring one VF did: one line of changes, and the errors.
#[derive(Debug, Default)]
pub struct Done {
    /// What changed, one phrase each.
    pub changes: Vec<String>,
    /// What failed; the other settings were still tried.
    pub errors: Vec<Error>,
    /// Something changed that the errors describe (an undo that did not
    /// fully succeed): "nothing changed" would be false.
    pub partial: bool,
}

/// The rtnetlink settings of VF `index` that differ from `have`, one
/// request each; a new MAC then taken into the VF's netdev.
#[allow(clippy::too_many_arguments)]
fn netlink_settings(
    s: &mut Session,
    link: &Link,
    have: &crate::netlink::VfInfo,
    vf_dir: &Dir,
    vf_addr: crate::pci::PciAddr,
    index: u32,
    want: &Wanted,
    label: &str,
    done: &mut Done,
) {
    let deadline = s.deadline;
    let pf = link.ids();
    for why in want.refused(&pf, index) {
        done.errors.push(Error::fail(format!("{label}: {why}")));
    }
    let (mut mac_set, mut guid_set) = (false, false);
    for change in want.changes(have, &pf) {
        let route = match &mut s.route {
            Some(Ok(r)) => r,
            _ => break,
        };
        match route.set_vf(link.ifindex, index, change) {
            Ok(()) => {
                mac_set |= matches!(change, VfSet::Mac(_));
                guid_set |= matches!(change, VfSet::NodeGuid(_) | VfSet::PortGuid(_));
                done.changes.push(change.to_string());
            }
            Err(e) => done.errors.push(vf::set_error(label, &change, e)),
        }
    }
    let vfio = want.driver == Some(Driver::VfioPci);
    if let Some(Ok(mac)) = want.mac_for(pf.mac, index) {
        // 00:00:00:00:00:00 clears the admin MAC: the VF keeps its own.
        if !vfio && mac != Mac([0; 6]) {
            guid_set &= !into_netdev(
                s, link, vf_dir, vf_addr, mac, mac_set, label, &deadline, done,
            );
        }
    }
    if guid_set && !vfio {
        guids_into_vf(s, vf_dir, vf_addr, &deadline, done);
    }
}

/// An InfiniBand VF's driver reads its GUIDs at probe: it is rebound once
/// they changed (not vfio-pci's VF, whose guest probes on its own; not a
/// VF without a driver, whose next probe reads them).
fn guids_into_vf(
    s: &Session,
    vf_dir: &Dir,
    vf_addr: crate::pci::PciAddr,
    deadline: &Deadline,
    done: &mut Done,
) {
    let mut buf = [0u8; crate::sysfs::LINK_MAX];
    let driver = match vf_dir.link_name("driver", &mut buf) {
        Ok(d) if d != "vfio-pci" => d.to_string(),
        _ => return,
    };
    match vf::rebind(&s.bus, vf_dir, vf_addr, &driver, deadline) {
        Ok(()) => done.changes.push(crate::msg!(
            "{} rebound (a VF takes its GUIDs at probe)",
            driver
        )),
        Err(e) => done.errors.push(e),
    }
}

/// The VF's driver binding (`vf::bind`): a probe for the default driver is
/// quick when there is one, so it gets at most 5 s of the deadline.
fn bind(s: &Session, vf_dir: &Dir, vf_addr: crate::pci::PciAddr, d: Driver, done: &mut Done) {
    let probe = Deadline::after(s.deadline.remaining().min(Duration::from_secs(5)));
    let deadline = if d == Driver::Default {
        &probe
    } else {
        &s.deadline
    };
    match vf::bind(&s.bus, vf_dir, vf_addr, d, deadline) {
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
    let (vf_dir, vf_addr) = match crate::device::open_vf(pf, index) {
        Ok(v) => v,
        Err(e) => {
            done.errors.push(e);
            return done;
        }
    };
    if want.needs_netlink() {
        match link.map(|l| (l, l.vfs.iter().find(|v| v.vf == index))) {
            None => done.errors.push(Error::fail(crate::msg!(
                "{}: VF settings need the PF's rtnetlink view, which is unavailable",
                label
            ))),
            Some((_, None)) => done.errors.push(Error::fail(crate::msg!(
                "{}: the PF's driver reports no such VF",
                label
            ))),
            Some((link, Some(have))) => netlink_settings(
                s, link, have, &vf_dir, vf_addr, index, want, &label, &mut done,
            ),
        }
    }
    if let Some(mtu) = want.mtu {
        set_mtu(s, pf, &vf_dir, mtu, &label, &mut done);
    }
    if let Some(d) = want.driver {
        bind(s, &vf_dir, vf_addr, d, &mut done);
    }
    done
}

/// How many times a VF driver is rebound to take its admin MAC.
const REBINDS: u32 = 3;

/// How long a rebound VF's netdev is given to show its MAC.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

/// Gets the admin MAC into the VF's own netdev: the driver reads it at
/// probe, and only from an up PF. Does nothing when the netdev has it, or
/// when the VF has no net driver (vfio-pci, none: the next probe reads it).
/// Whether it rebound the driver.
#[allow(clippy::too_many_arguments)]
fn into_netdev(
    s: &mut Session,
    link: &Link,
    vf_dir: &Dir,
    vf_addr: crate::pci::PciAddr,
    mac: Mac,
    changed: bool,
    label: &str,
    deadline: &Deadline,
    done: &mut Done,
) -> bool {
    let Some((_, address)) = vf_netdev(vf_dir) else {
        return false;
    };
    if address == Some(mac) && !changed {
        return false;
    }
    let mut buf = [0u8; crate::sysfs::LINK_MAX];
    let Some(driver) = vf_dir
        .link_name("driver", &mut buf)
        .ok()
        .map(str::to_string)
    else {
        return false;
    };
    pf_up(s, link, label, done);
    // The driver has probed once the rebind returns, and its netdev has
    // the MAC it will keep: it is looked for a short while, not the whole
    // budget. A VF driver that probes while its PF is busy with another VF
    // can come up with a random MAC instead (igbvf does, when its reset
    // message to the PF times out: seen in the QEMU suite with two vCPUs),
    // so the rebind is tried again.
    let mut got = None;
    let mut tries = 0;
    while got.is_none() && tries < REBINDS && !deadline.remaining().is_zero() {
        tries += 1;
        if let Err(e) = vf::rebind(&s.bus, vf_dir, vf_addr, &driver, deadline) {
            done.errors.push(e);
            return true;
        }
        let settle = deadline.capped(SETTLE);
        got = until(&settle, || {
            vf_netdev(vf_dir).filter(|(_, a)| *a == Some(mac))
        });
    }
    match got {
        Some((name, _)) if tries > 1 => done.changes.push(crate::msg!(
            "{} rebound {} times (a probe took a random MAC), {} has {}",
            driver,
            tries,
            name,
            mac
        )),
        Some((name, _)) => {
            done.changes
                .push(crate::msg!("{} rebound, {} has {}", driver, name, mac))
        }
        None => {
            let now = vf_netdev(vf_dir).map_or("no netdev".to_string(), |(n, a)| {
                format!("{n} has {}", a.map_or("no MAC".into(), |m| m.to_string()))
            });
            done.errors.push(Error::fail(crate::msg!(
                "{}: {} rebound, but {}, not {}",
                label,
                driver,
                now,
                mac
            )));
        }
    }
    true
}

/// Brings the PF up when it is down: a VF takes its MAC from an up PF.
fn pf_up(s: &mut Session, link: &Link, label: &str, done: &mut Done) {
    if link.is_up() {
        return;
    }
    if let Some(Ok(route)) = &mut s.route {
        match route.set_up(link.ifindex) {
            Ok(()) => done.changes.push(crate::msg!(
                "PF brought up (a VF takes its MAC from an up PF)"
            )),
            Err(e) => done.errors.push(Error::fail(crate::msg!(
                "{}: cannot bring the PF up for the VF to take its MAC: {}",
                label,
                crate::error::strerror(e)
            ))),
        }
    }
}

/// Why a VF without a netdev has none, for an MTU asked of it.
fn no_netdev(vf_dir: &Dir) -> &'static str {
    let mut buf = [0u8; crate::sysfs::LINK_MAX];
    match vf_dir.link_name("driver", &mut buf).ok() {
        Some("vfio-pci") => "it is on vfio-pci: its MTU is the guest's business (set it in the VM)",
        Some(_) => "it has no netdev here to set an MTU on",
        None => "it has no driver, so no netdev to set an MTU on",
    }
}

/// Sets the MTU of the VF's netdev on the host, raising the PF's first when
/// it is lower (a VF cannot exceed its PF; the PF's is never lowered). A VF
/// on vfio-pci has its netdev in the guest: its MTU is the guest's business.
fn set_mtu(s: &mut Session, pf: &PfDev, vf_dir: &Dir, mtu: u32, label: &str, done: &mut Done) {
    let num = |dir: &Dir, path: &str| dir.read_u32(path).ok();
    let Some((name, _)) = vf_netdev(vf_dir) else {
        let why = no_netdev(vf_dir);
        done.errors
            .push(Error::fail(crate::msg!("{}: mtu {}: {}", label, mtu, why)));
        return;
    };
    if num(vf_dir, &format!("net/{name}/mtu")) == Some(mtu) {
        return;
    }
    let route = match &mut s.route {
        Some(Ok(r)) => r,
        Some(Err(e)) => {
            done.errors.push(Error::fail(crate::msg!(
                "{}: mtu {}: cannot open an rtnetlink socket: {}",
                label,
                mtu,
                crate::error::strerror(*e)
            )));
            return;
        }
        None => {
            done.errors.push(Error::fail(crate::msg!(
                "{}: mtu {}: MTUs go through the kernel's rtnetlink: not available under --root",
                label,
                mtu
            )));
            return;
        }
    };
    let refused = |what: &str, e| {
        Error::fail(crate::msg!(
            "{}: {}: {}",
            label,
            what,
            match e {
                nix::errno::Errno::EINVAL =>
                    crate::msg!("the driver refused the value (over its largest MTU?)"),
                other => crate::error::strerror(other).to_string(),
            }
        ))
    };
    if let Some(pf_if) = pf.interfaces.first() {
        let pf_mtu = num(&pf.dir, &format!("net/{pf_if}/mtu"));
        let pf_index = num(&pf.dir, &crate::msg!("net/{}/ifindex", pf_if));
        if let (Some(now), Some(index)) = (pf_mtu, pf_index) {
            if now < mtu {
                match route.set_mtu(index as i32, mtu) {
                    Ok(()) => {
                        done.changes
                            .push(crate::msg!("PF mtu raised from {} to {}", now, mtu))
                    }
                    Err(e) => {
                        done.errors
                            .push(refused(&crate::msg!("raising the PF's mtu to {}", mtu), e));
                        return;
                    }
                }
            }
        }
    }
    let Some(index) = num(vf_dir, &crate::msg!("net/{}/ifindex", name)) else {
        done.errors.push(Error::fail(crate::msg!(
            "{}: mtu {}: {} vanished",
            label,
            mtu,
            name
        )));
        return;
    };
    match route.set_mtu(index as i32, mtu) {
        Ok(()) => done.changes.push(crate::msg!("mtu {} on {}", mtu, name)),
        Err(e) => done.errors.push(refused(&format!("mtu {mtu}"), e)),
    }
}

/// The VF's netdev and its MAC.
pub fn vf_netdev(vf: &Dir) -> Option<(String, Option<Mac>)> {
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
/// One item per change (`vlan 5`, `driver vfio-pci`).
pub fn summary(changes: &[VfSet], want: &Wanted) -> Vec<String> {
    let mut parts: Vec<String> = changes.iter().map(|c| c.to_string()).collect();
    if let Some(m) = want.mtu {
        parts.push(format!("mtu {m}"));
    }
    if let Some(d) = want.driver {
        parts.push(format!("driver {}", Setting::Driver(d)));
    }
    parts
}

/// `eth0 (0000:01:00.0) VF 3: mac 06:...; vlan 100 qos 0`, or "as asked".
pub fn report(pf: &PfDev, index: u32, done: &Done) -> String {
    let what = match (done.changes.is_empty(), done.errors.is_empty()) {
        (true, true) => crate::msg!("already as asked"),
        (true, false) if done.partial => crate::msg!("left part-way (see the error)"),
        (true, false) => "nothing changed".to_string(),
        (false, _) => done.changes.join("; "),
    };
    crate::msg!("{} VF {}: {}.\n", pf.label(), index, what)
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
