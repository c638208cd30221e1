//! The sysfs layout: every file, directory and symlink of the fake tree is made
//! here, by the builder, the mutators and the fake kernel alike, so all three
//! leave exactly what SYSFS.md shows.
//!
//! - Paths are relative to `ROOT/sys`; links get the raw relative target the
//!   kernel writes (`sysfs_get_target_path`: up to the deepest directory that is
//!   an ancestor of the target's parent, then down), e.g. `driver ->
//!   ../../../../bus/pci/drivers/igb`, `virtfn0 -> ../0000:01:10.0`.
//! - Directories are 0755 and attributes 0444/0644/0200 as in sysfs, set
//!   explicitly so the umask does not matter.
//! - Attributes the kernel refuses to read (`carrier` of a down link: EINVAL,
//!   `phys_port_name`: EOPNOTSUPP) are directories holding one file `errno`
//!   that names the real error: a regular file cannot fail read(2) for root,
//!   but read(2) of a directory fails with EISDIR for everyone.
//! - Files that exist already are rewritten atomically (temp file + rename), so
//!   a reader never sees a half-written value and the fake kernel's inotify
//!   watch (IN_CLOSE_WRITE on `sriov_numvfs`) never mistakes our own writes for
//!   a writer's; `sriov_numvfs` is always written so (`replace_file` says why).
//! - No directory is ever left empty (git could not keep it in demo/).

use std::fs;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::spec::{NetDev, NetKind, PciFn, mac_str, vf_mac};

/// The `sys/` directory of a tree.
#[derive(Clone, Debug)]
pub struct Sys {
    root: PathBuf,
}

const RO: u32 = 0o444;
const RW: u32 = 0o644;
const WO: u32 = 0o200;

