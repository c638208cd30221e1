//! The fake machines, built from small constructors over data: NIC models
//! (`Nic`: ids, driver, SR-IOV capability), platforms (host bridge and root
//! ports), and `card`, which puts a model's functions behind a root port.
//! Each machine function only says which cards sit where, what is up, and how
//! many VFs exist at boot. `by_name` maps the `mktree` names to them.

use super::spec::{
    ChildDev, Mac, Machine, NetDev, PciFn, Sriov, VfBinding, VfNaming, bdf, mac_add,
};

/// A NIC (or NVMe) model.
struct Nic {
    ids: (u16, u16),
    subsys: (u16, u16),
    class: u32,
    rev: u8,
    driver: &'static str,
    /// Link speed in Mb/s when up.
    speed: i32,
    /// Netdevs per PCI function (2 for a ConnectX-3, 0 for an NVMe).
    per_fn: usize,
    sriov: Option<NicSriov>,
}

struct NicSriov {
    total: u32,
    hw_total: u32,
    /// `sriov_offset` of function 0 and of the others.
    offsets: [u32; 2],
    stride: u32,
    vf_device: u16,
    vf_driver: &'static str,
    configurable: bool,
}

const ETH: u32 = 0x020000;

/// Intel X550-T2: ixgbe caps TotalVFs 64 to 63; VFs on the next bus, interleaved.
const X550T: Nic = Nic {
    ids: (0x8086, 0x1563),
    subsys: (0x8086, 0x0001),
    class: ETH,
    rev: 0x01,
    driver: "ixgbe",
    speed: 10000,
    per_fn: 1,
    sriov: Some(NicSriov {
        total: 63,
        hw_total: 64,
        offsets: [384, 384],
        stride: 2,
        vf_device: 0x1565,
        vf_driver: "ixgbevf",
        configurable: true,
    }),
};

/// Intel X710-DA2 (i40e): VFs at BUS:02.0 up for port 0, BUS:0a.0 up for port 1.
const X710: Nic = Nic {
    ids: (0x8086, 0x1572),
    subsys: (0x8086, 0x0007),
    class: ETH,
    rev: 0x02,
    driver: "i40e",
    speed: 10000,
    per_fn: 1,
    sriov: Some(NicSriov {
        total: 64,
        hw_total: 64,
        offsets: [16, 79],
        stride: 1,
        vf_device: 0x154c,
        vf_driver: "iavf",
        configurable: true,
    }),
};

/// QEMU's igb (82576), values from SYSFS.md.
const IGB_QEMU: Nic = Nic {
    ids: (0x8086, 0x10c9),
    subsys: (0x1af4, 0x1100),
    class: ETH,
    rev: 0x01,
    driver: "igb",
    speed: 1000,
    per_fn: 1,
    sriov: Some(NicSriov {
        total: 7,
        hw_total: 8,
        offsets: [128, 128],
        stride: 2,
        vf_device: 0x10ca,
        vf_driver: "igbvf",
        configurable: true,
    }),
};

/// Mellanox ConnectX-3: one function, two ports. mlx4_core has no
/// `sriov_configure`: VFs come from its num_vfs module parameter.
const CX3: Nic = Nic {
    ids: (0x15b3, 0x1003),
    subsys: (0x15b3, 0x0079),
    class: ETH,
    rev: 0x00,
    driver: "mlx4_core",
    speed: 40000,
    per_fn: 2,
    sriov: Some(NicSriov {
        total: 16,
        hw_total: 16,
        offsets: [1, 1],
        stride: 1,
        vf_device: 0x1004,
        vf_driver: "mlx4_core",
        configurable: false,
    }),
};

const RTL8168: Nic = Nic {
    ids: (0x10ec, 0x8168),
    subsys: (0x1458, 0xe000),
    class: ETH,
    rev: 0x15,
    driver: "r8169",
    speed: 1000,
    per_fn: 1,
    sriov: None,
};

/// Intel I350-T2 whose NVM has SR-IOV off: the capability is there, TotalVFs 0.
const I350_SRIOV_OFF: Nic = Nic {
    ids: (0x8086, 0x1521),
    subsys: (0x8086, 0x0002),
    class: ETH,
    rev: 0x01,
    driver: "igb",
    speed: 1000,
    per_fn: 1,
    sriov: Some(NicSriov {
        total: 0,
        hw_total: 0,
        offsets: [384, 384],
        stride: 4,
        vf_device: 0x1520,
        vf_driver: "igbvf",
        configurable: true,
    }),
};

