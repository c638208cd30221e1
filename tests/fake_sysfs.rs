//! Self-tests of the test support: the fake trees against SYSFS.md (raw link
//! targets, raw attribute bytes, layout rules), the machines against their
//! stated facts, the mutators, and the fake kernel's reactions to writes.
//! Everything happens in temp dirs; nothing touches the host's /sys or /etc.

mod support;

use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use support::{Entry, FakeKernel, KernelOpts, Machine, Stuck, Tree, diff, snapshot, spec};

const PF: &str = "0000:01:00.0";
const IDLE: Duration = Duration::from_secs(10);

fn every_machine() -> Vec<Machine> {
    let mut v: Vec<Machine> = support::NAMES
        .iter()
        .filter(|n| !n.starts_with("many"))
        .map(|n| support::by_name(n).unwrap())
        .collect();
    v.push(support::many(3, 5));
    v
}

fn link(t: &Tree, rel: &str) -> String {
    let p = t.path(rel);
    fs::read_link(&p)
        .unwrap_or_else(|e| panic!("readlink {}: {e}", p.display()))
        .to_string_lossy()
        .into_owned()
}

fn read(t: &Tree, rel: &str) -> String {
    let p = t.path(rel);
    fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

fn exists(t: &Tree, rel: &str) -> bool {
    fs::symlink_metadata(t.path(rel)).is_ok()
}

/// What vfnet does: open(O_WRONLY|O_TRUNC), write, close.
fn write_numvfs(t: &Tree, pf: &str, value: &str) {
    fs::write(t.pci_dir(pf).join("sriov_numvfs"), value).unwrap();
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

const IGB_PF_DIR: &str = "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0";

#[test]
fn igb_qemu_links_are_sysfs_md_raw_targets() {
    let t = Tree::build(&support::igb_qemu());
    let cases = [
        (
            "sys/class/net/eth0",
            "../../devices/pci0000:00/0000:00:01.0/0000:01:00.0/net/eth0",
        ),
        ("sys/class/net/eth0/device", "../../../0000:01:00.0"),
        (
            "sys/class/net/eth0/subsystem",
            "../../../../../../class/net",
        ),
        ("sys/class/net/lo", "../../devices/virtual/net/lo"),
        (
            "sys/bus/pci/devices/0000:01:00.0",
            "../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0",
        ),
        (
            "sys/bus/pci/drivers/igb/0000:01:00.0",
            "../../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0",
        ),
        (
            "sys/kernel/iommu_groups/3/devices/0000:01:00.0",
            "../../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0",
        ),
    ];
    for (rel, target) in cases {
        assert_eq!(link(&t, rel), target, "{rel}");
    }
    for (name, target) in [
        ("driver", "../../../../bus/pci/drivers/igb"),
        ("iommu_group", "../../../../kernel/iommu_groups/3"),
        ("subsystem", "../../../../bus/pci"),
    ] {
        assert_eq!(link(&t, &format!("{IGB_PF_DIR}/{name}")), target, "{name}");
    }
}

#[test]
fn igb_qemu_attributes_are_sysfs_md_raw_bytes() {
    let t = Tree::build(&support::igb_qemu());
    let cases = [
        ("sriov_numvfs", "0\n"),
        ("sriov_totalvfs", "7\n"),
        ("sriov_vf_device", "10ca\n"),
        ("sriov_offset", "128\n"),
        ("sriov_stride", "2\n"),
        ("sriov_drivers_autoprobe", "1\n"),
        ("sriov_vf_total_msix", "0\n"),
        ("vendor", "0x8086\n"),
        ("device", "0x10c9\n"),
        ("subsystem_vendor", "0x1af4\n"),
        ("subsystem_device", "0x1100\n"),
        ("class", "0x020000\n"),
        ("driver_override", "(null)\n"),
        ("numa_node", "-1\n"),
        ("irq", "21\n"),
        ("enable", "1\n"),
        ("revision", "0x01\n"),
        (
            "uevent",
            "DRIVER=igb\nPCI_CLASS=20000\nPCI_ID=8086:10C9\nPCI_SUBSYS_ID=1AF4:1100\n\
             PCI_SLOT_NAME=0000:01:00.0\nMODALIAS=pci:v00008086d000010C9sv00001AF4sd00001100bc02sc00i00\n",
        ),
    ];
    for (name, bytes) in cases {
        assert_eq!(read(&t, &format!("{IGB_PF_DIR}/{name}")), bytes, "{name}");
    }
    let eth0 = [
        ("ifindex", "2\n"),
        ("iflink", "2\n"),
        ("address", "52:54:00:12:34:56\n"),
        ("addr_len", "6\n"),
        ("type", "1\n"),
        ("dev_id", "0x0\n"),
        ("dev_port", "0\n"),
        ("mtu", "1500\n"),
        ("uevent", "INTERFACE=eth0\nIFINDEX=2\n"),
    ];
    for (name, bytes) in eth0 {
        assert_eq!(
            read(&t, &format!("sys/class/net/eth0/{name}")),
            bytes,
            "eth0/{name}"
        );
    }
    // Link down: carrier fails; phys_port_* fail always. Unreadable for root too.
    for name in [
        "carrier",
        "speed",
        "phys_port_id",
        "phys_port_name",
        "phys_switch_id",
    ] {
        let e = fs::read(t.path(&format!("sys/class/net/eth0/{name}"))).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc_eisdir()), "eth0/{name}");
    }
    assert_eq!(read(&t, "sys/class/net/eth0/carrier/errno"), "EINVAL\n");
    assert_eq!(
        read(&t, "sys/class/net/eth0/phys_port_name/errno"),
        "EOPNOTSUPP\n"
    );
    // Modes as in sysfs.
    let mode = |name: &str| {
        fs::metadata(t.path(&format!("{IGB_PF_DIR}/{name}")))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("sriov_numvfs"), 0o644);
    assert_eq!(mode("sriov_totalvfs"), 0o444);
    assert_eq!(mode(""), 0o755);
    assert_eq!(
        fs::metadata(t.root()).unwrap().permissions().mode() & 0o777,
        0o755
    );
}

