//! `Tree`: a fake root directory built from a `Machine` (`sys/`, `usr/share/misc/pci.ids`,
//! `etc/` with `etc/vfnet/vfnet.conf` if the machine has a config, no `run/`), owned in a temp dir or built into a given one, and the
//! mutators tests use to reach states a running system gets into: an attribute
//! that cannot be read, a VF vanishing mid-listing, a PF driver unbound, autoprobe
//! off, a VF handed to vfio-pci.
//!
//! Building is deterministic (same machine, same bytes, same links), which is what
//! lets tests/demo_tree.rs compare a fresh build with the checked-in demo/x550t.
//! Any failure to write panics with the path: this is test support.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::layout::{self, Sys};
use super::spec::{Machine, NetDev, NetKind, PciFn, VfBinding};

/// A built fake root. Dropping it deletes the temp dir (not a `build_at` dir).
pub struct Tree {
    _tmp: Option<tempfile::TempDir>,
    root: PathBuf,
    machine: Machine,
}

impl Tree {
    /// Builds `m` into a new temp dir (mode 0755, so another uid can read it),
    /// under `$VFNET_TEST_TMPDIR`, else /dev/shm when there is one, else the
    /// usual temp dir. tmpfs is like sysfs in memory, and on the disks of these
    /// machines each file creation costs about 1 ms, against a few µs on tmpfs.
    pub fn build(m: &Machine) -> Tree {
        let base = std::env::var_os("VFNET_TEST_TMPDIR")
            .map(PathBuf::from)
            .or_else(|| Some(PathBuf::from("/dev/shm")).filter(|p| writable_dir(p)))
            .unwrap_or_else(std::env::temp_dir);
        let tmp = tempfile::Builder::new()
            .prefix("vfnet-tree-")
            .tempdir_in(&base)
            .unwrap_or_else(|e| panic!("create temp dir in {}: {e}", base.display()));
        let root = tmp.path().to_path_buf();
        build_into(m, &root);
        Tree {
            _tmp: Some(tmp),
            root,
            machine: m.clone(),
        }
    }

    /// Builds `m` into `root`, which must be absent or an empty directory.
    /// The directory is kept when the `Tree` is dropped.
    pub fn build_at(m: &Machine, root: &Path) -> Tree {
        if let Ok(mut rd) = fs::read_dir(root) {
            assert!(rd.next().is_none(), "{} is not empty", root.display());
        }
        build_into(m, root);
        Tree {
            _tmp: None,
            root: root.to_path_buf(),
            machine: m.clone(),
        }
    }

    /// The root to pass as `vfnet --root`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `root/rel`.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// The machine it was built from.
    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    pub fn sys(&self) -> Sys {
        Sys::new(&self.root)
    }

    /// `sys/devices/.../ADDR` of any PCI function present at build (not a VF).
    pub fn pci_dir(&self, addr: &str) -> PathBuf {
        self.sys().path(&self.machine.pci_fn(addr).dir())
    }

    /// Directory of VF `n` of PF `pf` (whether or not it exists now).
    pub fn vf_dir(&self, pf: &str, n: u32) -> PathBuf {
        let pf = self.machine.pci_fn(pf);
        self.sys().path(&layout::vf_fn(pf, n, None).dir())
    }

    /// Address of VF `n` of PF `pf`.
    pub fn vf_addr(&self, pf: &str, n: u32) -> String {
        self.machine.pci_fn(pf).vf_addr(n)
    }

    /// The `virtfnN` indices PF `pf` has now, sorted.
    pub fn vfs(&self, pf: &str) -> Vec<u32> {
        layout::virtfns(&self.sys(), self.machine.pci_fn(pf))
    }

    /// `sriov_numvfs` as it reads now.
    pub fn numvfs(&self, pf: &str) -> Option<u32> {
        let f = self.machine.pci_fn(pf);
        self.sys()
            .read(&format!("{}/sriov_numvfs", f.dir()))?
            .trim()
            .parse()
            .ok()
    }

    /// Makes `rel` (relative to the root; symlinks on the way are followed, e.g.
    /// `sys/class/net/eth0/address`) fail on read for every uid, root included:
    /// it becomes a directory, so read(2) fails with EISDIR. It holds one file,
    /// `errno`, reading `EIO` (the layout uses the same trick, naming the real
    /// errno, for `carrier`, `speed` and `phys_port_*`).
    pub fn make_unreadable(&self, rel: &str) {
        layout::make_unreadable(&self.path(rel), "EIO");
    }

