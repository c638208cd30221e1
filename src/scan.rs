//! sysfs -> [`Inventory`]: the scan every listing starts from.
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

use crate::error::{Error, Result};
use crate::ifname::{IfName, natural_cmp};
use crate::inventory::{Inventory, Pf, Vf};
use crate::mac::Mac;
use crate::pci::{PciAddr, link_addr, name, netdev_parent, virtfn_index, virtfn_path};
use crate::sysfs::{AttrBuf, Closer, Dir, LINK_MAX, Root};
use nix::errno::Errno;

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
    let mut others = Vec::new();
    let netdevs = net
        .as_ref()
        .map(|n| netdevs(n, &mut others))
        .unwrap_or_default();
    let Ok(bus) = sys.open_dir("bus/pci/devices") else {
        return Inventory::default();
    };

    let todo = functions(&bus, &netdevs, all, net.is_none());
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
    drop_listed_vfs(&mut pfs);
    Inventory {
        pfs,
        others,
        usage_known: false,
        usage_incomplete: false,
        settings_known: false,
    }
}

/// The functions to visit, sorted: those owning a netdev, plus (`all`)
/// every SR-IOV capable one. Without /sys/class/net (`by_dir`: sysfs
/// captures often lack it), the functions with a net/ directory of their
/// own are the network functions.
fn functions(bus: &Dir, netdevs: &[(PciAddr, IfName)], all: bool, by_dir: bool) -> Vec<PciAddr> {
    let mut todo: Vec<PciAddr> = netdevs.iter().map(|n| n.0).collect();
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
    todo
}

/// Drops the PFs that some PF lists as its VF.
fn drop_listed_vfs(pfs: &mut Vec<Pf>) {
    let mut vf_addrs: Vec<PciAddr> = pfs
        .iter()
        .flat_map(|p| p.vfs.iter().map(|v| v.addr))
        .collect();
    vf_addrs.sort_unstable();
    pfs.retain(|p| vf_addrs.binary_search(&p.addr).is_err());
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
/// Each PCI function's netdevs; the others (virtual, virtio, USB) go to
/// `others`, `lo` left out.
fn netdevs(net: &Dir, others: &mut Vec<(IfName, Option<PciAddr>)>) -> Vec<(PciAddr, IfName)> {
    let mut out = Vec::new();
    let mut buf = [0u8; LINK_MAX];
    let _ = net.for_each_entry(|entry| {
        let Ok(name) = IfName::parse(entry) else {
            return;
        };
        if let Ok(target) = net.link(entry, &mut buf) {
            match netdev_parent(target) {
                Some(addr) => out.push((addr, name)),
                None if entry != "lo" => {
                    // Kept sorted as they come (no sort code of its own).
                    let at = others.partition_point(|o| natural_cmp(o.0.as_str(), entry).is_lt());
                    others.insert(at, (name, crate::pci::virtio_parent(target)));
                }
                None => {}
            }
        }
    });
    out.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| natural_cmp(a.1.as_str(), b.1.as_str()))
    });
    out
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
    crate::ifname::sort(&mut out);
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
    let interfaces = interfaces(dir, "", addr, netdevs);
    let up = interfaces
        .first()
        .and_then(|i| {
            let mut b: AttrBuf = [0; 128];
            let flags = dir.read(&format!("net/{i}/flags"), &mut b).ok()?;
            let flags = std::str::from_utf8(crate::sysfs::trim(flags)).ok()?;
            u32::from_str_radix(flags.trim_start_matches("0x"), 16).ok()
        })
        .is_some_and(|f| f & 1 != 0);
    Function::Pf(Box::new(Pf {
        addr,
        interfaces,
        up,
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
        port_types: None,
        vfs: Vec::new(),
    }))
}

fn iommu_group(dir: &Dir, link: &str, buf: &mut [u8]) -> Option<u32> {
    dir.link_name(link, buf).ok()?.parse().ok()
}

