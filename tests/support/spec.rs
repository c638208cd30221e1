//! Machine descriptions as plain data: which PCI functions exist, where they sit
//! in the device tree, their ids, drivers, IOMMU groups, netdevs and SR-IOV
//! capability, plus the non-PCI netdevs, the pci.ids excerpt and the config
//! file. Nothing here touches the file system; `layout` and `tree` turn a
//! `Machine` into a sysfs tree and `kernel` animates it.
//!
//! Also the PCI address arithmetic the kernel uses for VFs (SYSFS.md):
//! VF n's routing ID is the PF's routing ID + `sriov_offset` + n * `sriov_stride`,
//! with bus = rid >> 8, device = (rid >> 3) & 31, function = rid & 7.

/// A MAC address.
pub type Mac = [u8; 6];

/// Everything a fake machine has: the data `Tree::build` writes out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Machine {
    /// Short name (the `mktree` argument), for messages only.
    pub name: String,
    /// Every PCI function present at boot (bridges, NICs, NVMe, ...), not the VFs:
    /// those come from each PF's `Sriov::num` and `Sriov::bindings`.
    pub pci: Vec<PciFn>,
    /// Netdevs under `devices/virtual/net` (lo, bridges, veths).
    pub virtual_netdevs: Vec<NetDev>,
    /// Text of `usr/share/misc/pci.ids` (None: no file).
    pub pci_ids: Option<String>,
    /// Text of `etc/vfnet/vfnet.conf` (None: no file, no `etc/vfnet` dir).
    pub config: Option<String>,
}

/// One PCI function that exists at boot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PciFn {
    /// `0000:01:00.0`.
    pub addr: String,
    /// Its parent directory under `sys/devices`, e.g. `pci0000:00/0000:00:01.0`
    /// (the host bridge container, then each bridge on the way). VFs share it.
    pub parent: String,
    pub vendor: u16,
    pub device: u16,
    pub subsys: (u16, u16),
    /// 24-bit class code, e.g. `0x020000` (Ethernet).
    pub class: u32,
    pub revision: u8,
    /// Bound driver name; None leaves no `driver` link, no netdevs.
    pub driver: Option<String>,
    /// None: no `iommu_group` link (no IOMMU).
    pub iommu_group: Option<u32>,
    pub numa_node: i32,
    pub irq: u32,
    /// Netdevs of this function (0, 1, or 2 for a ConnectX-3).
    pub netdevs: Vec<NetDev>,
    /// A child device between the PCI function and its netdevs (virtio0).
    pub child: Option<ChildDev>,
    /// SR-IOV capability; None: no `sriov_*` files.
    pub sriov: Option<Sriov>,
}

/// A non-PCI device that sits under a PCI function and owns its netdevs, such
/// as `virtio0` (bus `virtio`, driver `virtio_net`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildDev {
    pub name: String,
    pub bus: String,
    pub driver: String,
    /// Extra attribute files (name, content without the newline).
    pub attrs: Vec<(String, String)>,
}

/// A PF's SR-IOV capability and the VFs it has at boot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sriov {
    /// `sriov_totalvfs` while the PF driver is bound (drivers may cap it).
    pub total: u32,
    /// `sriov_totalvfs` with no driver bound: the hardware TotalVFs.
    pub hw_total: u32,
    /// VFs enabled when the tree is built (`sriov_numvfs`).
    pub num: u32,
    pub offset: u32,
    pub stride: u32,
    /// `sriov_vf_device` (VF device id).
    pub vf_device: u16,
    /// Driver that binds new VFs when autoprobe is on; None: VFs stay unbound.
    pub vf_driver: Option<String>,
    /// `sriov_drivers_autoprobe`.
    pub autoprobe: bool,
    /// Whether the PF driver has `sriov_configure`; mlx4_core has not, so its
    /// VFs come from a module parameter and writes to `sriov_numvfs` give ENOENT.
    pub configurable: bool,
    /// How VF netdevs are named.
    pub naming: VfNaming,
    /// VFs present at build time that are not bound to `vf_driver`.
    pub bindings: Vec<(u32, VfBinding)>,
}

/// How a VF netdev gets its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VfNaming {
    /// The kernel's own: lowest free `ethN` (no udev).
    Kernel,
    /// A udev-style pattern: `{pf}` is the PF's first netdev name, `{n}` the VF index
    /// (systemd's `enp1s0f0v0`).
    Pattern(String),
}

/// What a VF present at build time is bound to, when not its default driver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VfBinding {
    /// Bound to vfio-pci (driver_override set): no netdev.
    VfioPci,
    /// No driver: no `driver` link, no `net/`.
    Unbound,
}

/// A network interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetDev {
    pub name: String,
    pub mac: Mac,
    pub kind: NetKind,
    /// Link up: `carrier` 1 and `speed` readable; down: both fail (EINVAL).
    pub up: bool,
    /// `speed` in Mb/s when up (-1: unknown, as virtio reports).
    pub speed: i32,
    pub dev_port: u32,
    /// Bridge this netdev is a port of (`master` link, `brif/` entry).
    pub master: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetKind {
    Ether,
    Loopback,
    Bridge,
    Veth { peer: String },
}

