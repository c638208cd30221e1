//! The one place an [`Inventory`] is completed. The scan (`crate::scan`)
//! gives what sysfs says; a survey adds, as asked:
//!
//! | what | live system | under `--root` |
//! | --- | --- | --- |
//! | names (`Pf::description`) | pci.ids | pci.ids in the tree |
//! | representors (`Vf::representor`) | sysfs | sysfs of the tree |
//! | configured counts (`Pf::configured`) | the config file | the config file |
//! | VF settings (`Vf::settings`) | rtnetlink | a capture's `vfinfo/` |
//! | eswitch modes (`Pf::eswitch`) | devlink | a capture's `eswitch` |
//! | a ConnectX-3's port types (`Pf::port_types`) | sysfs | sysfs of the tree |
//! | users (`Vf::used_by`) | /proc and sysfs | a capture's `used-by`, else the tree's /proc |
//!
//! "Live or captured?" is decided here and nowhere else. Every command
//! (list, set, vf, apply, doctor, persist, capture, the guard) gets its
//! inventory from [`survey`].

use crate::error::Result;
use crate::inventory::Inventory;
use crate::netlink::Socket;
use crate::pci::PciAddr;
use crate::system::System;

/// What a survey adds to the scan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Want {
    /// SR-IOV capable functions without a netdev too (`list --all`).
    pub all: bool,
    /// Only this PF (and its VFs).
    pub only: Option<PciAddr>,
    /// Vendor and device names from pci.ids.
    pub names: bool,
    /// The counts the config file asks for (its problems are warnings).
    pub configured: bool,
    /// Each VF's settings (and, with `stats`, its counters).
    pub settings: bool,
    /// With `settings`: the traffic counters too.
    pub stats: bool,
    /// Each PF's eswitch mode.
    pub eswitch: bool,
    /// Who uses each VF.
    pub users: bool,
}

impl Want {
    /// The scan alone, every SR-IOV function included, with representors
    /// on their VFs.
    pub fn scan() -> Want {
        Want {
            all: true,
            ..Want::default()
        }
    }

    /// Everything `list` shows.
    pub fn list(all: bool, stats: bool) -> Want {
        Want {
            all,
            only: None,
            names: true,
            configured: true,
            settings: true,
            stats,
            eswitch: true,
            users: true,
        }
    }

    /// One PF and who uses its VFs: what the guard needs.
    pub fn users_of(pf: PciAddr) -> Want {
        Want {
            only: Some(pf),
            users: true,
            ..Want::scan()
        }
    }
}

/// Scans `s` and completes the inventory as `want` asks. Only a `/sys`
/// that cannot be opened fails it; every other reader leaves its fields
/// unknown when it cannot tell.
pub fn survey(s: &System, want: &Want) -> Result<Inventory> {
    let sys = s.sys()?;
    let mut inv = crate::scan::scan(sys, want.all);
    if let Some(pf) = want.only {
        inv.pfs.retain(|p| p.addr == pf);
    }
    if want.names {
        crate::pciids::fill(&s.root, &mut inv.pfs);
    }
    crate::eswitch::representors(sys, &mut inv);
    port_types(sys, &mut inv);
    if want.configured {
        configured(s, &mut inv);
    }
    if want.settings {
        inv.settings_known = match s.route() {
            Some(route) => {
                settings(route, &mut inv, want.stats);
                true
            }
            None => crate::replay::captured_settings(&s.root, &mut inv),
        };
    }
    if want.eswitch {
        if s.live() {
            crate::eswitch::modes(&mut inv);
        } else {
            crate::replay::captured_eswitch(&s.root, &mut inv);
        }
    }
    if want.users {
        users(s, &mut inv)?;
    }
    Ok(inv)
}

/// Each ConnectX-3's port types (`mlx4_portN`, ports 1 and 2; a file that
/// cannot be read is `?`). Other PFs have none.
fn port_types(sys: &crate::sysfs::Dir, inv: &mut Inventory) {
    for pf in inv.pfs.iter_mut().filter(|p| p.count_at_load()) {
        let mut buf: crate::sysfs::AttrBuf = [0; crate::sysfs::ATTR_MAX];
        let mut types = Vec::new();
        for n in 1..=2 {
            let path = crate::msg!("bus/pci/devices/{}/mlx4_port{}", pf.addr, n);
            match sys.read(&path, &mut buf) {
                Ok(v) => types.push(crate::text::quote_bytes(crate::sysfs::trim(v))),
                Err(nix::errno::Errno::ENOENT) => {}
                Err(_) => types.push("?".to_string()),
            }
        }
        pf.port_types = (!types.is_empty()).then_some(types);
    }
}

/// Each PF's configured count. The config only adds a column: a broken one
/// is worth a warning, not a missing listing.
fn configured(s: &System, inv: &mut Inventory) {
    match crate::conffile::load(&s.root, &s.config) {
        Ok(cfg) => {
            for e in cfg.errors() {
                crate::out::warn(&e);
            }
            for pf in &mut inv.pfs {
                pf.configured = cfg.find(pf.addr, &pf.interfaces).map(|e| e.count);
            }
        }
        Err(e) => crate::out::warn(&e),
    }
}

/// Reads each PF's VF settings over rtnetlink: one request per PF with VFs
/// and a netdev. A PF whose driver does not answer keeps `None`s.
fn settings(
    route: std::result::Result<Socket, nix::errno::Errno>,
    inv: &mut Inventory,
    stats: bool,
) {
    if inv.vfs().next().is_none() {
        return;
    }
    let Ok(mut route) = route else { return };
    for pf in inv.pfs.iter_mut().filter(|p| !p.vfs.is_empty()) {
        let Some(iface) = pf.interface() else {
            continue;
        };
        let Ok(link) = route.link_with(iface.as_str(), stats) else {
            continue;
        };
        for vf in &mut pf.vfs {
            vf.settings = link.vfs.iter().find(|s| Some(s.vf) == vf.index).cloned();
        }
    }
}

/// Who uses each VF: looked for live and in a tree with a /proc; a capture
/// replayed under --root says what it recorded.
fn users(s: &System, inv: &mut Inventory) -> Result<()> {
    if crate::replay::captured_usage(&s.root, inv) {
        return Ok(());
    }
    if !s.live() && !s.root.join("/proc").is_dir() {
        return Ok(());
    }
    let (found, complete) = crate::usage::find(&s.root, s.sys()?, inv);
    inv.set_used_by(&found);
    // Not complete (an unprivileged user): the users found are in JSON,
    // but no VF is called free (no Used by column).
    inv.usage_known = complete;
    inv.usage_incomplete = !complete;
    Ok(())
}
