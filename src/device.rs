//! The device a user named, resolved now: the PF [`resolve`] finds (or why
//! the name is not one), its VFs opened for changes ([`open_vf`]), and
//! whether a configured device is there yet ([`ready`]).

use crate::error::{Error, Result, strerror};
use crate::ifname::IfName;
use crate::pci::{DevKey, PciAddr, label, link_addr, netdev_parent, virtfn_path};
use crate::sysfs::{Dir, LINK_MAX};
use nix::errno::Errno;

/// Whether the device `key` names is there with a driver bound: what a PF
/// needs before its VFs can be created. For an interface name, its netdev
/// exists (a netdev only exists while its driver is bound).
pub fn ready(sys: &Dir, key: &DevKey) -> bool {
    match key {
        DevKey::Pci(a) => sys.exists(&crate::msg!("bus/pci/devices/{}/driver", a.name())),
        DevKey::Name(n) => {
            sys.exists(&format!("class/net/{n}"))
                || (!sys.exists("class/net") && by_net_dir(sys, n).is_some())
        }
    }
}

/// An SR-IOV capable PF opened for changes: its PCI directory and names.
#[derive(Debug)]
pub struct PfDev {
    /// Its address.
    pub addr: PciAddr,
    /// Its interfaces.
    pub interfaces: Vec<IfName>,
    /// Its PCI directory.
    pub dir: Dir,
}

impl PfDev {
    /// How messages name it.
    pub fn label(&self) -> String {
        label(self.addr, self.interfaces.first())
    }

    /// The bound driver's name, read now.
    pub fn driver(&self) -> Option<String> {
        let mut buf = [0u8; LINK_MAX];
        self.dir
            .link_name("driver", &mut buf)
            .ok()
            .map(str::to_string)
    }

    /// [`Pf::count_at_load`], read now.
    pub fn count_at_load(&self) -> bool {
        self.driver().as_deref() == Some(crate::mlx4::MODULE)
    }
}

/// The PCI function `key` names: an address as it is, an interface name
/// through its `/sys/class/net` link.
pub fn addr_of(sys: &Dir, key: &DevKey) -> Result<PciAddr> {
    let name = match key {
        DevKey::Pci(addr) => return Ok(*addr),
        DevKey::Name(name) => name,
    };
    let mut buf = [0u8; LINK_MAX];
    let target = match sys.link(&crate::msg!("class/net/{}", name), &mut buf) {
        Ok(t) => t,
        Err(Errno::ENOENT) => {
            // Not in /sys/class/net (a capture without it): the function
            // whose own net/ directory has it, as the listing finds it.
            return by_net_dir(sys, name).ok_or_else(|| {
                let mut present = Vec::new();
                if let Ok(net) = sys.open_dir("class/net") {
                    let _ = net.for_each_entry(|e| present.push(e.to_string()));
                }
                present.sort_unstable();
                let names: Vec<&str> = present.iter().map(String::as_str).collect();
                let hint = crate::text::did_you_mean(name.as_str(), &names);
                Error::fail(crate::msg!(
                    "no network interface named {}{} (vfnet list shows them)",
                    name,
                    hint
                ))
            });
        }
        Err(e) => {
            return Err(Error::fail(crate::msg!(
                "cannot read /sys/class/net/{}: {}",
                name,
                strerror(e)
            )));
        }
    };
    netdev_parent(target).ok_or_else(|| {
        Error::fail(crate::msg!(
            "{} is not a PCI network function (a virtual, USB or virtio interface): it has no VFs",
            name
        ))
    })
}

/// The PCI function with `name` in its `net/` directory, if any.
fn by_net_dir(sys: &Dir, name: &IfName) -> Option<PciAddr> {
    let bus = sys.open_dir("bus/pci/devices").ok()?;
    let mut found = None;
    let _ = bus.for_each_entry(|entry| {
        if found.is_none() && bus.exists(&crate::msg!("{}/net/{}", entry, name)) {
            found = PciAddr::parse(entry);
        }
    });
    found
}

/// Finds the SR-IOV capable PF that `key` names, or says why it is not one:
/// no such device, not a PCI device, a VF, or not SR-IOV capable. A VF is
/// answered with the `vfnet set` command for its PF.
pub fn resolve(sys: &Dir, key: &DevKey) -> Result<PfDev> {
    resolve_for(sys, key, "set")
}