/// Intel E810-XXV-2 (ice): 128 VFs per port, VFs from BUS:01.0.
const E810: Nic = Nic {
    ids: (0x8086, 0x159b),
    subsys: (0x8086, 0x0003),
    class: ETH,
    rev: 0x02,
    driver: "ice",
    speed: 25000,
    per_fn: 1,
    sriov: Some(NicSriov {
        total: 128,
        hw_total: 128,
        offsets: [8, 135],
        stride: 1,
        vf_device: 0x1889,
        vf_driver: "iavf",
        configurable: true,
    }),
};

/// Samsung PM1733 NVMe: SR-IOV capable, no netdev.
const PM1733: Nic = Nic {
    ids: (0x144d, 0xa824),
    subsys: (0x144d, 0xa812),
    class: 0x010802,
    rev: 0x00,
    driver: "nvme",
    speed: -1,
    per_fn: 0,
    sriov: Some(NicSriov {
        total: 32,
        hw_total: 32,
        offsets: [1, 1],
        stride: 1,
        vf_device: 0xa824,
        vf_driver: "nvme",
        configurable: true,
    }),
};

/// An Intel Data Center GPU Flex 170 (DG2), as the SR-IOV i915 drives it:
/// `sriov_totalvfs` is the driver's `max_vfs` (7 here); no netdev.
const GPU_I915: Nic = Nic {
    ids: (0x8086, 0x56c0),
    subsys: (0x8086, 0x4905),
    class: 0x038000,
    rev: 0x08,
    driver: "i915",
    speed: -1,
    per_fn: 0,
    sriov: Some(NicSriov {
        total: 7,
        hw_total: 31,
        offsets: [1, 1],
        stride: 1,
        vf_device: 0x56c0,
        vf_driver: "i915",
        configurable: true,
    }),
};

/// An Intel Arc B580 (Battlemage) under xe, loaded without max_vfs: its
/// `sriov_totalvfs` reads 0 (xe_pci_sriov.c caps it at max_vfs).
const GPU_XE: Nic = Nic {
    ids: (0x8086, 0xe20b),
    subsys: (0x8086, 0x1100),
    class: 0x030000,
    rev: 0x00,
    driver: "xe",
    speed: -1,
    per_fn: 0,
    sriov: Some(NicSriov {
        total: 0,
        hw_total: 0,
        offsets: [1, 1],
        stride: 1,
        vf_device: 0xe20b,
        vf_driver: "xe",
        configurable: true,
    }),
};

const VIRTIO_NET: Nic = Nic {
    ids: (0x1af4, 0x1000),
    subsys: (0x1af4, 0x0001),
    class: ETH,
    rev: 0x00,
    driver: "virtio-pci",
    speed: -1,
    per_fn: 1,
    sriov: None,
};

/// Host bridge and root port ids of a platform.
struct Platform {
    host: (u16, u16),
    root_port: (u16, u16),
}

const AMD_ZEN: Platform = Platform {
    host: (0x1022, 0x1450),
    root_port: (0x1022, 0x1453),
};

const INTEL_CFL: Platform = Platform {
    host: (0x8086, 0x3e30),
    root_port: (0x8086, 0x1901),
};

/// The host bridge 0000:00:00.0 (IOMMU group 0) and root ports (address, group).
fn platform(p: &Platform, root_ports: &[(&str, u32)]) -> Vec<PciFn> {
    let mut v = vec![
        PciFn::new("0000:00:00.0", "pci0000:00", p.host, 0x060000)
            .subsys(p.host.0, p.host.1)
            .group(0),
    ];
    for &(addr, group) in root_ports {
        let rp = PciFn::new(addr, "pci0000:00", p.root_port, 0x060400)
            .subsys(p.root_port.0, 0)
            .driver("pcieport")
            .group(group)
            .irq(24 + group);
        v.push(rp);
    }
    v
}

