//! PCI functions: addresses, the inventory of PFs and VFs, and the scan that
//! builds it from sysfs.
//!
//! Every field of [`Pf`] and [`Vf`] says which sysfs file it comes from, so a
//! column of `vfnet list` leads here in one jump. The scan:
//!
//! 1. reads each link in `/sys/class/net` once: its target
//!    (`../../devices/pci0000:00/0000:00:01.0/0000:01:00.0/net/eth0`) names the
//!    PCI function that owns the netdev, for PFs and VFs alike. Netdevs whose
//!    parent is not a PCI function (`lo`, bridges, veth, virtio) are skipped;
//! 2. visits those functions in address order (plus, with `--all`, every
//!    function in `/sys/bus/pci/devices` with `sriov_totalvfs`), reading the
//!    PF attributes. A VF's address is always above its PF's (VF routing IDs
//!    are the PF's plus an offset), so VFs found through an earlier PF are
//!    skipped without a syscall;
//! 3. finds each PF's VFs through its `virtfnN` links, sorted by N, whether
//!    or not they have a netdev.
//!
//! Anything unreadable becomes `None` ("unknown"), never a failed listing; a
//! VF or netdev that vanishes mid-scan is left out.

use crate::error::{Error, Result, strerror};
use crate::ifname::{IfName, natural_cmp};
use crate::mac::Mac;
use crate::sysfs::{AttrBuf, Dir, LINK_MAX, Root, display_path};
use nix::errno::Errno;
use std::fmt;

/// A PCI function address, `domain:bus:device.function`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PciAddr {
    /// PCI domain (segment).
    pub domain: u32,
    /// Bus number.
    pub bus: u8,
    /// Device number (0-31).
    pub dev: u8,
    /// Function number (0-7).
    pub func: u8,
}

/// The text of a PCI address, as a path component.
pub type PciName = heapless::String<20>;

impl PciAddr {
    /// Parses `0000:01:00.0`, or `01:00.0` (domain 0) as lspci prints it.
    pub fn parse(s: &str) -> Option<PciAddr> {
        Self::parse_why(s).ok()
    }

    /// [`PciAddr::parse`], with what is wrong when it is not an address:
    /// a device over 1f or a function over 7 is named as such.
    pub fn parse_why(s: &str) -> std::result::Result<PciAddr, String> {
        let generic = || {
            format!(
                "'{}' is not a PCI address (expected DDDD:BB:DD.F, e.g. 0000:01:00.0)",
                crate::text::quote(s)
            )
        };
        let a = Self::parse_loose(s).ok_or_else(generic)?;
        if a.3 > 7 {
            return Err(format!(
                "'{}': PCI function {:x} does not exist (functions are 0 to 7)",
                crate::text::quote(s),
                a.3
            ));
        }
        if a.2 > 0x1f {
            return Err(format!(
                "'{}': PCI device {:02x} does not exist (devices are 00 to 1f)",
                crate::text::quote(s),
                a.2
            ));
        }
        Ok(PciAddr {
            domain: a.0,
            bus: a.1 as u8,
            dev: a.2 as u8,
            func: a.3 as u8,
        })
    }

    /// The four numbers of an address, each within its digits' width.
    fn parse_loose(s: &str) -> Option<(u32, u32, u32, u32)> {
        let (rest, func) = s.rsplit_once('.')?;
        let mut parts = rest.rsplitn(3, ':');
        let dev = parts.next()?;
        let bus = parts.next()?;
        let domain = parts.next().unwrap_or("0000");
        let hex = |s: &str, max_len: usize| -> Option<u32> {
            if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            u32::from_str_radix(s, 16).ok()
        };
        Some((hex(domain, 8)?, hex(bus, 2)?, hex(dev, 2)?, hex(func, 1)?))
    }

    /// The address as sysfs names the function's directory.
    pub fn name(&self) -> PciName {
        let mut s = PciName::new();
        // 8 + 1 + 2 + 1 + 2 + 1 + 1 = 16 bytes at most: always fits.
        let _ = fmt::write(&mut s, format_args!("{self}"));
        s
    }
}