/// The `virtfnN` links of a PF directory, sorted by N.
pub fn virtfns(pf: &Dir) -> std::result::Result<Vec<u32>, Errno> {
    let mut out = Vec::new();
    pf.for_each_entry(|e| out.extend(virtfn_index(e)))?;
    out.sort_unstable();
    Ok(out)
}

fn read_vfs(pf: &Dir, ctx: &Ctx) -> Vec<Vf> {
    let indices = virtfns(pf).unwrap_or_default();
    let mut out = Vec::with_capacity(indices.len());
    let mut buf = [0u8; LINK_MAX];
    let mut path = String::new();
    // The descriptors each VF opens are closed a run at a time.
    let mut closer = Closer::default();
    // In a tree, the directory holding the PF: a VF's `virtfnN` link is
    // `../0000:01:10.1`, so its directory is opened below this one with one
    // short walk, not from the root through the PF's links again.
    let siblings = (pf.in_tree() && !indices.is_empty())
        .then(|| pf.open_path("..").ok())
        .flatten();
    for index in indices {
        let Ok(target) = pf.link(virtfn_path(&mut path, index, ""), &mut buf) else {
            continue; // removed since the listing
        };
        let Some(addr) = link_addr(target) else {
            continue;
        };
        let sibling = target
            .strip_prefix(b"../")
            .is_some_and(|t| t == addr.name().as_bytes());
        // Live, `virtfnN/driver` is one readlinkat. In a tree every link
        // followed is resolved inside the root: the VF's directory is
        // opened once (O_PATH) and its links read relative to it.
        let vf_dir = if pf.in_tree() {
            let opened = match (&siblings, sibling) {
                (Some(up), true) => up.open_path(&addr.name()),
                _ => pf.open_path(virtfn_path(&mut path, index, "")),
            };
            match opened {
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
        if let Some(mut vf) = read_vf(dir, at, addr, ctx, &mut closer) {
            vf.index = Some(index);
            out.push(vf);
        }
        if let Some(d) = vf_dir {
            closer.keep_dir(d);
        }
    }
    out
}

/// A VF its PF does not list (any more): read through its own directory.
fn read_orphan(ctx: &Ctx, addr: PciAddr) -> Option<Vf> {
    let dir = ctx.bus.open_dir(&addr.name()).ok()?;
    read_vf(&dir, "", addr, ctx, &mut Closer::default())
}

/// The VF whose directory is `at` below `dir` (`virtfn3`, or `` for `dir`
/// itself). `None` when it is gone: no driver and no `physfn` (a VF removed
/// since the listing leaves a dangling link).
fn read_vf(dir: &Dir, at: &str, addr: PciAddr, ctx: &Ctx, closer: &mut Closer) -> Option<Vf> {
    let mut buf = [0u8; LINK_MAX];
    // A VF's own directory names its attributes plainly, no String each.
    let p = |attr: &'static str| -> std::borrow::Cow<'static, str> {
        if at.is_empty() {
            attr.into()
        } else {
            format!("{at}/{attr}").into()
        }
    };
    let driver = dir.link_name(&p("driver"), &mut buf).ok().and_then(name);
    if driver.is_none() && !dir.exists(&p("physfn")) {
        return None;
    }
    let iommu_group = iommu_group(dir, &p("iommu_group"), &mut buf);
    let interface = interfaces(dir, at, addr, ctx.netdevs).into_iter().next();
    let mac = interface.as_ref().and_then(|i| {
        read_mac(
            dir,
            &format!(
                "{at}{}net/{i}/address",
                if at.is_empty() { "" } else { "/" }
            ),
            closer,
        )
    });
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

fn read_mac(dir: &Dir, path: &str, closer: &mut Closer) -> Option<Mac> {
    let mut buf: AttrBuf = [0; 128];
    Mac::parse(dir.read_kept(path, &mut buf, closer).ok()?)
}