/// A card of model `nic` at BUS:00.f behind root port `root_port` (empty: on the
/// root bus), functions in IOMMU groups `group`, `group + 1`, ...; `names` are
/// its netdevs (`nic.per_fn` per function), with MACs counting up from `mac`,
/// all links down.
fn card(nic: &Nic, root_port: &str, bus: u8, group: u32, names: &[&str], mac: Mac) -> Vec<PciFn> {
    let parent = match root_port {
        "" => "pci0000:00".to_string(),
        rp => format!("pci0000:00/{rp}"),
    };
    let ports: Vec<&[&str]> = if nic.per_fn == 0 {
        vec![&[]]
    } else {
        names.chunks(nic.per_fn).collect()
    };
    let mut k = 0;
    let mut v = Vec::new();
    for (f, ports) in ports.iter().enumerate() {
        let mut p = PciFn::new(&bdf(bus, 0, f as u8), &parent, nic.ids, nic.class)
            .subsys(nic.subsys.0, nic.subsys.1)
            .rev(nic.rev)
            .driver(nic.driver)
            .group(group + f as u32)
            .irq(16 + f as u32);
        for (i, name) in ports.iter().enumerate() {
            let mut d = NetDev::ether(name, mac_add(mac, k)).port(i as u32);
            d.speed = nic.speed;
            p = p.netdev(d);
            k += 1;
        }
        if let Some(s) = &nic.sriov {
            let mut sr = Sriov::new(
                s.total,
                s.offsets[f.min(1)],
                s.stride,
                s.vf_device,
                s.vf_driver,
            );
            sr.hw_total = s.hw_total;
            sr.configurable = s.configurable;
            p = p.sriov(sr);
        }
        v.push(p);
    }
    v
}

/// Puts the netdevs called `names` link up (at their NIC's speed).
fn link_up(pci: &mut [PciFn], names: &[&str]) {
    for d in pci.iter_mut().flat_map(|f| f.netdevs.iter_mut()) {
        if names.contains(&d.name.as_str()) {
            d.up = true;
        }
    }
}

/// The SR-IOV capability of PF `addr` in `pci`.
fn sriov_of<'a>(pci: &'a mut [PciFn], addr: &str) -> &'a mut Sriov {
    let f = pci.iter_mut().find(|f| f.addr == addr).expect("no such PF");
    f.sriov_mut()
}

/// Sets the number of VFs PF `addr` has at boot.
fn with_vfs(pci: &mut [PciFn], addr: &str, num: u32) {
    sriov_of(pci, addr).num = num;
}

/// br0 with veth1 in it, veth0 its peer: what a container host has.
fn bridge_and_veths() -> Vec<NetDev> {
    vec![
        NetDev::bridge("br0", [0x6e, 0x3a, 0xf2, 0x00, 0x4c, 0x01]).up(-1),
        NetDev::veth("veth0", "veth1", [0x9a, 0x1c, 0x57, 0x3e, 0x02, 0xb0]),
        NetDev::veth("veth1", "veth0", [0x6e, 0x3a, 0xf2, 0x00, 0x4c, 0x01]).master("br0"),
    ]
}

const X550T_MAC: Mac = [0xa0, 0x36, 0x9f, 0x8a, 0x5c, 0x10];
const CX3_MAC: Mac = [0x00, 0x02, 0xc9, 0x4e, 0x7a, 0x10];
const RTL_MAC: Mac = [0x18, 0xc0, 0x4d, 0x21, 0x9e, 0x07];

fn x550t_card(pci: &mut Vec<PciFn>) {
    let names = ["enp1s0f0", "enp1s0f1"];
    pci.extend(card(&X550T, "0000:00:01.1", 1, 15, &names, X550T_MAC));
    link_up(pci, &["enp1s0f0"]);
    with_vfs(pci, "0000:01:00.0", 4);
}

fn cx3_card(pci: &mut Vec<PciFn>, root_port: &str) {
    let names = ["enp3s0", "enp3s0d1"];
    pci.extend(card(&CX3, root_port, 3, 12, &names, CX3_MAC));
    link_up(pci, &["enp3s0"]);
    with_vfs(pci, "0000:03:00.0", 4);
}