    /// Replaces the content of file `rel` (relative to the root) atomically,
    /// keeping its mode (0644 if it did not exist). Not seen by the fake kernel
    /// as a write: use a plain write for that.
    pub fn set(&self, rel: &str, content: &str) {
        use std::os::unix::fs::PermissionsExt;
        let p = self.path(rel);
        let mode = fs::metadata(&p).map_or(0o644, |m| m.permissions().mode() & 0o7777);
        layout::replace_file(&p, content.as_bytes(), mode);
    }

    /// VF `n` of `pf` vanishes completely, as when the kernel removes it:
    /// `virtfnN`, `physfn`, netdevs, driver, bus link, IOMMU group, directory.
    pub fn remove_vf(&self, pf: &str, n: u32) {
        layout::remove_vf(&self.sys(), self.machine.pci_fn(pf), n);
    }

    /// VF `n` of `pf` is half gone, as a reader racing the kernel can see it: the
    /// device and all its links are removed but the PF's `virtfnN` still dangles.
    pub fn dangle_vf(&self, pf: &str, n: u32) {
        let vf = layout::vf_fn(self.machine.pci_fn(pf), n, None);
        layout::remove_pci_fn(&self.sys(), &vf);
    }

    /// Unbinds the PF driver, as `echo ADDR > driver/unbind` does (SYSFS.md): its
    /// VFs are removed, its netdevs go, `sriov_numvfs` reads 0, `sriov_totalvfs`
    /// the hardware value, no `driver` link.
    pub fn unbind_pf(&self, pf: &str) {
        let sys = self.sys();
        let f = self.machine.pci_fn(pf);
        let d = f.dir();
        for n in layout::virtfns(&sys, f).into_iter().rev() {
            layout::remove_vf(&sys, f, n);
        }
        for name in sys.list(&format!("{}/net", f.net_parent())) {
            layout::remove_netdev(&sys, &f.net_parent(), &name);
        }
        layout::remove_child(&sys, f);
        if let Some(s) = &f.sriov {
            sys.replace(&format!("{d}/sriov_numvfs"), "0\n", 0o644);
            sys.replace(
                &format!("{d}/sriov_totalvfs"),
                &format!("{}\n", s.hw_total),
                0o444,
            );
        }
        layout::unbind(&sys, f);
    }

    /// Binds the PF driver again: netdevs back (new ifindexes), `sriov_totalvfs`
    /// the driver's value, `sriov_numvfs` 0.
    pub fn bind_pf(&self, pf: &str) {
        let sys = self.sys();
        let f = self.machine.pci_fn(pf);
        let drv = f.driver.as_deref().expect("PF has no driver in its spec");
        layout::add_child(&sys, f);
        let first = layout::next_ifindex(&sys);
        for (ifindex, dev) in (first..).zip(&f.netdevs) {
            layout::add_netdev(&sys, &f.net_parent(), dev, ifindex, ifindex);
        }
        if let Some(s) = &f.sriov {
            let d = f.dir();
            sys.replace(
                &format!("{d}/sriov_totalvfs"),
                &format!("{}\n", s.total),
                0o444,
            );
        }
        layout::bind(&sys, f, drv);
    }

    /// Writes `sriov_drivers_autoprobe` (read by the fake kernel when it creates VFs).
    pub fn set_autoprobe(&self, pf: &str, on: bool) {
        let d = self.machine.pci_fn(pf).dir();
        self.sys().replace(
            &format!("{d}/sriov_drivers_autoprobe"),
            if on { "1\n" } else { "0\n" },
            0o644,
        );
    }

    /// VF `n` of `pf` goes to vfio-pci the way SYSFS.md does it (driver_override,
    /// unbind, drivers_probe): its netdev is gone, `driver` -> vfio-pci.
    pub fn bind_vf_vfio(&self, pf: &str, n: u32) {
        let sys = self.sys();
        let vf = self.unbind_vf_inner(pf, n);
        sys.replace(
            &format!("{}/driver_override", vf.dir()),
            "vfio-pci\n",
            0o644,
        );
        layout::bind(&sys, &vf, "vfio-pci");
    }

    /// VF `n` of `pf` loses its driver: no `driver` link, no netdev.
    pub fn unbind_vf(&self, pf: &str, n: u32) {
        self.unbind_vf_inner(pf, n);
    }

