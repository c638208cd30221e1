//! The model every command reads, as plain data: [`Pf`], [`Vf`], the
//! [`Inventory`] of them and its lookups, and who uses a VF ([`UsedBy`]).
//! It does no I/O and imports no feature module: `crate::scan` fills it
//! from sysfs, `crate::survey` completes it (names, settings, eswitch modes,
//! users), commands and `crate::render` read it.
//!
//! Every field says which sysfs file (or which reader) it comes from, so a
//! column of `vfnet list` leads here in one jump.

use crate::devlink::Mode;
use crate::ifname::IfName;
use crate::mac::Mac;
use crate::netlink::VfInfo;
use crate::pci::{DevKey, Name, PciAddr, device_path, label};
use std::fmt;

/// A physical function: a PCI function with a netdev or with SR-IOV.
#[derive(Debug, Clone, PartialEq)]
pub struct Pf {
    /// The function's address (its directory name in `/sys/bus/pci/devices`).
    pub addr: PciAddr,
    /// Netdevs whose `/sys/class/net` link points into this function, sorted
    /// by name. Two for a ConnectX-3 whose ports share one function.
    pub interfaces: Vec<IfName>,
    /// Last component of the `subsystem` link (`pci`).
    pub subsystem: Option<Name>,
    /// `vendor` (`0x8086`).
    pub vendor: Option<u16>,
    /// `device` (`0x10c9`).
    pub device: Option<u16>,
    /// Vendor and device names from pci.ids, when a database was found.
    pub description: Option<String>,
    /// Last component of the `driver` link; `None` when no driver is bound.
    pub driver: Option<Name>,
    /// The function has a `sriov_totalvfs` attribute.
    pub sriov: bool,
    /// `sriov_totalvfs`: the most VFs the kernel allows now.
    pub total_vfs: Option<u32>,
    /// `sriov_numvfs`: the VFs that exist now.
    pub num_vfs: Option<u32>,
    /// Last component of the `iommu_group` link.
    pub iommu_group: Option<u32>,
    /// Whether its first netdev is up (`net/IF/flags` has IFF_UP); `false`
    /// when it has none or the flags cannot be read.
    pub up: bool,
    /// The count the config file asks for. Filled in by `list`, not by the
    /// scan: it is not a property of the device.
    pub configured: Option<u32>,
    /// Its eswitch mode, as devlink reports it (`crate::eswitch::attach`,
    /// live only); `None` for a driver without a devlink eswitch.
    pub eswitch: Option<Mode>,
    /// A ConnectX-3's port types as mlx4_core shows them now (`mlx4_port1`,
    /// `mlx4_port2`: `eth`, `ib`, `auto (eth)`); `None` for other PFs.
    pub port_types: Option<Vec<String>>,
    /// Its VFs, from its `virtfnN` links, sorted by N.
    pub vfs: Vec<Vf>,
}

impl Pf {
    /// A PF at `addr` with nothing known of it yet (SR-IOV off, no VFs):
    /// what readers fill in, and what tests start from.
    pub fn new(addr: PciAddr) -> Pf {
        Pf {
            addr,
            interfaces: Vec::new(),
            up: false,
            subsystem: None,
            vendor: None,
            device: None,
            description: None,
            driver: None,
            sriov: false,
            total_vfs: None,
            num_vfs: None,
            iommu_group: None,
            configured: None,
            eswitch: None,
            port_types: None,
            vfs: Vec::new(),
        }
    }

    /// Whether its driver takes the VF count only as a module parameter
    /// when it loads (mlx4_core, the ConnectX-3's): `sriov_numvfs` is
    /// never written for it.
    pub fn count_at_load(&self) -> bool {
        self.driver.as_deref() == Some(crate::mlx4::MODULE)
    }

    /// Whether it has the SR-IOV capability but its firmware offers no VFs
    /// (`sriov_totalvfs` reads 0): SR-IOV is off in the device's firmware
    /// or BIOS, and no count can be set until it is turned on.
    pub fn sriov_off_in_firmware(&self) -> bool {
        self.sriov && self.total_vfs == Some(0)
    }