impl fmt::Display for PciAddr {
    /// `0000:01:00.0`. By hand rather than with `{:04x}`: listing prints
    /// thousands of addresses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [0u8; 16];
        let mut n = 0;
        let digits = 8 - (self.domain.leading_zeros() as usize / 4).min(4);
        for i in (0..digits).rev() {
            buf[n] = HEX[(self.domain >> (i * 4)) as usize & 15];
            n += 1;
        }
        for (sep, v) in [(b':', self.bus), (b':', self.dev)] {
            buf[n..n + 3].copy_from_slice(&[sep, HEX[v as usize >> 4], HEX[v as usize & 15]]);
            n += 3;
        }
        buf[n..n + 2].copy_from_slice(&[b'.', HEX[self.func as usize & 7]]);
        // ASCII by construction.
        f.write_str(std::str::from_utf8(&buf[..n + 2]).unwrap_or("?"))
    }
}

/// A kernel name read from a link: a driver, a bus.
pub type Name = heapless::String<48>;

fn name(s: &str) -> Option<Name> {
    Name::try_from(s).ok()
}

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
    /// The count the config file asks for. Filled in by `list`, not by the
    /// scan: it is not a property of the device.
    pub configured: Option<u32>,
    /// Its eswitch mode, as devlink reports it (`crate::eswitch::attach`,
    /// live only); `None` for a driver without a devlink eswitch.
    pub eswitch: Option<crate::devlink::Mode>,
    /// Its VFs, from its `virtfnN` links, sorted by N.
    pub vfs: Vec<Vf>,
}