/// [`resolve`] for the command `cmd` (`set`, `persist`, `vf`): a VF named
/// where a PF belongs is answered with that command for its PF.
pub fn resolve_for(sys: &Dir, key: &DevKey, cmd: &str) -> Result<PfDev> {
    let mut buf = [0u8; LINK_MAX];
    let addr = addr_of(sys, key)?;
    let dir = match sys.open_dir(&crate::msg!("bus/pci/devices/{}", addr.name())) {
        Ok(d) => d,
        Err(Errno::ENOENT) => {
            return Err(Error::fail(crate::msg!(
                "no PCI device {} (vfnet list --all shows them)",
                addr
            )));
        }
        Err(e) => {
            return Err(Error::fail(crate::msg!(
                "cannot open PCI device {}: {}",
                addr,
                strerror(e)
            )));
        }
    };
    let interfaces = dir_interfaces(&dir);
    let this = label(addr, interfaces.first());
    if !dir.exists("sriov_totalvfs") {
        if let Some(parent) = dir.link("physfn", &mut buf).ok().and_then(link_addr) {
            let parent_dir = sys
                .open_dir(&crate::msg!("bus/pci/devices/{}", parent.name()))
                .ok();
            let parent_names = parent_dir.as_ref().map(dir_interfaces).unwrap_or_default();
            let p = label(parent, parent_names.first());
            let how = parent_names
                .first()
                .map_or(parent.to_string(), |n| n.to_string());
            let fix = match cmd {
                "persist" => crate::msg!("record the VF count of its PF (vfnet persist {} N)", how),
                "vf" => crate::msg!(
                    "VF settings are made through its PF (vfnet vf {} INDEX SETTING VALUE; vfnet list shows each VF's index)",
                    how
                ),
                _ => crate::msg!("set the VF count on its PF (vfnet set {} N)", how),
            };
            return Err(Error::fail(crate::msg!(
                "{} is a virtual function of {}: {}",
                this,
                p,
                fix
            )));
        }
        return Err(Error::fail(crate::msg!(
            "{} does not support SR-IOV (it has no sriov_totalvfs)",
            this
        )));
    }
    Ok(PfDev {
        addr,
        interfaces,
        dir,
    })
}

/// Opens VF `index` of `pf` for changes, after checking its `virtfnN` link
/// leads where the kernel's would: to a PCI function (`../0000:01:10.0`, or
/// `/sys/devices/...` in a capture) that is not the PF itself and whose
/// `physfn` leads back to the PF. A malformed tree is refused: nothing is
/// ever written through a link that could lead elsewhere.
pub fn open_vf(pf: &PfDev, index: u32) -> Result<(Dir, PciAddr)> {
    let mut buf = [0u8; LINK_MAX];
    let mut path = String::new();
    let label = format!("{} VF {index}", pf.label());
    let target = match pf.dir.link(virtfn_path(&mut path, index, ""), &mut buf) {
        Ok(t) => t,
        Err(Errno::ENOENT) => {
            return Err(Error::fail(crate::msg!(
                "{}: it has no VF {}",
                pf.label(),
                index
            )));
        }
        Err(e) => {
            return Err(Error::fail(crate::msg!(
                "{}: cannot read its virtfn{} link: {}",
                label,
                index,
                strerror(e)
            )));
        }
    };
    let bad = |why: &str| {
        Error::fail(crate::msg!(
            "{}: refusing to touch it: its virtfn{} link ({}) {}; the sysfs tree is malformed",
            label,
            index,
            crate::text::quote_bytes(target),
            why
        ))
    };
    let addr = link_addr(target).ok_or_else(|| bad("does not name a PCI function"))?;
    if addr == pf.addr {
        return Err(bad("leads to the PF itself"));
    }
    let text = std::str::from_utf8(target).map_err(|_| bad("is not text"))?;
    let shape_ok = if let Some(abs) = text.strip_prefix('/') {
        abs.starts_with("sys/devices/") && !abs.split('/').any(|c| c == ".." || c == ".")
    } else {
        let mut parts = text.split('/').peekable();
        let mut ups = 0;
        while parts.peek() == Some(&"..") {
            parts.next();
            ups += 1;
        }
        ups > 0 && parts.all(|c| !c.is_empty() && c != ".." && c != ".")
    };
    if !shape_ok {
        return Err(bad("does not lead to a PCI function under /sys/devices"));
    }
    let dir = match pf.dir.open_dir(virtfn_path(&mut path, index, "")) {
        Ok(d) => d,
        Err(Errno::ENOENT | Errno::ENOTDIR) => {
            return Err(bad(
                "leads to nothing (a VF removed, or a link out of the tree)",
            ));
        }
        Err(e) => {
            return Err(Error::fail(crate::msg!(
                "{}: cannot open it: {}",
                label,
                strerror(e)
            )));
        }
    };
    let mut buf2 = [0u8; LINK_MAX];
    let back = dir.link("physfn", &mut buf2).ok().and_then(link_addr);
    if back != Some(pf.addr) {
        return Err(bad("leads to a function whose physfn is not this PF"));
    }
    Ok((dir, addr))
}

/// The netdevs in a function's `net/` directory, sorted.
fn dir_interfaces(dir: &Dir) -> Vec<IfName> {
    let mut out = Vec::new();
    if let Ok(net) = dir.open_dir("net") {
        let _ = net.for_each_entry(|e| out.extend(IfName::parse(e).ok()));
    }
    crate::ifname::sort(&mut out);
    out
}