fn libc_eisdir() -> i32 {
    Errno::EISDIR as i32
}

#[test]
fn x550t_is_the_readme_machine() {
    let m = support::x550t();
    let t = Tree::build(&m);
    let pf0 = m.pci_fn("0000:01:00.0");
    let pf1 = m.pci_fn("0000:01:00.1");
    assert_eq!(
        (pf0.netdevs[0].name.as_str(), pf1.netdevs[0].name.as_str()),
        ("enp1s0f0", "enp1s0f1")
    );
    assert_eq!((pf0.iommu_group, pf1.iommu_group), (Some(15), Some(16)));
    for (pf, num) in [("0000:01:00.0", "4\n"), ("0000:01:00.1", "0\n")] {
        let d = t.pci_dir(pf);
        assert_eq!(
            fs::read_to_string(d.join("sriov_totalvfs")).unwrap(),
            "63\n"
        );
        assert_eq!(fs::read_to_string(d.join("sriov_numvfs")).unwrap(), num);
        assert_eq!(
            fs::read_link(d.join("driver")).unwrap(),
            Path::new("../../../../bus/pci/drivers/ixgbe")
        );
        assert_eq!(fs::read_to_string(d.join("device")).unwrap(), "0x1563\n");
    }
    let vfs = [
        "0000:02:10.0",
        "0000:02:10.2",
        "0000:02:10.4",
        "0000:02:10.6",
    ];
    assert_eq!(t.vfs(PF), [0, 1, 2, 3]);
    for (n, addr) in vfs.iter().enumerate() {
        let virtfn = t.pci_dir(PF).join(format!("virtfn{n}"));
        assert_eq!(
            fs::read_link(&virtfn).unwrap(),
            Path::new(&format!("../{addr}"))
        );
        let name = format!("enp1s0f0v{n}");
        assert_eq!(
            link(&t, &format!("sys/class/net/{name}")),
            format!("../../devices/pci0000:00/0000:00:01.1/{addr}/net/{name}")
        );
        let vf = format!("sys/bus/pci/devices/{addr}");
        assert_eq!(link(&t, &format!("{vf}/physfn")), "../0000:01:00.0");
        assert_eq!(
            link(&t, &format!("{vf}/driver")),
            "../../../../bus/pci/drivers/ixgbevf"
        );
        assert_eq!(
            link(&t, &format!("{vf}/iommu_group")),
            format!("../../../../kernel/iommu_groups/{}", 17 + n)
        );
        assert_eq!(read(&t, &format!("{vf}/device")), "0x1565\n");
        assert!(!exists(&t, &format!("{vf}/sriov_numvfs")));
        assert!(exists(&t, &format!("{vf}/sriov_vf_msix_count")));
        let mac = read(&t, &format!("sys/class/net/{name}/address"));
        assert_eq!(
            u8::from_str_radix(&mac[..2], 16).unwrap() & 3,
            2,
            "locally administered unicast"
        );
    }
    assert!(t.vfs("0000:01:00.1").is_empty());
    assert_eq!(
        read(&t, "etc/vfnet/vfnet.conf"),
        "# enp1s0f0\n0000:01:00.0=4\n"
    );
    let ids = read(&t, "usr/share/misc/pci.ids");
    for line in [
        "8086  Intel Corporation",
        "\t1563  Ethernet Controller 10G X550T",
        "\t1565  X550 Virtual Function",
    ] {
        assert!(ids.lines().any(|l| l == line), "pci.ids lacks {line:?}");
    }
    let mut nets: Vec<String> = fs::read_dir(t.path("sys/class/net"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    nets.sort();
    assert_eq!(
        nets,
        [
            "enp1s0f0",
            "enp1s0f0v0",
            "enp1s0f0v1",
            "enp1s0f0v2",
            "enp1s0f0v3",
            "enp1s0f1",
            "lo"
        ]
    );
}

#[test]
fn vf_addresses_follow_offset_and_stride() {
    assert_eq!(spec::vf_addr("0000:01:00.0", 128, 2, 0), "0000:01:10.0");
    assert_eq!(spec::vf_addr("0000:01:00.0", 128, 2, 6), "0000:01:11.4");
    assert_eq!(spec::vf_addr("0000:01:00.1", 384, 2, 0), "0000:02:10.1");
    assert_eq!(spec::vf_addr("0000:00:01.0", 128, 2, 1), "0000:00:11.2");
    let m = support::x710();
    assert_eq!(m.pci_fn(PF).vf_addr(11), "0000:01:03.3");
    assert_eq!(m.pci_fn("0000:01:00.1").vf_addr(0), "0000:01:0a.0");
}

#[test]
fn every_machine_is_consistent() {
    for m in every_machine() {
        let t = Tree::build(&m);
        let root = fs::canonicalize(t.root()).unwrap();
        let snap = snapshot(t.root());
        for (rel, e) in &snap {
            let p = t.root().join(rel);
            match e {
                Entry::Link(target) => {
                    assert!(target.is_relative(), "{}: {rel:?} is absolute", m.name);
                    let real = fs::canonicalize(&p).unwrap_or_else(|e| {
                        panic!("{}: {rel:?} -> {target:?} dangles: {e}", m.name)
                    });
                    assert!(
                        real.starts_with(&root),
                        "{}: {rel:?} leaves the root",
                        m.name
                    );
                }
                Entry::Dir => {
                    let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
                    assert_eq!(mode, 0o755, "{}: {rel:?}", m.name);
                    // Empty directories would not survive git (demo/); etc/ may be.
                    assert!(
                        rel == Path::new("etc") || fs::read_dir(&p).unwrap().next().is_some(),
                        "{}: {rel:?} is empty",
                        m.name
                    );
                }
                Entry::File(_) => {}
            }
        }
        // Every netdev: a class/net link into some device's net/ dir.
        for e in fs::read_dir(t.path("sys/class/net")).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            let target = link(&t, &format!("sys/class/net/{name}"));
            assert!(target.starts_with("../../devices/"), "{}: {name}", m.name);
            assert!(
                target.ends_with(&format!("/net/{name}")),
                "{}: {name}",
                m.name
            );
            let uevent = read(&t, &format!("sys/class/net/{name}/uevent"));
            assert!(
                uevent.contains(&format!("INTERFACE={name}\n")),
                "{}: {name}",
                m.name
            );
        }
        // Every PF: as many virtfn links as sriov_numvfs, at the computed addresses.
        for pf in m.pfs() {
            let s = pf.sriov.as_ref().unwrap();
            assert_eq!(t.numvfs(&pf.addr), Some(s.num), "{}: {}", m.name, pf.addr);
            assert_eq!(t.vfs(&pf.addr), (0..s.num).collect::<Vec<_>>());
            for n in 0..s.num {
                let target = link(&t, &format!("sys/bus/pci/devices/{}/virtfn{n}", pf.addr));
                assert_eq!(target, format!("../{}", pf.vf_addr(n)));
            }
        }
        // Non-SR-IOV functions have no sriov_* files.
        for f in m.pci.iter().filter(|f| f.sriov.is_none()) {
            assert!(
                !t.pci_dir(&f.addr).join("sriov_totalvfs").exists(),
                "{}",
                f.addr
            );
        }
        check_pci_ids(&m, &read(&t, "usr/share/misc/pci.ids"));
    }
}

/// Valid pci.ids syntax, vendors and devices ascending, and a name for every id.
fn check_pci_ids(m: &Machine, text: &str) {
    let (mut vendor, mut last_vendor, mut last_device) = (None, None::<u16>, None::<u16>);
    let mut names = Vec::new();
    for line in text.lines().take_while(|l| !l.starts_with("C ")) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let hex4 = |s: &str| {
            assert!(
                s.len() == 4
                    && s.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                "{line:?}"
            );
            u16::from_str_radix(s, 16).unwrap()
        };
        if let Some(rest) = line.strip_prefix("\t\t") {
            let (ids, name) = rest.split_once("  ").expect("subsystem line");
            let (sv, sd) = ids.split_once(' ').expect("two subsystem ids");
            hex4(sv);
            hex4(sd);
            assert!(!name.is_empty());
        } else if let Some(rest) = line.strip_prefix('\t') {
            let (id, name) = rest.split_once("  ").expect("device line");
            let id = hex4(id);
            assert!(last_device < Some(id), "devices out of order at {line:?}");
            last_device = Some(id);
            names.push((vendor.unwrap(), id, name.to_string()));
        } else {
            let (id, name) = line.split_once("  ").expect("vendor line");
            let id = hex4(id);
            assert!(last_vendor < Some(id), "vendors out of order at {line:?}");
            assert!(!name.is_empty());
            (vendor, last_vendor, last_device) = (Some(id), Some(id), None);
        }
    }
    for (v, d, _) in m.ids() {
        let want = support::pciids::device_name(v, d);
        assert!(
            want.is_some(),
            "{}: no table name for {v:04x}:{d:04x}",
            m.name
        );
        assert!(
            names
                .iter()
                .any(|(nv, nd, n)| (*nv, *nd) == (v, d) && Some(n.as_str()) == want),
            "{}: pci.ids lacks {v:04x}:{d:04x}",
            m.name
        );
    }
}