    /// VF `n` of `pf` is (re)bound to the PF's VF driver, with a new netdev.
    pub fn bind_vf(&self, pf: &str, n: u32) {
        let sys = self.sys();
        let f = self.machine.pci_fn(pf);
        let vf = self.unbind_vf_inner(pf, n);
        sys.replace(&format!("{}/driver_override", vf.dir()), "(null)\n", 0o644);
        let drv = f.sriov.as_ref().and_then(|s| s.vf_driver.clone());
        let drv = drv.expect("PF has no VF driver in its spec");
        if f.is_network() {
            let name = f
                .vf_netdev_name(n)
                .unwrap_or_else(|| layout::free_eth(&sys, &[]));
            let ifindex = layout::next_ifindex(&sys);
            let dev = layout::vf_netdev(&name, &vf.addr);
            layout::add_netdev(&sys, &vf.dir(), &dev, ifindex, ifindex);
        }
        layout::bind(&sys, &vf, &drv);
    }

    fn unbind_vf_inner(&self, pf: &str, n: u32) -> PciFn {
        let sys = self.sys();
        let vf = layout::vf_fn(self.machine.pci_fn(pf), n, None);
        assert!(sys.exists(&vf.dir()), "VF {n} of {pf} does not exist");
        for name in sys.list(&format!("{}/net", vf.dir())) {
            layout::remove_netdev(&sys, &vf.dir(), &name);
        }
        layout::unbind(&sys, &vf);
        vf
    }
}

fn writable_dir(p: &Path) -> bool {
    p.is_dir()
        && nix::unistd::access(
            p,
            nix::unistd::AccessFlags::W_OK | nix::unistd::AccessFlags::X_OK,
        )
        .is_ok()
}

/// What a VF present at build time is bound to and called.
struct VfPlan<'m> {
    pf: &'m PciFn,
    n: u32,
    driver: Option<String>,
    netdev: Option<String>,
}

/// Writes machine `m` under `root` (see the module doc).
fn build_into(m: &Machine, root: &Path) {
    layout::mkdirs(root);
    fs::set_permissions(root, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod root");
    let sys = Sys::new(root);
    sys.dir("class/net");
    sys.dir("bus/pci/devices");
    sys.file("bus/pci/drivers_probe", "", 0o200);
    sys.file("bus/pci/rescan", "", 0o200);
    sys.file("bus/pci/drivers_autoprobe", "1\n", 0o644);

    // ifindexes in boot order: lo, PCI netdevs, VFs, the other virtual ones.
    let mut names: Vec<String> = Vec::new();
    let (lo, others): (Vec<&NetDev>, Vec<&NetDev>) = m
        .virtual_netdevs
        .iter()
        .partition(|d| d.kind == NetKind::Loopback);
    names.extend(lo.iter().map(|d| d.name.clone()));
    for f in m.pci.iter().filter(|f| f.driver.is_some()) {
        names.extend(f.netdevs.iter().map(|d| d.name.clone()));
    }
    let mut vfs = Vec::new();
    for pf in m.pfs() {
        let s = pf.sriov.as_ref().unwrap();
        assert!(
            s.num == 0 || pf.driver.is_some(),
            "{}: VFs need a PF driver",
            pf.addr
        );
        assert!(s.num <= s.total, "{}: num > total", pf.addr);
        for n in 0..s.num {
            let driver = match s.binding(n) {
                Some(VfBinding::VfioPci) => Some("vfio-pci".to_string()),
                Some(VfBinding::Unbound) => None,
                None if s.autoprobe => s.vf_driver.clone(),
                None => None,
            };
            let netdev =
                (driver.is_some() && s.binding(n).is_none() && pf.is_network()).then(|| {
                    pf.vf_netdev_name(n)
                        .unwrap_or_else(|| layout::free_eth(&sys, &names))
                });
            names.extend(netdev.clone());
            vfs.push(VfPlan {
                pf,
                n,
                driver,
                netdev,
            });
        }
    }
    names.extend(others.iter().map(|d| d.name.clone()));
    let ifindex = |name: &str| names.iter().position(|n| n == name).unwrap() as u32 + 1;

    for d in &lo {
        layout::add_netdev(
            &sys,
            "devices/virtual",
            d,
            ifindex(&d.name),
            ifindex(&d.name),
        );
    }
    for f in &m.pci {
        layout::add_pci_fn(&sys, f, None);
        if let Some(drv) = &f.driver {
            layout::add_child(&sys, f);
            for d in &f.netdevs {
                let i = ifindex(&d.name);
                layout::add_netdev(&sys, &f.net_parent(), d, i, i);
            }
            layout::bind(&sys, f, drv);
        }
    }
    let mut group = m.vf_group_base();
    for v in &vfs {
        let g = v.pf.iommu_group.map(|_| {
            group += 1;
            group - 1
        });
        let vf = layout::add_vf(&sys, v.pf, v.n, g);
        if let Some(name) = &v.netdev {
            let i = ifindex(name);
            layout::add_netdev(&sys, &vf.dir(), &layout::vf_netdev(name, &vf.addr), i, i);
        }
        if let Some(drv) = &v.driver {
            if drv == "vfio-pci" {
                sys.replace(
                    &format!("{}/driver_override", vf.dir()),
                    "vfio-pci\n",
                    0o644,
                );
            }
            layout::bind(&sys, &vf, drv);
        }
    }
    for pf in m.pfs() {
        // VF driver modules are loaded, as on a host that has used them.
        if let Some(drv) = &pf.sriov.as_ref().unwrap().vf_driver {
            layout::ensure_driver(&sys, "pci", drv);
        }
        let num = pf.sriov.as_ref().unwrap().num;
        sys.replace(
            &format!("{}/sriov_numvfs", pf.dir()),
            &format!("{num}\n"),
            0o644,
        );
    }
    for d in &others {
        let i = ifindex(&d.name);
        let iflink = match &d.kind {
            NetKind::Veth { peer } => ifindex(peer),
            _ => i,
        };
        layout::add_netdev(&sys, "devices/virtual", d, i, iflink);
    }
    for d in m.virtual_netdevs.iter() {
        if let Some(master) = &d.master {
            layout::enslave(&sys, &d.name, master);
        }
    }

    if let Some(ids) = &m.pci_ids {
        layout::mkdirs(&root.join("usr/share/misc"));
        layout::write_file(&root.join("usr/share/misc/pci.ids"), ids.as_bytes(), 0o644);
    }
    // A root always has /etc (vfnet may create etc/vfnet in it). No /run: vfnet
    // then keeps its lock next to the config; a test can create `run/` itself.
    layout::mkdirs(&root.join("etc"));
    if let Some(conf) = &m.config {
        layout::mkdirs(&root.join("etc/vfnet"));
        layout::write_file(&root.join("etc/vfnet/vfnet.conf"), conf.as_bytes(), 0o644);
    }
}

/// One entry of a tree snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    Dir,
    File(Vec<u8>),
    /// Raw link target.
    Link(PathBuf),
}