    /// The first interface name, if any.
    pub fn interface(&self) -> Option<&IfName> {
        self.interfaces.first()
    }

    /// How messages name it: `enp1s0f0 (0000:01:00.0)`, or the address.
    pub fn label(&self) -> String {
        label(self.addr, self.interface())
    }

    /// `/sys/class/net/IF` when it has a netdev, else its PCI directory.
    pub fn path(&self) -> String {
        device_path(self.addr, self.interface())
    }
}

/// A virtual function, found through its PF's `virtfnN` link.
#[derive(Debug, Clone, PartialEq)]
pub struct Vf {
    /// Target of `virtfnN` (`../0000:01:10.0`).
    pub addr: PciAddr,
    /// The N of `virtfnN`; `None` when its PF no longer lists it (the kernel
    /// is tearing it down) but its `physfn` still leads there.
    pub index: Option<u32>,
    /// The netdev whose `/sys/class/net` link points into this VF; `None`
    /// when the VF is bound to vfio-pci, to another non-net driver, or to none.
    pub interface: Option<IfName>,
    /// `/sys/class/net/IF/address`.
    pub mac: Option<Mac>,
    /// Last component of `virtfnN/driver`.
    pub driver: Option<Name>,
    /// Last component of `virtfnN/iommu_group`.
    pub iommu_group: Option<u32>,
    /// Its settings as the PF's driver reports them over rtnetlink. Filled
    /// in by `list` on a live system, not by the scan.
    pub settings: Option<VfInfo>,
    /// Who uses it (`crate::usage`); `None` when free. Filled in by `list`.
    pub used_by: Option<UsedBy>,
    /// Its representor netdev on the host, when its PF is in switchdev
    /// mode (`crate::eswitch::attach`).
    pub representor: Option<IfName>,
}

impl Vf {
    /// A VF at `addr` with nothing known of it yet.
    pub fn new(addr: PciAddr) -> Vf {
        Vf {
            addr,
            index: None,
            interface: None,
            mac: None,
            driver: None,
            iommu_group: None,
            settings: None,
            used_by: None,
            representor: None,
        }
    }

    /// The sysfs path the listing shows for it.
    pub fn path(&self) -> String {
        device_path(self.addr, self.interface.as_ref())
    }
}

/// What a scan found: PFs sorted by address, each with its VFs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    /// The PFs, sorted by address.
    pub pfs: Vec<Pf>,
    /// Whether `Vf::used_by` was looked for (live, a tree with /proc, a
    /// capture that recorded it): then `None` there means free.
    pub usage_known: bool,
    /// Whether users were looked for and the search could not read
    /// everything it needed (an unprivileged user): a VF with no user
    /// found may be in use all the same, so no change calls it free.
    pub usage_incomplete: bool,
    /// Netdevs of `/sys/class/net` that are no PCI function's (so neither a
    /// PF nor a VF), with the PCI function of a virtio NIC: what a VM has.
    pub others: Vec<(IfName, Option<PciAddr>)>,
    /// Whether `Vf::settings` were asked for and could be (rtnetlink live,
    /// a capture's record under --root): then `None` there means the
    /// driver reported none.
    pub settings_known: bool,
}

impl Inventory {
    /// Keeps only the function at `addr`: a PF with its VFs, or a VF with
    /// its PF (and no other VF of it). False when neither is here.
    pub fn keep_only(&mut self, addr: PciAddr) -> bool {
        if self.pfs.iter().any(|p| p.addr == addr) {
            self.pfs.retain(|p| p.addr == addr);
            return true;
        }
        self.pfs.retain(|p| p.vfs.iter().any(|v| v.addr == addr));
        for p in &mut self.pfs {
            p.vfs.retain(|v| v.addr == addr);
        }
        !self.pfs.is_empty()
    }

    /// Every VF with its PF, in PF order.
    pub fn vfs(&self) -> impl Iterator<Item = (&Pf, &Vf)> {
        self.pfs
            .iter()
            .flat_map(|p| p.vfs.iter().map(move |v| (p, v)))
    }