#[test]
fn machines_have_their_stated_shapes() {
    let cx3 = support::connectx3();
    let pf = cx3.pci_fn("0000:03:00.0");
    let names: Vec<&str> = pf.netdevs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["enp3s0", "enp3s0d1"]);
    let t = Tree::build(&cx3);
    assert_eq!(
        link(&t, "sys/class/net/enp3s0d1/device"),
        "../../../0000:03:00.0"
    );
    assert_eq!(read(&t, "sys/class/net/enp3s0d1/dev_port"), "1\n");
    assert_eq!(t.vfs("0000:03:00.0"), [0, 1, 2, 3]);
    assert!(exists(&t, "sys/class/net/enp3s0v3"));

    let t = Tree::build(&support::x710());
    for n in 0..12 {
        let vf = t.vf_dir(PF, n);
        let driver = fs::read_link(vf.join("driver")).ok();
        let net = vf.join("net").exists();
        match n {
            3 => {
                assert_eq!(
                    driver.unwrap(),
                    Path::new("../../../../bus/pci/drivers/vfio-pci")
                );
                assert_eq!(
                    fs::read_to_string(vf.join("driver_override")).unwrap(),
                    "vfio-pci\n"
                );
                assert!(!net);
            }
            7 => assert!(driver.is_none() && !net),
            _ => assert!(driver.unwrap().ends_with("iavf") && net, "VF {n}"),
        }
    }

    let t = Tree::build(&support::no_sriov());
    assert!(!t.pci_dir("0000:03:00.0").join("sriov_totalvfs").exists());
    assert_eq!(read(&t, "sys/class/net/enp3s0/carrier"), "1\n");

    let t = Tree::build(&support::sriov_off_in_firmware());
    assert_eq!(
        fs::read_to_string(t.pci_dir(PF).join("sriov_totalvfs")).unwrap(),
        "0\n"
    );

    let t = Tree::build(&support::nvme_sriov());
    assert_eq!(
        fs::read_to_string(t.pci_dir(PF).join("sriov_totalvfs")).unwrap(),
        "32\n"
    );
    assert_eq!(
        fs::read_to_string(t.pci_dir(PF).join("class")).unwrap(),
        "0x010802\n"
    );
    assert!(!t.pci_dir(PF).join("net").exists());

    let t = Tree::build(&support::non_pci());
    assert_eq!(
        link(&t, "sys/class/net/enp0s3"),
        "../../devices/pci0000:00/0000:00:03.0/virtio0/net/enp0s3"
    );
    assert_eq!(link(&t, "sys/class/net/enp0s3/device"), "../../../virtio0");
    assert_eq!(
        link(&t, "sys/class/net/br0"),
        "../../devices/virtual/net/br0"
    );
    assert_eq!(link(&t, "sys/class/net/veth1/master"), "../br0");
    assert_eq!(
        read(&t, "sys/class/net/veth0/iflink"),
        read(&t, "sys/class/net/veth1/ifindex")
    );
    assert!(!exists(&t, "sys/kernel/iommu_groups"));

    let m = support::many(8, 128);
    assert_eq!(m.pfs().count(), 8);
    assert!(m.pfs().all(|f| f.sriov.as_ref().unwrap().num == 128));
    let mut vfs: Vec<String> = m
        .pfs()
        .flat_map(|f| (0..128).map(|n| f.vf_addr(n)))
        .collect();
    vfs.sort();
    vfs.dedup();
    assert_eq!(vfs.len(), 1024, "VF addresses collide");
}