impl Pf {
    /// Whether its driver takes the VF count only as a module parameter
    /// when it loads (mlx4_core, the ConnectX-3's): `sriov_numvfs` is
    /// never written for it.
    pub fn count_at_load(&self) -> bool {
        self.driver.as_deref() == Some(crate::mlx4::MODULE)
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
    pub settings: Option<crate::netlink::VfInfo>,
    /// Who uses it (`crate::usage`); `None` when free. Filled in by `list`.
    pub used_by: Option<crate::usage::UsedBy>,
    /// Its representor netdev on the host, when its PF is in switchdev
    /// mode (`crate::eswitch::attach`).
    pub representor: Option<IfName>,
}

impl Vf {
    /// The sysfs path the listing shows for it.
    pub fn path(&self) -> String {
        device_path(self.addr, self.interface.as_ref())
    }
}

fn label(addr: PciAddr, iface: Option<&IfName>) -> String {
    match iface {
        Some(i) => format!("{i} ({addr})"),
        None => addr.to_string(),
    }
}

fn device_path(addr: PciAddr, iface: Option<&IfName>) -> String {
    match iface {
        Some(i) => display_path(&["sys/class/net", i.as_str()]),
        None => display_path(&["sys/bus/pci/devices", &addr.name()]),
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
}

impl Inventory {
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
    pub fn set_used_by(&mut self, found: &[(PciAddr, crate::usage::UsedBy)]) {
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

/// Opens `ROOT/sys`, the one failure that stops a listing.
pub fn open_sys(root: &Root) -> Result<Dir> {
    root.sys()
        .map_err(|e| Error::io("open", &root.join("/sys"), e))
}

/// Builds the inventory. `all` adds SR-IOV capable functions without a
/// netdev (a GPU, an NVMe drive, a NIC whose PF driver is unbound).
///
/// Each PCI function appears once, as a PF or as a VF, whatever order the
/// kernel's links appear or vanish in: a function some PF lists as its
/// `virtfnN` is a VF; a function whose `physfn` leads to a PF is a VF of
/// that PF even when the PF no longer lists it (the kernel removes
/// `virtfnN` first when it tears VFs down: its VF # is unknown then); a
/// function with a `physfn` that cannot be followed is left out.
pub fn scan(sys: &Dir, all: bool) -> Inventory {
    let net = sys.open_dir("class/net").ok();
    let netdevs = net.as_ref().map(netdevs).unwrap_or_default();
    let Ok(bus) = sys.open_dir("bus/pci/devices") else {
        return Inventory::default();
    };

    let mut todo: Vec<PciAddr> = netdevs.iter().map(|n| n.0).collect();
    // Without /sys/class/net (sysfs captures often lack it), the functions
    // with a net/ directory of their own are the network functions.
    let by_dir = net.is_none();
    if all || by_dir {
        let _ = bus.for_each_entry(|entry| {
            if let Some(addr) = PciAddr::parse(entry) {
                let sriov = all && bus.exists(&format!("{entry}/sriov_totalvfs"));
                if sriov || (by_dir && bus.exists(&format!("{entry}/net"))) {
                    todo.push(addr);
                }
            }
        });
    }
    todo.sort_unstable();
    todo.dedup();

    let ctx = Ctx {
        bus: &bus,
        netdevs: &netdevs,
    };
    let mut pfs: Vec<Pf> = Vec::new();
    // Every function listed so far, as a PF or as a VF, sorted.
    let mut listed: Vec<PciAddr> = Vec::new();
    let mark = |listed: &mut Vec<PciAddr>, a: PciAddr| {
        if let Err(i) = listed.binary_search(&a) {
            listed.insert(i, a);
        }
    };
    let add_pf = |pfs: &mut Vec<Pf>, listed: &mut Vec<PciAddr>, dir: Dir, mut pf: Box<Pf>| {
        pf.vfs = read_vfs(&dir, &ctx);
        for vf in &pf.vfs {
            mark(listed, vf.addr);
        }
        mark(listed, pf.addr);
        let at = pfs.partition_point(|p| p.addr < pf.addr);
        pfs.insert(at, *pf);
    };
    for &addr in &todo {
        if listed.binary_search(&addr).is_ok() {
            continue;
        }
        match visit(&ctx, addr) {
            Some((dir, Function::Pf(pf))) => add_pf(&mut pfs, &mut listed, dir, pf),
            // A VF: its PF owns it. The PF is listed (once) with its VFs;
            // a VF its PF no longer lists goes under it, VF # unknown.
            Some((_, Function::Vf(Some(parent)))) => {
                if listed.binary_search(&parent).is_err() {
                    match visit(&ctx, parent) {
                        Some((dir, Function::Pf(pf))) => add_pf(&mut pfs, &mut listed, dir, pf),
                        _ => continue,
                    }
                }
                if listed.binary_search(&addr).is_ok() {
                    continue;
                }
                let Some(i) = pfs.iter().position(|p| p.addr == parent) else {
                    continue; // its "PF" is itself a VF: a malformed tree
                };
                if let Some(vf) = read_orphan(&ctx, addr) {
                    pfs[i].vfs.push(vf);
                    mark(&mut listed, addr);
                }
            }
            // Its physfn cannot be followed, or it vanished: left out.
            _ => {}
        }
    }
    // A function that some PF lists as its VF is a VF, whatever else it
    // looked like on its own (a capture without its physfn link).
    let vf_addrs: Vec<PciAddr> = {
        let mut v: Vec<PciAddr> = pfs
            .iter()
            .flat_map(|p| p.vfs.iter().map(|v| v.addr))
            .collect();
        v.sort_unstable();
        v
    };
    pfs.retain(|p| vf_addrs.binary_search(&p.addr).is_err());
    Inventory {
        pfs,
        usage_known: false,
    }
}

/// What the scan reads through.
struct Ctx<'a> {
    /// `/sys/bus/pci/devices`.
    bus: &'a Dir,
    /// The netdevs of `/sys/class/net`, by function.
    netdevs: &'a [(PciAddr, IfName)],
}

/// Opens and reads the function at `addr`, if it is still there.
fn visit(ctx: &Ctx, addr: PciAddr) -> Option<(Dir, Function)> {
    let dir = ctx.bus.open_dir(&addr.name()).ok()?;
    let f = read_function(&dir, addr, ctx.netdevs);
    Some((dir, f))
}

/// Netdevs owned by PCI functions: `(function, name)`, sorted.
fn netdevs(net: &Dir) -> Vec<(PciAddr, IfName)> {
    let mut out = Vec::new();
    let mut buf = [0u8; LINK_MAX];
    let _ = net.for_each_entry(|entry| {
        let Ok(name) = IfName::parse(entry) else {
            return;
        };
        if let Ok(target) = net.link(entry, &mut buf) {
            if let Some(addr) = netdev_parent(target) {
                out.push((addr, name));
            }
        }
    });
    out.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| natural_cmp(a.1.as_str(), b.1.as_str()))
    });
    out
}