/// The original README's machine: an X550-T2 at 0000:01:00.0/.1 (ixgbe,
/// enp1s0f0 up / enp1s0f1, IOMMU groups 15/16, 63 VFs each), 4 VFs on port 0
/// (0000:02:10.0/.2/.4/.6, enp1s0f0v0..v3, ixgbevf, groups 17-20), lo, and the
/// config entry `0000:01:00.0=4` under `# enp1s0f0`.
pub fn x550t() -> Machine {
    let mut pci = platform(&AMD_ZEN, &[("0000:00:01.1", 1)]);
    x550t_card(&mut pci);
    Machine::new("x550t", pci, vec![NetDev::lo()]).with_config("# enp1s0f0\n0000:01:00.0=4\n")
}

/// A ConnectX-3 at 0000:03:00.0 (mlx4_core, netdevs enp3s0 up / enp3s0d1, group
/// 12), 16 VFs possible, 4 present (0000:03:00.1-.4, enp3s0v0..v3, groups
/// 13-16). Writing sriov_numvfs gives ENOENT: mlx4_core has no sriov_configure.
pub fn connectx3() -> Machine {
    let mut pci = platform(&INTEL_CFL, &[("0000:00:01.0", 1)]);
    cx3_card(&mut pci, "0000:00:01.0");
    Machine::new("connectx3", pci, vec![NetDev::lo()])
}

/// An X710-DA2 at 0000:01:00.0/.1 (i40e, enp1s0f0 up / enp1s0f1, groups 22/23,
/// 64 VFs each) with 12 VFs on port 0 (0000:01:02.0-01:03.3, groups 24-35):
/// VF 3 bound to vfio-pci, VF 7 unbound, the rest iavf with netdevs enp1s0f0vN.
pub fn x710() -> Machine {
    let mut pci = platform(&INTEL_CFL, &[("0000:00:01.0", 1)]);
    let names = ["enp1s0f0", "enp1s0f1"];
    pci.extend(card(
        &X710,
        "0000:00:01.0",
        1,
        22,
        &names,
        [0x3c, 0xfd, 0xfe, 0xa1, 0xb2, 0xc0],
    ));
    link_up(&mut pci, &["enp1s0f0"]);
    with_vfs(&mut pci, "0000:01:00.0", 12);
    sriov_of(&mut pci, "0000:01:00.0").bindings =
        vec![(3, VfBinding::VfioPci), (7, VfBinding::Unbound)];
    Machine::new("x710", pci, vec![NetDev::lo()])
}

/// An on-board Realtek RTL8111 at 0000:03:00.0 (r8169, enp3s0 up, group 9):
/// no SR-IOV capability, no sriov_* files.
pub fn no_sriov() -> Machine {
    let mut pci = platform(&INTEL_CFL, &[("0000:00:1c.0", 8)]);
    pci.extend(card(&RTL8168, "0000:00:1c.0", 3, 9, &["enp3s0"], RTL_MAC));
    link_up(&mut pci, &["enp3s0"]);
    Machine::new("no_sriov", pci, vec![NetDev::lo()])
}

/// An I350-T2 at 0000:01:00.0/.1 (igb, enp1s0f0/enp1s0f1, groups 14/15) whose
/// firmware has SR-IOV off: sriov_totalvfs reads 0.
pub fn sriov_off_in_firmware() -> Machine {
    let mut pci = platform(&INTEL_CFL, &[("0000:00:01.0", 1)]);
    let names = ["enp1s0f0", "enp1s0f1"];
    pci.extend(card(
        &I350_SRIOV_OFF,
        "0000:00:01.0",
        1,
        14,
        &names,
        [0xa0, 0x36, 0x9f, 0x3d, 0x11, 0x4a],
    ));
    Machine::new("sriov_off_in_firmware", pci, vec![NetDev::lo()])
}

/// A Samsung PM1733 NVMe at 0000:01:00.0 (nvme, group 13): 32 VFs possible,
/// none enabled, no netdev; only lo as a netdev.
pub fn nvme_sriov() -> Machine {
    let mut pci = platform(&INTEL_CFL, &[("0000:00:01.0", 1)]);
    pci.extend(card(&PM1733, "0000:00:01.0", 1, 13, &[], [0; 6]));
    Machine::new("nvme_sriov", pci, vec![NetDev::lo()])
}