#[test]
fn mutators() {
    let t = Tree::build(&support::x550t());
    t.make_unreadable("sys/class/net/enp1s0f0/address");
    let e = fs::read(t.path("sys/class/net/enp1s0f0/address")).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(Errno::EISDIR as i32));

    t.bind_vf_vfio(PF, 1);
    let vf = t.vf_dir(PF, 1);
    assert_eq!(
        fs::read_link(vf.join("driver")).unwrap(),
        Path::new("../../../../bus/pci/drivers/vfio-pci")
    );
    assert_eq!(
        fs::read_to_string(vf.join("driver_override")).unwrap(),
        "vfio-pci\n"
    );
    assert!(!vf.join("net").exists() && !exists(&t, "sys/class/net/enp1s0f0v1"));
    assert!(exists(&t, "sys/bus/pci/drivers/vfio-pci/0000:02:10.2"));
    assert!(!exists(&t, "sys/bus/pci/drivers/ixgbevf/0000:02:10.2"));
    t.bind_vf(PF, 1);
    assert!(exists(&t, "sys/class/net/enp1s0f0v1"));
    t.unbind_vf(PF, 2);
    assert!(!t.vf_dir(PF, 2).join("driver").exists());

    t.dangle_vf(PF, 3);
    let virtfn3 = t.pci_dir(PF).join("virtfn3");
    assert!(fs::symlink_metadata(&virtfn3).is_ok());
    assert_eq!(
        fs::metadata(&virtfn3).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert!(!exists(&t, "sys/kernel/iommu_groups/20"));
    t.remove_vf(PF, 0);
    assert!(!t.pci_dir(PF).join("virtfn0").exists() && !exists(&t, "sys/class/net/enp1s0f0v0"));

    t.set_autoprobe(PF, false);
    assert_eq!(
        fs::read_to_string(t.pci_dir(PF).join("sriov_drivers_autoprobe")).unwrap(),
        "0\n"
    );

    t.unbind_pf(PF);
    let d = t.pci_dir(PF);
    assert!(fs::symlink_metadata(d.join("driver")).is_err());
    assert_eq!(fs::read_to_string(d.join("sriov_numvfs")).unwrap(), "0\n");
    assert_eq!(
        fs::read_to_string(d.join("sriov_totalvfs")).unwrap(),
        "64\n"
    );
    assert!(!exists(&t, "sys/class/net/enp1s0f0") && t.vfs(PF).is_empty());
    assert!(
        !fs::read_to_string(d.join("uevent"))
            .unwrap()
            .contains("DRIVER=")
    );
    for g in 17..=20 {
        assert!(!exists(&t, &format!("sys/kernel/iommu_groups/{g}")));
    }
    t.bind_pf(PF);
    assert_eq!(
        fs::read_to_string(d.join("sriov_totalvfs")).unwrap(),
        "63\n"
    );
    assert!(exists(&t, "sys/class/net/enp1s0f0"));

    let t = Tree::build(&support::non_pci());
    t.unbind_pf("0000:00:03.0");
    assert!(!exists(&t, "sys/class/net/enp0s3"));
    assert!(!exists(&t, "sys/bus/virtio/devices/virtio0"));
    t.bind_pf("0000:00:03.0");
    assert_eq!(link(&t, "sys/class/net/enp0s3/device"), "../../../virtio0");
}