impl Sys {
    /// `tree_root/sys`.
    pub fn new(tree_root: &Path) -> Sys {
        Sys {
            root: tree_root.join("sys"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Creates `rel` and any missing parent, each 0755.
    pub fn dir(&self, rel: &str) {
        mkdirs(&self.path(rel));
    }

    /// Writes a file (created or truncated) with `mode`.
    pub fn file(&self, rel: &str, content: &str, mode: u32) {
        write_file(&self.path(rel), content.as_bytes(), mode);
    }

    /// Replaces a file atomically (new inode via rename), with `mode`.
    pub fn replace(&self, rel: &str, content: &str, mode: u32) {
        replace_file(&self.path(rel), content.as_bytes(), mode);
    }

    /// Makes the symlink `rel` point at `target` (both relative to sys/), with
    /// the kernel's relative form; replaces whatever was at `rel`.
    pub fn link(&self, rel: &str, target: &str) {
        let p = self.path(rel);
        remove_any(&p);
        let t = rel_target(rel, target);
        if let Err(e) = symlink(&t, &p) {
            match p.parent() {
                Some(parent) if e.kind() == ErrorKind::NotFound => mkdirs(parent),
                _ => panic!("symlink {}: {e}", p.display()),
            }
            symlink(&t, &p).unwrap_or_else(|e| panic!("symlink {}: {e}", p.display()));
        }
    }

    /// Turns the attribute `rel` into one whose read(2) fails (see module doc).
    pub fn unreadable(&self, rel: &str, errno: &str) {
        make_unreadable(&self.path(rel), errno);
    }

    /// Removes a file, link or directory tree; absent is fine.
    pub fn remove(&self, rel: &str) {
        remove_any(&self.path(rel));
    }

    pub fn exists(&self, rel: &str) -> bool {
        fs::symlink_metadata(self.path(rel)).is_ok()
    }

    pub fn read(&self, rel: &str) -> Option<String> {
        fs::read_to_string(self.path(rel)).ok()
    }

    /// Names in directory `rel` (empty if absent).
    pub fn list(&self, rel: &str) -> Vec<String> {
        match fs::read_dir(self.path(rel)) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Last component of the target of link `rel`.
    pub fn link_name(&self, rel: &str) -> Option<String> {
        let t = fs::read_link(self.path(rel)).ok()?;
        Some(t.file_name()?.to_string_lossy().into_owned())
    }

    /// `rel` is an empty directory (or absent).
    fn is_empty_dir(&self, rel: &str) -> bool {
        self.list(rel).is_empty()
    }
}

/// The raw target the kernel writes for a link at `link` pointing at `target`.
pub fn rel_target(link: &str, target: &str) -> String {
    let l: Vec<&str> = link.split('/').collect();
    let l = &l[..l.len() - 1];
    let t: Vec<&str> = target.split('/').collect();
    let tp = &t[..t.len() - 1];
    let common = l.iter().zip(tp).take_while(|(a, b)| a == b).count();
    let mut s = "../".repeat(l.len() - common);
    s += &t[common..].join("/");
    s
}

pub fn mkdirs(p: &Path) {
    if p.as_os_str().is_empty() || p.is_dir() {
        return;
    }
    if let Some(parent) = p.parent() {
        mkdirs(parent);
    }
    match fs::create_dir(p) {
        Ok(()) => set_mode(p, 0o755),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
        Err(e) => panic!("mkdir {}: {e}", p.display()),
    }
}

fn set_mode(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", p.display()));
}

/// Writes `p` (creating missing parents) with `mode`.
pub fn write_file(p: &Path, content: &[u8], mode: u32) {
    if p.file_name() == Some("sriov_numvfs".as_ref()) {
        // The fake kernel's watch names it: written as `replace_file` does.
        if let Some(parent) = p.parent().filter(|d| !d.exists()) {
            mkdirs(parent);
        }
        return replace_file(p, content, mode);
    }
    let create = || fs::File::create(p);
    let mut f = match create() {
        Err(e) if e.kind() == ErrorKind::NotFound && p.parent().is_some() => {
            mkdirs(p.parent().unwrap());
            create()
        }
        r => r,
    }
    .unwrap_or_else(|e| panic!("create {}: {e}", p.display()));
    f.write_all(content)
        .unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
    f.set_permissions(fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", p.display()));
}

/// Puts `content` at `p` as a new inode. The file is written under a
/// temporary name and hard-linked to a second one that is renamed into
/// place, so the written file's own name is never `p`'s: a child another
/// test thread forks while the file is open keeps it open until its exec,
/// and that late close (IN_CLOSE_WRITE) then names the temporary file, never
/// `sriov_numvfs`, and is not taken for a writer by the fake kernel.
pub fn replace_file(p: &Path, content: &[u8], mode: u32) {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let name = p.file_name().unwrap().to_string_lossy();
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let tmp = |k: &str| p.with_file_name(format!(".{name}.{}.{seq}.{k}", std::process::id()));
    let (written, linked) = (tmp("tmp"), tmp("new"));
    write_file(&written, content, mode);
    fs::hard_link(&written, &linked)
        .unwrap_or_else(|e| panic!("link to {}: {e}", linked.display()));
    fs::remove_file(&written).unwrap_or_else(|e| panic!("remove {}: {e}", written.display()));
    if p.is_dir() {
        remove_any(p);
    }
    fs::rename(&linked, p).unwrap_or_else(|e| panic!("rename to {}: {e}", p.display()));
}

pub fn make_unreadable(p: &Path, errno: &str) {
    remove_any(p);
    mkdirs(p);
    write_file(&p.join("errno"), format!("{errno}\n").as_bytes(), RO);
}

pub fn remove_any(p: &Path) {
    let r = match fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(p),
        Ok(_) => fs::remove_file(p),
        Err(_) => return,
    };
    match r {
        Err(e) if e.kind() != ErrorKind::NotFound => panic!("remove {}: {e}", p.display()),
        _ => {}
    }
}

/// `bus/pci/drivers/NAME` with its write-only control files.
pub fn ensure_driver(sys: &Sys, bus: &str, name: &str) {
    let d = format!("bus/{bus}/drivers/{name}");
    if sys.exists(&d) {
        return;
    }
    sys.dir(&d);
    let files: &[&str] = if bus == "pci" {
        &["bind", "unbind", "new_id", "remove_id", "uevent"]
    } else {
        &["bind", "unbind", "uevent"]
    };
    for f in files {
        sys.file(&format!("{d}/{f}"), "", WO);
    }
}

fn pci_uevent(f: &PciFn, driver: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(d) = driver {
        s += &format!("DRIVER={d}\n");
    }
    s += &format!(
        "PCI_CLASS={:X}\nPCI_ID={:04X}:{:04X}\nPCI_SUBSYS_ID={:04X}:{:04X}\nPCI_SLOT_NAME={}\nMODALIAS={}\n",
        f.class,
        f.vendor,
        f.device,
        f.subsys.0,
        f.subsys.1,
        f.addr,
        modalias(f)
    );
    s
}

fn modalias(f: &PciFn) -> String {
    format!(
        "pci:v{:08X}d{:08X}sv{:08X}sd{:08X}bc{:02X}sc{:02X}i{:02X}",
        f.vendor,
        f.device,
        f.subsys.0,
        f.subsys.1,
        f.class >> 16,
        (f.class >> 8) & 0xff,
        f.class & 0xff
    )
}

/// Creates the directory and attributes of PCI function `f` (PF, VF or any
/// other), its `bus/pci/devices` link and IOMMU group membership, but not its
/// driver or netdevs. `vf_of`: the PF, for a VF (physfn link, VF-only files).
pub fn add_pci_fn(sys: &Sys, f: &PciFn, vf_of: Option<&PciFn>) {
    let d = f.dir();
    sys.dir(&d);
    let attrs = [
        ("vendor", format!("0x{:04x}", f.vendor)),
        ("device", format!("0x{:04x}", f.device)),
        ("subsystem_vendor", format!("0x{:04x}", f.subsys.0)),
        ("subsystem_device", format!("0x{:04x}", f.subsys.1)),
        ("class", format!("0x{:06x}", f.class)),
        ("revision", format!("0x{:02x}", f.revision)),
        ("numa_node", f.numa_node.to_string()),
        ("irq", f.irq.to_string()),
        ("modalias", modalias(f)),
    ];
    for (name, v) in attrs {
        sys.file(&format!("{d}/{name}"), &format!("{v}\n"), RO);
    }
    sys.file(&format!("{d}/enable"), "0\n", RW);
    sys.file(&format!("{d}/driver_override"), "(null)\n", RW);
    sys.file(&format!("{d}/uevent"), &pci_uevent(f, None), RW);
    sys.link(&format!("{d}/subsystem"), "bus/pci");
    if let Some(s) = &f.sriov {
        let total = if f.driver.is_some() {
            s.total
        } else {
            s.hw_total
        };
        let attrs = [
            ("sriov_totalvfs", total.to_string(), RO),
            ("sriov_numvfs", "0".into(), RW),
            ("sriov_offset", s.offset.to_string(), RO),
            ("sriov_stride", s.stride.to_string(), RO),
            ("sriov_vf_device", format!("{:x}", s.vf_device), RO),
            (
                "sriov_drivers_autoprobe",
                u8::from(s.autoprobe).to_string(),
                RW,
            ),
            ("sriov_vf_total_msix", "0".into(), RO),
        ];
        for (name, v, mode) in attrs {
            sys.file(&format!("{d}/{name}"), &format!("{v}\n"), mode);
        }
    }
    if let Some(pf) = vf_of {
        sys.file(&format!("{d}/sriov_vf_msix_count"), "", WO);
        sys.link(&format!("{d}/physfn"), &pf.dir());
    }
    if let Some(g) = f.iommu_group {
        join_group(sys, f, g);
    }
    sys.link(&format!("bus/pci/devices/{}", f.addr), &d);
}

/// Removes PCI function `f`'s directory and every link to it but the PF's virtfn.
pub fn remove_pci_fn(sys: &Sys, f: &PciFn) {
    let d = f.dir();
    for name in sys.list(&format!("{d}/net")) {
        remove_netdev(sys, &d, &name);
    }
    unbind(sys, f);
    sys.remove(&format!("bus/pci/devices/{}", f.addr));
    if let Some(g) = sys.link_name(&format!("{d}/iommu_group")) {
        leave_group(sys, &f.addr, &g);
    }
    sys.remove(&d);
}

fn join_group(sys: &Sys, f: &PciFn, group: u32) {
    let g = format!("kernel/iommu_groups/{group}");
    if !sys.exists(&g) {
        sys.dir(&format!("{g}/devices"));
        sys.file(&format!("{g}/type"), "identity\n", RO);
    }
    sys.link(&format!("{g}/devices/{}", f.addr), &f.dir());
    sys.link(&format!("{}/iommu_group", f.dir()), &g);
}

/// Takes `addr` out of group `group`; the group goes when its last device does.
fn leave_group(sys: &Sys, addr: &str, group: &str) {
    let g = format!("kernel/iommu_groups/{group}");
    sys.remove(&format!("{g}/devices/{addr}"));
    if sys.is_empty_dir(&format!("{g}/devices")) {
        sys.remove(&g);
    }
}

/// Binds `f` to `driver`: `driver` link, the driver's back-link, uevent, enable
/// (the driver's netdevs are added separately, before, as probe() does).
pub fn bind(sys: &Sys, f: &PciFn, driver: &str) {
    let d = f.dir();
    ensure_driver(sys, "pci", driver);
    let drv = format!("bus/pci/drivers/{driver}");
    sys.link(&format!("{drv}/{}", f.addr), &d);
    sys.link(&format!("{d}/driver"), &drv);
    sys.replace(&format!("{d}/uevent"), &pci_uevent(f, Some(driver)), RW);
    sys.replace(&format!("{d}/enable"), "1\n", RW);
}

/// Removes `f`'s driver binding (not its netdevs: see `remove_netdev`).
pub fn unbind(sys: &Sys, f: &PciFn) {
    let d = f.dir();
    if let Some(drv) = sys.link_name(&format!("{d}/driver")) {
        sys.remove(&format!("{d}/driver"));
        sys.remove(&format!("bus/pci/drivers/{drv}/{}", f.addr));
        sys.replace(&format!("{d}/uevent"), &pci_uevent(f, None), RW);
        sys.replace(&format!("{d}/enable"), "0\n", RW);
    }
}

/// The child device (virtio0) of `f`, with its own bus and driver links.
pub fn add_child(sys: &Sys, f: &PciFn) {
    let Some(c) = &f.child else { return };
    let d = f.net_parent();
    sys.dir(&d);
    for (k, v) in &c.attrs {
        sys.file(&format!("{d}/{k}"), &format!("{v}\n"), RO);
    }
    sys.file(
        &format!("{d}/uevent"),
        &format!("DRIVER={}\n", c.driver),
        RW,
    );
    sys.link(&format!("{d}/subsystem"), &format!("bus/{}", c.bus));
    sys.link(&format!("bus/{}/devices/{}", c.bus, c.name), &d);
    ensure_driver(sys, &c.bus, &c.driver);
    let drv = format!("bus/{}/drivers/{}", c.bus, c.driver);
    sys.link(&format!("{drv}/{}", c.name), &d);
    sys.link(&format!("{d}/driver"), &drv);
}

/// Removes the child device of `f` (and its netdevs, which must be gone first).
pub fn remove_child(sys: &Sys, f: &PciFn) {
    let Some(c) = &f.child else { return };
    sys.remove(&format!("bus/{}/devices/{}", c.bus, c.name));
    sys.remove(&format!("bus/{}/drivers/{}/{}", c.bus, c.driver, c.name));
    sys.remove(&f.net_parent());
}

/// Adds netdev `dev` under `parent` (a device dir, or `devices/virtual`), with
/// its `class/net` link. `iflink` is the peer's ifindex for a veth.
pub fn add_netdev(sys: &Sys, parent: &str, dev: &NetDev, ifindex: u32, iflink: u32) {
    let nd = format!("{parent}/net/{}", dev.name);
    sys.dir(&nd);
    let lo = dev.kind == NetKind::Loopback;
    let attrs = [
        ("address", mac_str(&dev.mac)),
        (
            "broadcast",
            if lo {
                "00:00:00:00:00:00"
            } else {
                "ff:ff:ff:ff:ff:ff"
            }
            .into(),
        ),
        ("addr_len", "6".into()),
        ("dev_id", "0x0".into()),
        ("dev_port", dev.dev_port.to_string()),
        ("ifindex", ifindex.to_string()),
        ("iflink", iflink.to_string()),
        ("type", if lo { "772" } else { "1" }.into()),
        (
            "operstate",
            if lo {
                "unknown"
            } else if dev.up {
                "up"
            } else {
                "down"
            }
            .into(),
        ),
        ("flags", if dev.up { "0x1003" } else { "0x1002" }.into()),
        ("mtu", if lo { "65536" } else { "1500" }.into()),
        ("tx_queue_len", "1000".into()),
    ];
    for (name, v) in attrs {
        sys.file(&format!("{nd}/{name}"), &format!("{v}\n"), RO);
    }
    if dev.up {
        sys.file(&format!("{nd}/carrier"), "1\n", RW);
    } else {
        sys.unreadable(&format!("{nd}/carrier"), "EINVAL");
    }
    if dev.up && !lo && dev.kind != NetKind::Bridge {
        sys.file(&format!("{nd}/speed"), &format!("{}\n", dev.speed), RO);
    } else {
        sys.unreadable(&format!("{nd}/speed"), "EINVAL");
    }
    for name in ["phys_port_id", "phys_port_name", "phys_switch_id"] {
        sys.unreadable(&format!("{nd}/{name}"), "EOPNOTSUPP");
    }
    let devtype = if dev.kind == NetKind::Bridge {
        "DEVTYPE=bridge\n"
    } else {
        ""
    };
    let uevent = format!("{devtype}INTERFACE={}\nIFINDEX={ifindex}\n", dev.name);
    sys.file(&format!("{nd}/uevent"), &uevent, RW);
    if dev.kind == NetKind::Bridge {
        sys.file(&format!("{nd}/bridge/stp_state"), "0\n", RW);
        sys.file(&format!("{nd}/bridge/forward_delay"), "1500\n", RW);
    }
    if !parent.starts_with("devices/virtual") {
        sys.link(&format!("{nd}/device"), parent);
    }
    sys.link(&format!("{nd}/subsystem"), "class/net");
    sys.link(&format!("class/net/{}", dev.name), &nd);
}

/// Makes netdev `port` (under devices/virtual/net) a port of bridge `master`.
pub fn enslave(sys: &Sys, port: &str, master: &str) {
    let p = format!("devices/virtual/net/{port}");
    let m = format!("devices/virtual/net/{master}");
    sys.file(&format!("{p}/brport/state"), "3\n", RO);
    sys.link(&format!("{p}/master"), &m);
    sys.link(&format!("{m}/brif/{port}"), &format!("{p}/brport"));
}

/// Removes netdev `name` under device dir `parent`: class link first, then the
/// directory (`net/` goes with its last netdev).
pub fn remove_netdev(sys: &Sys, parent: &str, name: &str) {
    sys.remove(&format!("class/net/{name}"));
    sys.remove(&format!("{parent}/net/{name}"));
    if sys.is_empty_dir(&format!("{parent}/net")) {
        sys.remove(&format!("{parent}/net"));
    }
}

/// Renames netdev `from` under `parent` to `to` (what udev does).
pub fn rename_netdev(sys: &Sys, parent: &str, from: &str, to: &str) {
    let old = format!("{parent}/net/{from}");
    let new = format!("{parent}/net/{to}");
    sys.remove(&format!("class/net/{from}"));
    fs::rename(sys.path(&old), sys.path(&new)).unwrap_or_else(|e| panic!("rename {old}: {e}"));
    let ifindex = sys.read(&format!("{new}/ifindex")).unwrap_or_default();
    let uevent = format!("INTERFACE={to}\nIFINDEX={}\n", ifindex.trim());
    sys.replace(&format!("{new}/uevent"), &uevent, RW);
    sys.link(&format!("class/net/{to}"), &new);
}

/// The data of VF `n` of `pf`: same parent, vendor, subsystem, class and
/// revision, the VF device id, no driver, netdevs or SR-IOV; its own group.
pub fn vf_fn(pf: &PciFn, n: u32, group: Option<u32>) -> PciFn {
    let s = pf
        .sriov
        .as_ref()
        .expect("vf_fn on a function without SR-IOV");
    PciFn {
        addr: pf.vf_addr(n),
        device: s.vf_device,
        driver: None,
        iommu_group: group,
        irq: 0,
        netdevs: Vec::new(),
        child: None,
        sriov: None,
        ..pf.clone()
    }
}

/// Creates VF `n` of `pf` as the kernel does: device (dir, attributes, IOMMU
/// group, bus link), then the PF's `virtfnN` link. No driver, no netdev.
pub fn add_vf(sys: &Sys, pf: &PciFn, n: u32, group: Option<u32>) -> PciFn {
    let vf = vf_fn(pf, n, group);
    add_pci_fn(sys, &vf, Some(pf));
    sys.link(&format!("{}/virtfn{n}", pf.dir()), &vf.dir());
    vf
}

/// The netdev a VF driver makes for VF `addr`: down, the driver's random MAC.
pub fn vf_netdev(name: &str, vf_addr: &str) -> NetDev {
    NetDev::ether(name, vf_mac(vf_addr))
}

/// Removes VF `n` of `pf` as the kernel does: `virtfnN`, then `physfn`, then the
/// device (netdevs, driver, bus link, IOMMU group, directory).
pub fn remove_vf(sys: &Sys, pf: &PciFn, n: u32) {
    let vf = vf_fn(pf, n, None);
    sys.remove(&format!("{}/virtfn{n}", pf.dir()));
    sys.remove(&format!("{}/physfn", vf.dir()));
    remove_pci_fn(sys, &vf);
}

/// Indices of the PF's `virtfnN` links, sorted numerically.
pub fn virtfns(sys: &Sys, pf: &PciFn) -> Vec<u32> {
    let mut v: Vec<u32> = sys
        .list(&pf.dir())
        .iter()
        .filter_map(|e| e.strip_prefix("virtfn")?.parse().ok())
        .collect();
    v.sort_unstable();
    v
}

/// Lowest `ethN` not in `class/net` (nor in `taken`).
pub fn free_eth(sys: &Sys, taken: &[String]) -> String {
    let names = sys.list("class/net");
    (0..)
        .map(|i| format!("eth{i}"))
        .find(|n| !names.contains(n) && !taken.contains(n))
        .unwrap()
}

/// One past the highest ifindex in `class/net`.
pub fn next_ifindex(sys: &Sys) -> u32 {
    sys.list("class/net")
        .iter()
        .filter_map(|n| {
            sys.read(&format!("class/net/{n}/ifindex"))?
                .trim()
                .parse::<u32>()
                .ok()
        })
        .max()
        .map_or(1, |m| m + 1)
}

/// Lowest IOMMU group number >= `base` with no directory.
pub fn free_group(sys: &Sys, base: u32, taken: &[u32]) -> u32 {
    let used: Vec<u32> = sys
        .list("kernel/iommu_groups")
        .iter()
        .filter_map(|g| g.parse().ok())
        .collect();
    (base..)
        .find(|g| !used.contains(g) && !taken.contains(g))
        .unwrap()
}