/// The PCI function owning a netdev, from its class/net link target:
/// `…/0000:01:00.0/net/eth0` → `0000:01:00.0`; `…/virtual/net/lo` → `None`.
pub fn netdev_parent(target: &[u8]) -> Option<PciAddr> {
    let mut parts = target.rsplit(|&b| b == b'/');
    let _name = parts.next()?;
    if parts.next()? != b"net" {
        return None;
    }
    PciAddr::parse(std::str::from_utf8(parts.next()?).ok()?)
}

fn interfaces_of(netdevs: &[(PciAddr, IfName)], addr: PciAddr) -> impl Iterator<Item = &IfName> {
    let start = netdevs.partition_point(|n| n.0 < addr);
    netdevs[start..]
        .iter()
        .take_while(move |n| n.0 == addr)
        .map(|n| &n.1)
}

/// The netdevs of the function at `dir`: from /sys/class/net, else (a
/// capture without it, a netdev missing there) its own `net/` directory.
fn interfaces(dir: &Dir, at: &str, addr: PciAddr, netdevs: &[(PciAddr, IfName)]) -> Vec<IfName> {
    let known: Vec<IfName> = interfaces_of(netdevs, addr).cloned().collect();
    if !known.is_empty() {
        return known;
    }
    let mut out = Vec::new();
    let path = if at.is_empty() {
        "net".to_string()
    } else {
        format!("{at}/net")
    };
    if let Ok(net) = dir.open_dir(&path) {
        let _ = net.for_each_entry(|e| out.extend(IfName::parse(e).ok()));
    }
    out.sort_unstable_by(|a, b| natural_cmp(a.as_str(), b.as_str()));
    out
}

enum Function {
    Pf(Box<Pf>),
    /// A VF, with its PF's address when the `physfn` link could be read.
    Vf(Option<PciAddr>),
}

fn read_function(dir: &Dir, addr: PciAddr, netdevs: &[(PciAddr, IfName)]) -> Function {
    let mut buf = [0u8; LINK_MAX];
    let (sriov, total_vfs) = match dir.read_u32("sriov_totalvfs") {
        Ok(n) => (true, Some(n)),
        Err(Errno::ENOENT) => {
            // A VF (never a PF), whether or not its physfn can be followed.
            if dir.exists("physfn") {
                return Function::Vf(dir.link("physfn", &mut buf).ok().and_then(link_addr));
            }
            // sriov_numvfs without sriov_totalvfs: SR-IOV, total unknown.
            (dir.exists("sriov_numvfs"), None)
        }
        Err(_) => (true, None),
    };
    let num_vfs = if sriov {
        dir.read_u32("sriov_numvfs").ok()
    } else {
        None
    };
    Function::Pf(Box::new(Pf {
        addr,
        interfaces: interfaces(dir, "", addr, netdevs),
        subsystem: dir.link_name("subsystem", &mut buf).ok().and_then(name),
        vendor: dir.read_hex_u16("vendor").ok(),
        device: dir.read_hex_u16("device").ok(),
        description: None,
        driver: dir.link_name("driver", &mut buf).ok().and_then(name),
        sriov,
        total_vfs,
        num_vfs,
        iommu_group: iommu_group(dir, "iommu_group", &mut buf),
        configured: None,
        eswitch: None,
        vfs: Vec::new(),
    }))
}