/// Every entry under `root` (paths relative to it): directories, file bytes,
/// raw link targets. Modes are left out (git keeps none of 0444/0644/0200).
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Entry>) {
        let rd = fs::read_dir(dir).unwrap_or_else(|e| panic!("read_dir {}: {e}", dir.display()));
        for e in rd {
            let p = e.expect("dir entry").path();
            let rel = p.strip_prefix(root).unwrap().to_path_buf();
            let t = fs::symlink_metadata(&p).expect("lstat").file_type();
            if t.is_symlink() {
                out.insert(rel, Entry::Link(fs::read_link(&p).expect("readlink")));
            } else if t.is_dir() {
                out.insert(rel, Entry::Dir);
                walk(root, &p, out);
            } else {
                let bytes = match fs::read(&p) {
                    Ok(b) => b,
                    // Write-only attributes (0200) are empty; a non-root reader
                    // cannot open them.
                    Err(e)
                        if e.kind() == std::io::ErrorKind::PermissionDenied
                            && fs::metadata(&p).is_ok_and(|m| m.len() == 0) =>
                    {
                        Vec::new()
                    }
                    Err(e) => panic!("read {}: {e}", p.display()),
                };
                out.insert(rel, Entry::File(bytes));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Differences between two snapshots, one line each (empty: identical).
pub fn diff(a: &BTreeMap<PathBuf, Entry>, b: &BTreeMap<PathBuf, Entry>) -> Vec<String> {
    let mut out = Vec::new();
    for (p, e) in a {
        match b.get(p) {
            None => out.push(format!("only in first: {}", p.display())),
            Some(f) if f != e => out.push(format!("differs: {} ({e:?} vs {f:?})", p.display())),
            _ => {}
        }
    }
    for p in b.keys().filter(|p| !a.contains_key(*p)) {
        out.push(format!("only in second: {}", p.display()));
    }
    out
}