#[test]
fn kernel_creates_then_removes_vfs_like_sysfs_md() {
    let t = Tree::build(&support::igb_qemu());
    let before = snapshot(t.root());
    let opts = KernelOpts {
        create_delay: Duration::from_millis(300),
        netdev_delay: Duration::from_millis(500),
        ..KernelOpts::default()
    };
    let k = FakeKernel::start(&t, opts);
    write_numvfs(&t, PF, "3\n");
    // Not at once: after create_delay.
    assert!(t.vfs(PF).is_empty());
    assert_eq!(t.numvfs(PF), Some(3));
    // The netdev comes first, the driver link netdev_delay later.
    let vf2 = t.vf_dir(PF, 2);
    wait_for("eth3", || vf2.join("net/eth3").is_dir());
    assert!(t.pci_dir(PF).join("virtfn2").exists());
    assert!(fs::symlink_metadata(vf2.join("driver")).is_err());
    assert!(k.wait_idle(IDLE));
    for (n, addr) in ["0000:01:10.0", "0000:01:10.2", "0000:01:10.4"]
        .iter()
        .enumerate()
    {
        let eth = format!("eth{}", n + 1);
        let group = 4 + n;
        assert_eq!(
            link(&t, &format!("{IGB_PF_DIR}/virtfn{n}")),
            format!("../{addr}")
        );
        let vf = format!("sys/bus/pci/devices/{addr}");
        assert_eq!(
            link(&t, &vf),
            format!("../../../devices/pci0000:00/0000:00:01.0/{addr}")
        );
        assert_eq!(link(&t, &format!("{vf}/physfn")), "../0000:01:00.0");
        assert_eq!(
            link(&t, &format!("{vf}/driver")),
            "../../../../bus/pci/drivers/igbvf"
        );
        assert_eq!(
            link(&t, &format!("{vf}/iommu_group")),
            format!("../../../../kernel/iommu_groups/{group}")
        );
        assert_eq!(
            link(
                &t,
                &format!("sys/kernel/iommu_groups/{group}/devices/{addr}")
            ),
            format!("../../../../devices/pci0000:00/0000:00:01.0/{addr}")
        );
        assert_eq!(
            link(&t, &format!("sys/class/net/{eth}")),
            format!("../../devices/pci0000:00/0000:00:01.0/{addr}/net/{eth}")
        );
        assert_eq!(
            link(&t, &format!("sys/class/net/{eth}/device")),
            format!("../../../{addr}")
        );
        assert_eq!(
            read(&t, &format!("sys/class/net/{eth}/ifindex")),
            format!("{}\n", n + 3)
        );
        assert!(read(&t, &format!("{vf}/uevent")).starts_with("DRIVER=igbvf\n"));
        assert_eq!(read(&t, &format!("{vf}/device")), "0x10ca\n");
        let physfn =
            fs::canonicalize(t.path(&format!("sys/class/net/{eth}/device/physfn"))).unwrap();
        assert_eq!(physfn, fs::canonicalize(t.pci_dir(PF)).unwrap());
    }

    // Same value: nothing. A different nonzero value: EBUSY, file restored.
    write_numvfs(&t, PF, "3");
    assert!(k.wait_idle(IDLE));
    write_numvfs(&t, PF, "3\n");
    assert!(k.wait_idle(IDLE));
    assert_eq!(t.numvfs(PF), Some(3));
    assert!(k.violations().is_empty(), "{:?}", k.violations());
    write_numvfs(&t, PF, "5\n");
    assert!(k.wait_idle(IDLE));
    let v = k.violations();
    assert_eq!(v.len(), 1);
    assert_eq!(
        (
            v[0].pf.as_str(),
            v[0].written.as_str(),
            v[0].errno,
            v[0].num_vfs
        ),
        (PF, "5", Errno::EBUSY, 3)
    );
    assert_eq!(t.numvfs(PF), Some(3));
    assert_eq!(t.vfs(PF), [0, 1, 2]);

    // 3 -> 0: everything goes, back to the tree as built.
    write_numvfs(&t, PF, "0\n");
    assert!(k.wait_idle(IDLE));
    let d = diff(&before, &snapshot(t.root()));
    assert!(d.is_empty(), "left behind:\n{}", d.join("\n"));
    let writes = k.writes();
    let w: Vec<(&str, &str)> = writes
        .iter()
        .map(|(p, v)| (p.as_str(), v.as_str()))
        .collect();
    assert_eq!(w, [(PF, "3"), (PF, "3"), (PF, "3"), (PF, "5"), (PF, "0")]);
}