fn iommu_group(dir: &Dir, link: &str, buf: &mut [u8]) -> Option<u32> {
    dir.link_name(link, buf).ok()?.parse().ok()
}

/// The PCI address a `virtfnN` or `physfn` link points to (`../0000:01:10.0`).
pub fn link_addr(target: &[u8]) -> Option<PciAddr> {
    let last = target.rsplit(|&b| b == b'/').next()?;
    PciAddr::parse(std::str::from_utf8(last).ok()?)
}

/// N of a `virtfnN` entry.
pub fn virtfn_index(entry: &str) -> Option<u32> {
    let n = entry.strip_prefix("virtfn")?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// `virtfnN` followed by `attr`, in a reused buffer.
pub fn virtfn_path<'b>(buf: &'b mut String, index: u32, attr: &str) -> &'b str {
    buf.clear();
    let _ = fmt::write(buf, format_args!("virtfn{index}{attr}"));
    buf
}

/// The `virtfnN` links of a PF directory, sorted by N.
pub fn virtfns(pf: &Dir) -> std::result::Result<Vec<u32>, Errno> {
    let mut out = Vec::new();
    pf.for_each_entry(|e| out.extend(virtfn_index(e)))?;
    out.sort_unstable();
    Ok(out)
}

fn read_vfs(pf: &Dir, ctx: &Ctx) -> Vec<Vf> {
    let mut out = Vec::new();
    let mut buf = [0u8; LINK_MAX];
    let mut path = String::new();
    for index in virtfns(pf).unwrap_or_default() {
        let Some(addr) = pf
            .link(virtfn_path(&mut path, index, ""), &mut buf)
            .ok()
            .and_then(link_addr)
        else {
            continue; // removed since the listing
        };
        // Live, `virtfnN/driver` is one readlinkat. In a tree every link
        // followed is resolved inside the root: the VF's directory is
        // opened once (O_PATH) and its links read relative to it.
        let vf_dir = if pf.in_tree() {
            match pf.open_path(virtfn_path(&mut path, index, "")) {
                Ok(d) => Some(d),
                Err(_) => continue, // removed since the listing
            }
        } else {
            None
        };
        let prefix = virtfn_path(&mut path, index, "").to_string();
        let (dir, at) = match &vf_dir {
            Some(d) => (d, ""),
            None => (pf, prefix.as_str()),
        };
        match read_vf(dir, at, addr, ctx) {
            Some(mut vf) => {
                vf.index = Some(index);
                out.push(vf);
            }
            None => continue,
        }
    }
    out
}

/// A VF its PF does not list (any more): read through its own directory.
fn read_orphan(ctx: &Ctx, addr: PciAddr) -> Option<Vf> {
    let dir = ctx.bus.open_dir(&addr.name()).ok()?;
    read_vf(&dir, "", addr, ctx)
}

/// The VF whose directory is `at` below `dir` (`virtfn3`, or `` for `dir`
/// itself). `None` when it is gone: no driver and no `physfn` (a VF removed
/// since the listing leaves a dangling link).
fn read_vf(dir: &Dir, at: &str, addr: PciAddr, ctx: &Ctx) -> Option<Vf> {
    let mut buf = [0u8; LINK_MAX];
    let p = |attr: &str| {
        if at.is_empty() {
            attr.to_string()
        } else {
            format!("{at}/{attr}")
        }
    };
    let driver = dir.link_name(&p("driver"), &mut buf).ok().and_then(name);
    if driver.is_none() && !dir.exists(&p("physfn")) {
        return None;
    }
    let iommu_group = iommu_group(dir, &p("iommu_group"), &mut buf);
    let interface = interfaces(dir, at, addr, ctx.netdevs).into_iter().next();
    let mac = interface
        .as_ref()
        .and_then(|i| read_mac(dir, &p(&format!("net/{i}/address"))));
    Some(Vf {
        addr,
        index: None,
        interface,
        mac,
        driver,
        iommu_group,
        settings: None,
        used_by: None,
        representor: None,
    })
}