/// An Intel Flex 170 GPU at 0000:03:00.0 under the SR-IOV i915 (group 11,
/// 7 VFs allowed, `vfs` of them made), and an Arc B580 under xe at
/// 0000:04:00.0 (group 12, no VFs allowed yet); no netdev but lo.
pub fn intel_gpus(vfs: u32) -> Machine {
    let mut pci = platform(&INTEL_CFL, &[("0000:00:01.0", 1), ("0000:00:1c.0", 8)]);
    pci.extend(card(&GPU_I915, "0000:00:01.0", 3, 11, &[], [0; 6]));
    pci.extend(card(&GPU_XE, "0000:00:1c.0", 4, 12, &[], [0; 6]));
    with_vfs(&mut pci, "0000:03:00.0", vfs);
    Machine::new("intel_gpus", pci, vec![NetDev::lo()])
}

/// SYSFS.md's QEMU guest: q35 (00:00.0 group 0, root port 00:01.0 group 1,
/// 00:1f.0/.2/.3 group 2), igb PF 0000:01:00.0 (eth0 down, 52:54:00:12:34:56,
/// ifindex 2, irq 21, group 3), totalvfs 7 (8 unbound), offset 128, stride 2,
/// no VFs yet; VFs 0000:01:10.0, 10.2, ... get groups 4.. and names eth1...
pub fn igb_qemu() -> Machine {
    let q35 = |addr, ids, class| {
        PciFn::new(addr, "pci0000:00", ids, class)
            .subsys(0x1af4, 0x1100)
            .group(2)
            .rev(0x02)
    };
    let mut pci = vec![
        PciFn::new("0000:00:00.0", "pci0000:00", (0x8086, 0x29c0), 0x060000)
            .subsys(0x1af4, 0x1100)
            .group(0),
        PciFn::new("0000:00:01.0", "pci0000:00", (0x1b36, 0x000c), 0x060400)
            .subsys(0x1b36, 0x0000)
            .driver("pcieport")
            .group(1)
            .irq(24),
        q35("0000:00:1f.0", (0x8086, 0x2918), 0x060100).driver("lpc_ich"),
        q35("0000:00:1f.2", (0x8086, 0x2922), 0x010601)
            .driver("ahci")
            .irq(34),
        q35("0000:00:1f.3", (0x8086, 0x2930), 0x0c0500)
            .driver("i801_smbus")
            .irq(16),
    ];
    let mut igb = card(
        &IGB_QEMU,
        "0000:00:01.0",
        1,
        3,
        &["eth0"],
        [0x52, 0x54, 0x00, 0x12, 0x34, 0x56],
    );
    igb[0].irq = 21;
    igb[0].sriov_mut().naming = VfNaming::Kernel;
    pci.extend(igb);
    Machine::new("igb_qemu", pci, vec![NetDev::lo()])
}

/// A VM with no IOMMU: a virtio NIC at 0000:00:03.0 on the root bus (netdev
/// enp0s3 under virtio0, not under the PCI function), lo, bridge br0, veth0/veth1
/// (veth1 in br0). No SR-IOV anywhere.
pub fn non_pci() -> Machine {
    let mut pci =
        vec![PciFn::new("0000:00:00.0", "pci0000:00", (0x8086, 0x1237), 0x060000).rev(0x02)];
    let mut nic = card(
        &VIRTIO_NET,
        "",
        0,
        0,
        &["enp0s3"],
        [0x52, 0x54, 0x00, 0xab, 0xcd, 0x03],
    );
    nic[0].addr = bdf(0, 3, 0);
    nic[0].iommu_group = None;
    nic[0].irq = 11;
    nic[0].netdevs[0].up = true;
    nic[0].child = Some(ChildDev {
        name: "virtio0".into(),
        bus: "virtio".into(),
        driver: "virtio_net".into(),
        attrs: vec![
            ("device".into(), "0x0001".into()),
            ("vendor".into(), "0x1af4".into()),
        ],
    });
    pci.extend(nic);
    let mut virt = vec![NetDev::lo()];
    virt.extend(bridge_and_veths());
    Machine::new("non_pci", pci, virt)
}