#[test]
fn kernel_refusals_and_their_errnos() {
    let t = Tree::build(&support::igb_qemu());
    let k = FakeKernel::start(&t, KernelOpts::instant());
    let expect = |value: &str, errno: Errno| {
        write_numvfs(&t, PF, value);
        assert!(k.wait_idle(IDLE));
        let v = k.violations();
        let last = v.last().expect("a violation");
        assert_eq!(
            (last.written.as_str(), last.errno),
            (value.strip_suffix('\n').unwrap_or(value), errno),
            "{value:?}"
        );
        assert_eq!(
            t.numvfs(PF),
            Some(t.vfs(PF).len() as u32),
            "restored after {value:?}"
        );
    };
    expect("8\n", Errno::ERANGE);
    for bad in ["abc\n", "-1\n", "65536\n", "3 \n", "\n"] {
        expect(bad, Errno::EINVAL);
    }
    write_numvfs(&t, PF, "0x2\n");
    assert!(k.wait_idle(IDLE));
    assert_eq!(
        (t.numvfs(PF), t.vfs(PF).len()),
        (Some(2), 2),
        "0x2 is 2, as kstrtou16 base 0 reads it"
    );
    expect("8\n", Errno::ERANGE); // checked before busy
    expect("1\n", Errno::EBUSY);
    // No PF driver: ENOENT, except for the same value; totalvfs is the hardware's.
    t.unbind_pf(PF);
    assert_eq!(
        fs::read_to_string(t.pci_dir(PF).join("sriov_totalvfs")).unwrap(),
        "8\n"
    );
    let n = k.violations().len();
    write_numvfs(&t, PF, "0\n");
    assert!(k.wait_idle(IDLE));
    assert_eq!(k.violations().len(), n);
    expect("2\n", Errno::ENOENT);
    expect("9\n", Errno::ERANGE);
}