fn read_mac(dir: &Dir, path: &str) -> Option<Mac> {
    let mut buf: AttrBuf = [0; 128];
    Mac::parse(dir.read(path, &mut buf).ok()?)
}

/// A device named on the command line or in the config file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DevKey {
    /// A PCI address.
    Pci(PciAddr),
    /// An interface name.
    Name(IfName),
}

impl DevKey {
    /// A PCI address when it has a `:` (interface names cannot), else a
    /// checked interface name. The error says why the text is neither.
    pub fn parse(s: &str) -> std::result::Result<DevKey, String> {
        if s.contains(':') {
            return PciAddr::parse_why(s).map(DevKey::Pci);
        }
        IfName::parse(s)
            .map(DevKey::Name)
            .map_err(|why| format!("'{}' is not a valid device: {why}", crate::text::quote(s)))
    }
}

impl fmt::Display for DevKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DevKey::Pci(a) => a.fmt(f),
            DevKey::Name(n) => n.fmt(f),
        }
    }
}

/// Whether the device `key` names is there with a driver bound: what a PF
/// needs before its VFs can be created. For an interface name, its netdev
/// exists (a netdev only exists while its driver is bound).
pub fn ready(sys: &Dir, key: &DevKey) -> bool {
    match key {
        DevKey::Pci(a) => sys.exists(&format!("bus/pci/devices/{}/driver", a.name())),
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
    let target = match sys.link(&format!("class/net/{name}"), &mut buf) {
        Ok(t) => t,
        Err(Errno::ENOENT) => {
            // Not in /sys/class/net (a capture without it): the function
            // whose own net/ directory has it, as the listing finds it.
            return by_net_dir(sys, name).ok_or_else(|| {
                Error::fail(format!(
                    "no network interface named {name} (vfnet list shows them)"
                ))
            });
        }
        Err(e) => {
            return Err(Error::fail(format!(
                "cannot read /sys/class/net/{name}: {}",
                strerror(e)
            )));
        }
    };
    netdev_parent(target).ok_or_else(|| {
        Error::fail(format!("{name} is not a PCI network function (a virtual, USB or virtio interface): it has no VFs"))
    })
}

/// The PCI function with `name` in its `net/` directory, if any.
fn by_net_dir(sys: &Dir, name: &IfName) -> Option<PciAddr> {
    let bus = sys.open_dir("bus/pci/devices").ok()?;
    let mut found = None;
    let _ = bus.for_each_entry(|entry| {
        if found.is_none() && bus.exists(&format!("{entry}/net/{name}")) {
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
    let dir = match sys.open_dir(&format!("bus/pci/devices/{}", addr.name())) {
        Ok(d) => d,
        Err(Errno::ENOENT) => {
            return Err(Error::fail(format!(
                "no PCI device {addr} (vfnet list --all shows them)"
            )));
        }
        Err(e) => {
            return Err(Error::fail(format!(
                "cannot open PCI device {addr}: {}",
                strerror(e)
            )));
        }
    };
    let interfaces = dir_interfaces(&dir);
    let this = label(addr, interfaces.first());
    if !dir.exists("sriov_totalvfs") {
        if let Some(parent) = dir.link("physfn", &mut buf).ok().and_then(link_addr) {
            let parent_dir = sys
                .open_dir(&format!("bus/pci/devices/{}", parent.name()))
                .ok();
            let parent_names = parent_dir.as_ref().map(dir_interfaces).unwrap_or_default();
            let p = label(parent, parent_names.first());
            let how = parent_names
                .first()
                .map_or(parent.to_string(), |n| n.to_string());
            let fix = match cmd {
                "persist" => format!("record the VF count of its PF (vfnet persist {how} N)"),
                "vf" => format!(
                    "VF settings are made through its PF (vfnet vf {how} INDEX SETTING VALUE; vfnet list shows each VF's index)"
                ),
                _ => format!("set the VF count on its PF (vfnet set {how} N)"),
            };
            return Err(Error::fail(format!(
                "{this} is a virtual function of {p}: {fix}"
            )));
        }
        return Err(Error::fail(format!(
            "{this} does not support SR-IOV (it has no sriov_totalvfs)"
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
            return Err(Error::fail(format!("{}: it has no VF {index}", pf.label())));
        }
        Err(e) => {
            return Err(Error::fail(format!(
                "{label}: cannot read its virtfn{index} link: {}",
                strerror(e)
            )));
        }
    };
    let bad = |why: &str| {
        Error::fail(format!(
            "{label}: refusing to touch it: its virtfn{index} link ({}) {why}; the sysfs tree is malformed",
            crate::text::quote_bytes(target)
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
            return Err(Error::fail(format!(
                "{label}: cannot open it: {}",
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
    out.sort_unstable_by(|a, b| natural_cmp(a.as_str(), b.as_str()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> PciAddr {
        PciAddr::parse(s).unwrap()
    }

    #[test]
    fn addresses_parse_in_sysfs_and_lspci_form() {
        assert_eq!(
            a("0000:01:00.0"),
            PciAddr {
                domain: 0,
                bus: 1,
                dev: 0,
                func: 0
            }
        );
        assert_eq!(a("01:10.2").to_string(), "0000:01:10.2");
        assert_eq!(a("10000:e1:1F.7").to_string(), "10000:e1:1f.7");
        for bad in [
            "",
            "0000:01:00",
            "0000:01:20.0",
            "0000:01:00.8",
            "0000:100:00.0",
            "x:01:00.0",
            "01.00.0",
            "0000:01:00.0.vf3",
            ":01:00.0",
        ] {
            assert_eq!(PciAddr::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn addresses_sort_as_the_bus_does() {
        let mut v = [
            a("0000:02:10.0"),
            a("0000:01:10.2"),
            a("0000:01:00.1"),
            a("0000:01:00.0"),
        ];
        v.sort();
        assert_eq!(
            v.map(|x| x.to_string()),
            [
                "0000:01:00.0",
                "0000:01:00.1",
                "0000:01:10.2",
                "0000:02:10.0"
            ]
        );
    }

    #[test]
    fn netdev_links_name_their_pci_function() {
        let pf = b"../../devices/pci0000:00/0000:00:01.0/0000:01:00.0/net/eth0";
        assert_eq!(netdev_parent(pf), Some(a("0000:01:00.0")));
        for other in [
            &b"../../devices/virtual/net/lo"[..],
            b"../../devices/pci0000:00/0000:00:03.0/virtio0/net/eth9",
            b"../../devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/net/enx00e04c",
            b"eth0",
            b"",
        ] {
            assert_eq!(
                netdev_parent(other),
                None,
                "{}",
                String::from_utf8_lossy(other)
            );
        }
    }

    #[test]
    fn virtfn_links_sort_numerically() {
        assert_eq!(virtfn_index("virtfn10"), Some(10));
        assert_eq!(virtfn_index("virtfn"), None);
        assert_eq!(virtfn_index("virtfn-1"), None);
        assert_eq!(virtfn_index("vendor"), None);
        assert_eq!(link_addr(b"../0000:01:10.2"), Some(a("0000:01:10.2")));
        assert_eq!(link_addr(b"../../devices"), None);
    }

    #[test]
    fn device_keys_are_addresses_or_checked_names() {
        assert_eq!(
            DevKey::parse("0000:01:00.0"),
            Ok(DevKey::Pci(a("0000:01:00.0")))
        );
        assert_eq!(
            DevKey::parse("eth0"),
            Ok(DevKey::Name(IfName::parse("eth0").unwrap()))
        );
        assert!(DevKey::parse("../../etc").is_err());
        assert!(DevKey::parse("eth0:1").is_err());
        assert!(DevKey::parse("abcdefghijklmnop").is_err());
        let e = DevKey::parse("0000:01:00.8").unwrap_err();
        assert!(e.contains("PCI function 8 does not exist"), "{e}");
        let e = DevKey::parse("0000:01:00\n.0").unwrap_err();
        assert!(e.contains("'0000:01:00\\n.0' is not a PCI address"), "{e}");
    }
}