impl Machine {
    pub fn new(name: &str, pci: Vec<PciFn>, virtual_netdevs: Vec<NetDev>) -> Machine {
        let mut m = Machine {
            name: name.into(),
            pci,
            virtual_netdevs,
            pci_ids: None,
            config: None,
        };
        m.pci_ids = Some(super::pciids::excerpt(&m));
        m
    }

    pub fn with_config(mut self, text: &str) -> Machine {
        self.config = Some(text.into());
        self
    }

    /// The PCI function at `addr`; panics if there is none.
    pub fn pci_fn(&self, addr: &str) -> &PciFn {
        self.pci
            .iter()
            .find(|f| f.addr == addr)
            .unwrap_or_else(|| panic!("machine {} has no PCI function {addr}", self.name))
    }

    pub fn pci_fn_mut(&mut self, addr: &str) -> &mut PciFn {
        let name = self.name.clone();
        self.pci
            .iter_mut()
            .find(|f| f.addr == addr)
            .unwrap_or_else(|| panic!("machine {name} has no PCI function {addr}"))
    }

    /// The SR-IOV capable functions (PFs), in order.
    pub fn pfs(&self) -> impl Iterator<Item = &PciFn> {
        self.pci.iter().filter(|f| f.sriov.is_some())
    }

    /// VFs get IOMMU groups from here up (lowest free): one past every group a
    /// boot-time device uses, as on a real host where those are numbered first.
    pub fn vf_group_base(&self) -> u32 {
        self.pci
            .iter()
            .filter_map(|f| f.iommu_group)
            .max()
            .map_or(0, |g| g + 1)
    }

    /// Every (vendor, device, subsystem) the machine shows, VFs included.
    pub fn ids(&self) -> Vec<(u16, u16, (u16, u16))> {
        let mut ids = Vec::new();
        for f in &self.pci {
            ids.push((f.vendor, f.device, f.subsys));
            if let Some(s) = &f.sriov {
                ids.push((f.vendor, s.vf_device, f.subsys));
            }
        }
        ids
    }
}

impl PciFn {
    /// A function with ids and class; no driver, group, netdev or SR-IOV yet.
    pub fn new(addr: &str, parent: &str, (vendor, device): (u16, u16), class: u32) -> PciFn {
        PciFn {
            addr: addr.into(),
            parent: parent.into(),
            vendor,
            device,
            subsys: (vendor, 0),
            class,
            revision: 0,
            driver: None,
            iommu_group: None,
            numa_node: -1,
            irq: 0,
            netdevs: Vec::new(),
            child: None,
            sriov: None,
        }
    }

    pub fn subsys(mut self, vendor: u16, device: u16) -> PciFn {
        self.subsys = (vendor, device);
        self
    }

    pub fn rev(mut self, revision: u8) -> PciFn {
        self.revision = revision;
        self
    }

    pub fn driver(mut self, name: &str) -> PciFn {
        self.driver = Some(name.into());
        self
    }

    pub fn group(mut self, group: u32) -> PciFn {
        self.iommu_group = Some(group);
        self
    }

    pub fn irq(mut self, irq: u32) -> PciFn {
        self.irq = irq;
        self
    }

    pub fn numa(mut self, node: i32) -> PciFn {
        self.numa_node = node;
        self
    }

    pub fn netdev(mut self, dev: NetDev) -> PciFn {
        self.netdevs.push(dev);
        self
    }

    pub fn child(mut self, child: ChildDev) -> PciFn {
        self.child = Some(child);
        self
    }

    pub fn sriov(mut self, sriov: Sriov) -> PciFn {
        self.sriov = Some(sriov);
        self
    }

    /// The SR-IOV capability; panics on a function without one.
    pub fn sriov_mut(&mut self) -> &mut Sriov {
        let addr = self.addr.clone();
        self.sriov
            .as_mut()
            .unwrap_or_else(|| panic!("{addr} is not SR-IOV capable"))
    }

    /// Directory of this function, relative to `sys/`.
    pub fn dir(&self) -> String {
        format!("devices/{}/{}", self.parent, self.addr)
    }

    /// Directory holding the netdevs' `net/` (the child device's, if any).
    pub fn net_parent(&self) -> String {
        match &self.child {
            Some(c) => format!("{}/{}", self.dir(), c.name),
            None => self.dir(),
        }
    }

    /// Whether it is a network controller (class 0x02): its bound VFs get netdevs.
    pub fn is_network(&self) -> bool {
        self.class >> 16 == 0x02
    }

    /// Address of VF `n` (see the module doc).
    pub fn vf_addr(&self, n: u32) -> String {
        let s = self
            .sriov
            .as_ref()
            .expect("vf_addr on a function without SR-IOV");
        vf_addr(&self.addr, s.offset, s.stride, n)
    }