    /// The index of the PF at `addr`.
    pub fn pf_by_addr(&self, addr: PciAddr) -> Option<usize> {
        self.pfs.iter().position(|p| p.addr == addr)
    }

    /// The index of the PF with interface `name`.
    pub fn pf_by_name(&self, name: &IfName) -> Option<usize> {
        self.pfs.iter().position(|p| p.interfaces.contains(name))
    }

    /// The PF a config key names: by address or by interface name.
    pub fn pf_by_key(&self, key: &DevKey) -> Option<usize> {
        match key {
            DevKey::Pci(a) => self.pf_by_addr(*a),
            DevKey::Name(n) => self.pf_by_name(n),
        }
    }

    /// Sets each VF's `used_by` from `found` (VF address, its user).
    pub fn set_used_by(&mut self, found: &[(PciAddr, UsedBy)]) {
        for pf in &mut self.pfs {
            for vf in &mut pf.vfs {
                vf.used_by = found
                    .iter()
                    .find(|(a, _)| *a == vf.addr)
                    .map(|(_, u)| u.clone());
            }
        }
    }
}

/// What kind of user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A virtual machine (QEMU, as libvirt or Proxmox runs it) holding the
    /// VF through vfio.
    Vm,
    /// The VF's netdev is in another network namespace (a container).
    Netns,
    /// The host: the netdev is in a bridge, bond or OVS, or up with an
    /// address.
    Host,
    /// A userspace driver (DPDK and the like) through vfio or uio.
    Dpdk,
}

impl Kind {
    /// Its name (`vm`, `netns`, `host`, `dpdk`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Vm => "vm",
            Kind::Netns => "netns",
            Kind::Host => "host",
            Kind::Dpdk => "dpdk",
        }
    }
}

/// Who uses a VF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedBy {
    /// What kind of user.
    pub kind: Kind,
    /// The VM's name, the program, the bridge or interface; `None` when
    /// unknown (a namespace whose owner could not be told).
    pub name: Option<String>,
    /// The process, when one was found.
    pub pid: Option<u32>,
}

/// `vm:win11 (pid 2211)`, `vm:101 (pid 900)`, `netns:pid 3310`, `netns`,
/// `host:br0`, `dpdk:testpmd (pid 900)`.
impl fmt::Display for UsedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.name())?;
        match (&self.name, self.pid) {
            (Some(n), Some(p)) => write!(f, ":{n} (pid {p})"),
            (Some(n), None) => write!(f, ":{n}"),
            (None, Some(p)) => write!(f, ":pid {p}"),
            (None, None) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pf(addr: &str, vfs: &[&str]) -> Pf {
        Pf {
            sriov: true,
            vfs: vfs
                .iter()
                .map(|a| Vf::new(PciAddr::parse(a).unwrap()))
                .collect(),
            ..Pf::new(PciAddr::parse(addr).unwrap())
        }
    }

    #[test]
    fn one_device_keeps_a_pf_with_its_vfs_or_a_vf_with_its_pf() {
        let inv = Inventory {
            pfs: vec![
                pf("0000:01:00.0", &["0000:01:10.0", "0000:01:10.2"]),
                pf("0000:01:00.1", &["0000:01:10.1"]),
            ],
            ..Inventory::default()
        };
        let mut a = inv.clone();
        assert!(a.keep_only(PciAddr::parse("0000:01:00.0").unwrap()));
        assert_eq!((a.pfs.len(), a.pfs[0].vfs.len()), (1, 2));
        let mut b = inv.clone();
        assert!(b.keep_only(PciAddr::parse("0000:01:10.2").unwrap()));
        assert_eq!(b.pfs[0].addr.to_string(), "0000:01:00.0");
        assert_eq!(
            b.pfs[0]
                .vfs
                .iter()
                .map(|v| v.addr.to_string())
                .collect::<Vec<_>>(),
            ["0000:01:10.2"]
        );
        let mut c = inv;
        assert!(!c.keep_only(PciAddr::parse("0000:09:00.0").unwrap()));
    }
}