#[test]
fn kernel_without_autoprobe_leaves_vfs_unbound() {
    let t = Tree::build(&support::igb_qemu());
    t.set_autoprobe(PF, false);
    let k = FakeKernel::start(&t, KernelOpts::default());
    write_numvfs(&t, PF, "2\n");
    assert!(k.wait_idle(IDLE));
    assert_eq!(t.vfs(PF), [0, 1]);
    for n in 0..2 {
        let vf = t.vf_dir(PF, n);
        assert!(fs::symlink_metadata(vf.join("driver")).is_err() && !vf.join("net").exists());
        assert_eq!(
            fs::read_link(vf.join("iommu_group")).unwrap(),
            Path::new(&format!("../../../../kernel/iommu_groups/{}", 4 + n))
        );
    }
    assert!(!exists(&t, "sys/class/net/eth1"));
}

#[test]
fn kernel_sees_every_write_even_two_quick_ones() {
    let t = Tree::build(&support::x550t());
    let k = FakeKernel::start(&t, KernelOpts::default());
    // Five back-to-back writes of the same value: five writes, all no-ops.
    for _ in 0..5 {
        write_numvfs(&t, PF, "4\n");
    }
    assert!(k.wait_idle(IDLE));
    // Each is counted; a value overwritten before the thread read it shows as "".
    let writes = k.writes();
    assert_eq!(writes.len(), 5);
    assert!(
        writes
            .iter()
            .all(|(pf, v)| pf == PF && (v == "4" || v.is_empty())),
        "{writes:?}"
    );
    assert_eq!(t.numvfs(PF), Some(4));
    assert_eq!(t.vfs(PF).len(), 4);
    write_numvfs(&t, PF, "0\n");
    assert!(k.wait_idle(IDLE));
    write_numvfs(&t, PF, "10\n");
    assert!(k.wait_idle(IDLE));
    assert_eq!(t.vfs(PF).len(), 10);
    // A writer that does not truncate: "0\n" over "10\n" leaves "0\n\n", read as 0.
    let path = t.pci_dir(PF).join("sriov_numvfs");
    let mut f = fs::OpenOptions::new().write(true).open(&path).unwrap();
    std::io::Write::write_all(&mut f, b"0\n").unwrap();
    drop(f);
    assert!(k.wait_idle(IDLE));
    assert!(t.vfs(PF).is_empty());
    assert_eq!(fs::read_to_string(&path).unwrap(), "0\n");
    assert_eq!(k.writes().len(), 8);
    assert!(k.violations().is_empty(), "{:?}", k.violations());
}