    /// The name VF `n`'s netdev gets under a pattern rule (None: the kernel's ethN).
    pub fn vf_netdev_name(&self, n: u32) -> Option<String> {
        let s = self.sriov.as_ref()?;
        match &s.naming {
            VfNaming::Kernel => None,
            VfNaming::Pattern(p) => {
                let pf = self.netdevs.first().map_or("", |d| d.name.as_str());
                Some(p.replace("{pf}", pf).replace("{n}", &n.to_string()))
            }
        }
    }
}

impl Sriov {
    /// A capability with `total` VFs (also the hardware value), none enabled,
    /// autoprobe on, configurable through sysfs, predictable `{pf}v{n}` names.
    pub fn new(total: u32, offset: u32, stride: u32, vf_device: u16, vf_driver: &str) -> Sriov {
        Sriov {
            total,
            hw_total: total,
            num: 0,
            offset,
            stride,
            vf_device,
            vf_driver: Some(vf_driver.into()),
            autoprobe: true,
            configurable: true,
            naming: VfNaming::Pattern("{pf}v{n}".into()),
            bindings: Vec::new(),
        }
    }

    /// How VF `n` present at build time is bound (None: its default driver).
    pub fn binding(&self, n: u32) -> Option<&VfBinding> {
        self.bindings.iter().find(|(i, _)| *i == n).map(|(_, b)| b)
    }
}

impl NetDev {
    /// An Ethernet netdev, link down.
    pub fn ether(name: &str, mac: Mac) -> NetDev {
        NetDev {
            name: name.into(),
            mac,
            kind: NetKind::Ether,
            up: false,
            speed: -1,
            dev_port: 0,
            master: None,
        }
    }

    pub fn lo() -> NetDev {
        NetDev {
            kind: NetKind::Loopback,
            up: true,
            ..NetDev::ether("lo", [0; 6])
        }
    }

    pub fn bridge(name: &str, mac: Mac) -> NetDev {
        NetDev {
            kind: NetKind::Bridge,
            ..NetDev::ether(name, mac)
        }
    }

    pub fn veth(name: &str, peer: &str, mac: Mac) -> NetDev {
        NetDev {
            kind: NetKind::Veth { peer: peer.into() },
            up: true,
            speed: 10000,
            ..NetDev::ether(name, mac)
        }
    }

    /// Link up at `speed` Mb/s.
    pub fn up(mut self, speed: i32) -> NetDev {
        self.up = true;
        self.speed = speed;
        self
    }

    pub fn port(mut self, dev_port: u32) -> NetDev {
        self.dev_port = dev_port;
        self
    }

    pub fn master(mut self, bridge: &str) -> NetDev {
        self.master = Some(bridge.into());
        self
    }
}

/// `0000:BB:DD.F`.
pub fn bdf(bus: u8, dev: u8, func: u8) -> String {
    format!("0000:{bus:02x}:{dev:02x}.{func:x}")
}

/// Routing ID (bus << 8 | devfn) and domain of an address like `0000:01:00.0`.
pub fn rid(addr: &str) -> (u16, u32) {
    let parse = || {
        let (domain, rest) = addr.split_once(':')?;
        let (bus, rest) = rest.split_once(':')?;
        let (dev, func) = rest.split_once('.')?;
        let hex = |s: &str| u32::from_str_radix(s, 16).ok();
        let domain = u16::from_str_radix(domain, 16).ok()?;
        Some((domain, hex(bus)? << 8 | hex(dev)? << 3 | hex(func)?))
    };
    parse().unwrap_or_else(|| panic!("bad PCI address {addr:?}"))
}

/// Address of VF `n` of the PF at `pf`.
pub fn vf_addr(pf: &str, offset: u32, stride: u32, n: u32) -> String {
    let (domain, pf_rid) = rid(pf);
    let r = pf_rid + offset + n * stride;
    assert!(r <= 0xffff, "VF {n} of {pf} is past bus ff");
    format!(
        "{domain:04x}:{:02x}:{:02x}.{:x}",
        r >> 8,
        (r >> 3) & 31,
        r & 7
    )
}

/// `52:54:00:12:34:56`.
pub fn mac_str(mac: &Mac) -> String {
    let h: Vec<String> = mac.iter().map(|b| format!("{b:02x}")).collect();
    h.join(":")
}

/// `mac` plus `n` in its last three bytes (consecutive port addresses).
pub fn mac_add(mac: Mac, n: u32) -> Mac {
    let low = (u32::from(mac[3]) << 16 | u32::from(mac[4]) << 8 | u32::from(mac[5])) + n;
    [
        mac[0],
        mac[1],
        mac[2],
        (low >> 16) as u8,
        (low >> 8) as u8,
        low as u8,
    ]
}

/// The "random" MAC a VF driver gives itself when the PF set none: locally
/// administered unicast, derived from the VF's address so trees are reproducible.
pub fn vf_mac(vf_addr: &str) -> Mac {
    // FNV-1a over the address, then splitmix64's finalizer to spread it.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in vf_addr.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    let b = h.to_be_bytes();
    [(b[0] & 0xfc) | 0x02, b[1], b[2], b[3], b[4], b[5]]
}