/// For benchmarks: `pfs` E810 ports (two per card, card c at bus 1 + c*span
/// behind root port 0000:00:(1 + c/4).(c%4), PFs enp<bus>s0f0/f1, NUMA node c % 2), each
/// with `vfs_per_pf` VFs bound to iavf with netdevs `<pf>v<n>` and MACs.
pub fn many(pfs: u32, vfs_per_pf: u32) -> Machine {
    let total = vfs_per_pf.max(128);
    let span = (8 + 2 * total) / 256 + 1;
    let cards = pfs.div_ceil(2);
    assert!(
        cards <= 31 * 4 && cards * span < 255,
        "many({pfs}, {vfs_per_pf}) does not fit"
    );
    let rps: Vec<(String, u32)> = (0..cards)
        .map(|c| (bdf(0, 1 + (c / 4) as u8, (c % 4) as u8), 1 + 3 * c))
        .collect();
    let rp_refs: Vec<(&str, u32)> = rps.iter().map(|(a, g)| (a.as_str(), *g)).collect();
    let mut pci = platform(&INTEL_CFL, &rp_refs);
    for c in 0..cards {
        let bus = (1 + c * span) as u8;
        let ports = (pfs - 2 * c).min(2);
        let names: Vec<String> = (0..ports).map(|f| format!("enp{bus}s0f{f}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let mac = mac_add([0xb4, 0x96, 0x91, 0x10, 0x00, 0x00], 16 * c);
        for mut f in card(&E810, &rps[c as usize].0, bus, 2 + 3 * c, &names, mac) {
            f.numa_node = (c % 2) as i32;
            let s = f.sriov_mut();
            s.total = total;
            s.hw_total = total;
            if s.offset != 8 {
                // Port 1's VFs follow port 0's.
                s.offset = 8 + total - 1;
            }
            s.num = vfs_per_pf;
            pci.push(f);
        }
    }
    Machine::new(&format!("many:{pfs}x{vfs_per_pf}"), pci, vec![NetDev::lo()])
}

/// A workstation: the x550t card (as in `x550t()`), an NVMe with SR-IOV at
/// 0000:02:00.0 (group 10), the ConnectX-3 at 0000:03:00.0 (as in
/// `connectx3()`), an on-board RTL8111 at 0000:04:00.0 (enp4s0), lo, br0 and a
/// veth pair; config with the x550t entry.
pub fn workstation() -> Machine {
    let rps = [
        ("0000:00:01.1", 1),
        ("0000:00:01.2", 2),
        ("0000:00:03.1", 3),
        ("0000:00:03.2", 4),
    ];
    let mut pci = platform(&AMD_ZEN, &rps);
    x550t_card(&mut pci);
    pci.extend(card(&PM1733, "0000:00:01.2", 2, 10, &[], [0; 6]));
    cx3_card(&mut pci, "0000:00:03.1");
    pci.extend(card(&RTL8168, "0000:00:03.2", 4, 13, &["enp4s0"], RTL_MAC));
    link_up(&mut pci, &["enp4s0"]);
    let mut virt = vec![NetDev::lo()];
    virt.extend(bridge_and_veths());
    Machine::new("workstation", pci, virt).with_config("# enp1s0f0\n0000:01:00.0=4\n")
}

/// The machine names `by_name` knows (`many:PxV` takes any P, V).
pub const NAMES: &[&str] = &[
    "x550t",
    "connectx3",
    "x710",
    "no_sriov",
    "sriov_off_in_firmware",
    "nvme_sriov",
    "igb_qemu",
    "non_pci",
    "workstation",
    "many:8x128",
];

/// The machine called `name` (one of `NAMES`, or `many:PxV`).
pub fn by_name(name: &str) -> Option<Machine> {
    Some(match name {
        "x550t" => x550t(),
        "connectx3" => connectx3(),
        "x710" => x710(),
        "no_sriov" => no_sriov(),
        "sriov_off_in_firmware" => sriov_off_in_firmware(),
        "nvme_sriov" => nvme_sriov(),
        "intel_gpus" => intel_gpus(2),
        "igb_qemu" => igb_qemu(),
        "non_pci" => non_pci(),
        "workstation" => workstation(),
        _ => {
            let (p, v) = name.strip_prefix("many:")?.split_once('x')?;
            many(p.parse().ok()?, v.parse().ok()?)
        }
    })
}