#[test]
fn kernel_names_and_probes_like_udev_and_the_driver() {
    // Pattern names with a rename: ethN first, then enp1s0f1vN.
    let t = Tree::build(&support::x550t());
    let opts = KernelOpts {
        rename_delay: Some(Duration::from_millis(600)),
        ..KernelOpts::instant()
    };
    let k = FakeKernel::start(&t, opts);
    write_numvfs(&t, "0000:01:00.1", "2\n");
    wait_for("virtfn1", || {
        t.pci_dir("0000:01:00.1").join("virtfn1").exists()
    });
    wait_for("eth1", || exists(&t, "sys/class/net/eth1"));
    assert!(exists(&t, "sys/class/net/eth0"));
    assert!(k.wait_idle(IDLE));
    assert!(!exists(&t, "sys/class/net/eth0"));
    assert_eq!(
        link(&t, "sys/class/net/enp1s0f1v1"),
        "../../devices/pci0000:00/0000:00:01.1/0000:02:10.3/net/enp1s0f1v1"
    );
    assert_eq!(
        read(&t, "sys/class/net/enp1s0f1v1/uevent"),
        "INTERFACE=enp1s0f1v1\nIFINDEX=9\n"
    );
    // New VFs take the lowest free IOMMU groups past the boot-time ones.
    assert_eq!(
        link(&t, "sys/bus/pci/devices/0000:02:10.1/iommu_group"),
        "../../../../kernel/iommu_groups/21"
    );
    drop(k);

    // A VF driver without netdevs (nvme): only the driver link.
    let t = Tree::build(&support::nvme_sriov());
    let k = FakeKernel::start(&t, KernelOpts::instant());
    write_numvfs(&t, PF, "2\n");
    assert!(k.wait_idle(IDLE));
    assert_eq!(
        link(&t, "sys/bus/pci/devices/0000:01:00.2/driver"),
        "../../../../bus/pci/drivers/nvme"
    );
    assert!(!t.vf_dir(PF, 1).join("net").exists());
    drop(k);

    // mlx4_core cannot configure SR-IOV through sysfs: ENOENT.
    let t = Tree::build(&support::connectx3());
    let k = FakeKernel::start(&t, KernelOpts::instant());
    write_numvfs(&t, "0000:03:00.0", "0\n");
    assert!(k.wait_idle(IDLE));
    assert_eq!(k.violations()[0].errno, Errno::ENOENT);
    assert_eq!(t.vfs("0000:03:00.0").len(), 4);
}

#[test]
fn stuck_kernels_never_finish() {
    let t = Tree::build(&support::igb_qemu());
    {
        let k = FakeKernel::start(&t, KernelOpts::instant().stuck(Stuck::NoDrivers));
        write_numvfs(&t, PF, "2\n");
        assert!(k.wait_idle(IDLE));
        assert_eq!(t.vfs(PF), [0, 1]);
        assert!(fs::symlink_metadata(t.vf_dir(PF, 0).join("driver")).is_err());
        assert!(!exists(&t, "sys/class/net/eth1"));
    }
    {
        let k = FakeKernel::start(&t, KernelOpts::instant().stuck(Stuck::NoRemoval));
        write_numvfs(&t, PF, "0\n");
        assert!(k.wait_idle(IDLE));
        assert_eq!(t.vfs(PF), [0, 1]);
        assert_eq!(t.numvfs(PF), Some(0));
    }
    let t = Tree::build(&support::igb_qemu());
    let k = FakeKernel::start(&t, KernelOpts::instant().stuck(Stuck::NoVfs));
    write_numvfs(&t, PF, "2\n");
    assert!(k.wait_idle(IDLE));
    std::thread::sleep(Duration::from_millis(50));
    assert!(t.vfs(PF).is_empty());
    assert_eq!(t.numvfs(PF), Some(2));
    // num_VFs is 2 for the kernel: 3 is busy.
    write_numvfs(&t, PF, "3\n");
    assert!(k.wait_idle(IDLE));
    assert_eq!(k.violations()[0].errno, Errno::EBUSY);
}

#[test]
fn build_at_refuses_a_non_empty_dir_and_mktree_names_resolve() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("x"), "").unwrap();
    let r = std::panic::catch_unwind(|| Tree::build_at(&support::non_pci(), dir.path()));
    assert!(r.is_err());
    let fresh = dir.path().join("tree");
    let t = Tree::build_at(&support::non_pci(), &fresh);
    drop(t);
    assert!(
        fresh.join("sys/class/net/lo").exists(),
        "build_at keeps its dir"
    );
    for name in support::NAMES {
        assert!(support::by_name(name).is_some(), "{name}");
    }
    assert!(support::by_name("many:2x3").is_some());
    assert!(support::by_name("nope").is_none());
}
