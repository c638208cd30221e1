//! `vfnet set DEV N` against a fake kernel: it waits for the VFs, goes
//! through 0 when it must, never makes a write the kernel would refuse,
//! respects its deadline, and turns bad input into one line and no change.

mod support;

use std::time::{Duration, Instant};
use support::*;

const PF: &str = "0000:01:00.0";

fn writes(k: &FakeKernel) -> Vec<String> {
    k.writes().into_iter().map(|(_, v)| v).collect()
}

#[test]
fn creating_vfs_returns_once_they_have_netdevs_and_shows_them() {
    let tree = Tree::build(&igb_qemu());
    let k = FakeKernel::start(&tree, KernelOpts::default());
    let r = vfnet(tree.root(), &["set", "eth0", "3"]);
    r.code(0).out_has("eth0 (0000:01:00.0): 0 -> 3 VFs in ");
    // The moment set returns, the VFs exist with netdevs, drivers and groups.
    assert_eq!(tree.vfs(PF), [0, 1, 2]);
    for n in 0..3 {
        let vf = tree.vf_dir(PF, n);
        assert!(
            vf.join("driver").exists() && vf.join("net").read_dir().unwrap().count() == 1,
            "VF {n}"
        );
        assert!(vf.join("iommu_group").exists());
    }
    for (addr, iface, group) in [
        ("0000:01:10.0", "eth1", "4"),
        ("0000:01:10.2", "eth2", "5"),
        ("0000:01:10.4", "eth3", "6"),
    ] {
        let row = r
            .stdout
            .lines()
            .find(|l| l.starts_with(addr))
            .unwrap_or_else(|| panic!("{addr} not shown"));
        assert!(
            row.contains(iface) && row.contains("igbvf"),
            "{row} {group}"
        );
    }
    assert_eq!(writes(&k), ["3"]);
    assert_eq!(k.violations(), []);
}

#[test]
fn changing_a_nonzero_count_goes_through_zero() {
    let tree = Tree::build(&igb_qemu());
    let k = FakeKernel::start(&tree, KernelOpts::default());
    vfnet(tree.root(), &["set", "eth0", "3"]).code(0);
    vfnet(tree.root(), &["set", "eth0", "5"])
        .code(0)
        .out_has("3 -> 5 VFs");
    assert_eq!(tree.vfs(PF).len(), 5);
    vfnet(tree.root(), &["set", "eth0", "2"])
        .code(0)
        .out_has("5 -> 2 VFs");
    vfnet(tree.root(), &["set", "eth0", "0"])
        .code(0)
        .out_has("2 -> 0 VFs");
    assert_eq!(tree.vfs(PF), Vec::<u32>::new());
    assert_eq!(writes(&k), ["3", "0", "5", "0", "2", "0"]);
    assert_eq!(k.violations(), []);
}

#[test]
fn the_current_count_is_left_alone() {
    let tree = Tree::build(&x550t());
    let k = FakeKernel::start(&tree, KernelOpts::default());
    vfnet(tree.root(), &["set", "enp1s0f0", "4"])
        .code(0)
        .out_has("enp1s0f0 (0000:01:00.0) already has 4 VFs: nothing to do.");
    assert_eq!(writes(&k), Vec::<String>::new());
}

#[test]
fn by_pci_address_in_either_form_and_with_udev_renaming() {
    let tree = Tree::build(&x550t());
    let opts = KernelOpts {
        rename_delay: Some(Duration::from_millis(30)),
        ..KernelOpts::default()
    };
    let k = FakeKernel::start(&tree, opts);
    vfnet(tree.root(), &["set", "0000:01:00.1", "2"])
        .code(0)
        .out_has("enp1s0f1 (0000:01:00.1): 0 -> 2 VFs");
    vfnet(tree.root(), &["set", "01:00.1", "3"])
        .code(0)
        .out_has("2 -> 3 VFs");
    assert_eq!(tree.vfs("0000:01:00.1").len(), 3);
    assert_eq!(k.violations(), []);
}

#[test]
fn more_vfs_than_the_device_allows_is_refused_before_writing() {
    let tree = Tree::build(&igb_qemu());
    let k = FakeKernel::start(&tree, KernelOpts::default());
    vfnet(tree.root(), &["set", "eth0", "8"])
        .code(1)
        .one_error("eth0 (0000:01:00.0): 8 VFs is more than the device allows (at most 7)");
    vfnet(tree.root(), &["set", "eth0", "65535"])
        .code(1)
        .one_error("at most 7");
    let tree2 = Tree::build(&sriov_off_in_firmware());
    vfnet(tree2.root(), &["set", "0000:01:00.0", "1"])
        .code(1)
        .one_error("SR-IOV is disabled in the device's firmware");
    assert_eq!(writes(&k), Vec::<String>::new());
}

#[test]
fn a_pf_without_a_driver_is_explained() {
    let tree = Tree::build(&igb_qemu());
    tree.unbind_pf(PF);
    let k = FakeKernel::start(&tree, KernelOpts::default());
    let before = snapshot(tree.root());
    vfnet(tree.root(), &["set", PF, "2"])
        .code(1)
        .one_error("no driver is bound to the PF 0000:01:00.0");
    assert_eq!(diff(&before, &snapshot(tree.root())), Vec::<String>::new());
    assert_eq!(k.violations(), []);
}

#[test]
fn bad_input_is_one_line_and_changes_nothing() {
    let tree = Tree::build(&x550t());
    let k = FakeKernel::start(&tree, KernelOpts::default());
    let before = snapshot(tree.root());
    let usage: &[(&[&str], &str)] = &[
        (&["set"], "set: missing DEV"),
        (&["set", "enp1s0f0"], "set: missing N"),
        (
            &["set", "enp1s0f0", "abc"],
            "N must be a number of VFs (0 or more), not 'abc'",
        ),
        (&["set", "enp1s0f0", "-1"], "negative"),
        (&["set", "enp1s0f0", "3.5"], "not '3.5'"),
        (&["set", "enp1s0f0", "99999999999"], "N is too large"),
        (&["set", "enp1s0f0", "3", "4"], "unexpected argument"),
        (
            &["set", "enp1s0f0", "3", "--bogus"],
            "invalid option '--bogus'",
        ),
        (&["set", "../../etc", "3"], "cannot contain '/'"),
        (&["set", "..", "3"], "cannot be \".\" or \"..\""),
        (&["set", "en p1", "3"], "whitespace"),
        (&["set", "", "3"], "cannot be empty"),
        (&["set", "abcdefghijklmnop", "3"], "at most 15 bytes"),
        (&["set", "0000:01:00", "3"], "not a PCI address"),
        (&["set", "enp1s0f0", "3", "--timeout", "-5"], "--timeout"),
    ];
    for (args, want) in usage {
        vfnet(tree.root(), args).code(2).one_error(want);
    }
    let failures: &[(&[&str], &str)] = &[
        (&["set", "eth9", "3"], "no network interface named eth9"),
        (&["set", "0000:09:00.0", "3"], "no PCI device 0000:09:00.0"),
        (
            &["set", "enp1s0f0v1", "3"],
            "enp1s0f0v1 (0000:02:10.2) is a virtual function of enp1s0f0 (0000:01:00.0): set the VF count on its PF (vfnet set enp1s0f0 N)",
        ),
        (
            &["set", "0000:02:10.4", "3"],
            "is a virtual function of enp1s0f0",
        ),
        (&["set", "lo", "3"], "lo is not a PCI network function"),
        (&["set", "enp1s0f1", "64"], "at most 63"),
    ];
    for (args, want) in failures {
        vfnet(tree.root(), args).code(1).one_error(want);
    }
    let no_sriov = Tree::build(&no_sriov());
    vfnet(no_sriov.root(), &["set", "enp3s0", "1"])
        .code(1)
        .one_error("enp3s0 (0000:03:00.0) does not support SR-IOV");
    assert_eq!(diff(&before, &snapshot(tree.root())), Vec::<String>::new());
    assert_eq!(writes(&k), Vec::<String>::new());
}

#[test]
fn a_kernel_that_never_creates_the_vfs_hits_the_deadline() {
    let tree = Tree::build(&igb_qemu());
    let _k = FakeKernel::start(&tree, KernelOpts::default().stuck(Stuck::NoVfs));
    let start = Instant::now();
    vfnet(tree.root(), &["set", "eth0", "3", "--timeout", "0.5"])
        .code(1)
        .one_error("eth0 (0000:01:00.0): 3 was written to sriov_numvfs (it reads 3), but the deadline came after 0.50 s: the kernel shows 0 of 3 VFs, 0 with a driver");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[test]
fn a_kernel_that_never_removes_the_vfs_is_given_its_grace_then_reported() {
    // The deadline (0.3 s) governs waiting, not finishing: once 0 is
    // written, the kernel gets its 5 s to remove the VFs, so that N can be
    // written. Here it never does: 2 is never written while VFs remain, and
    // vfnet says exactly where the PF stands.
    let tree = Tree::build(&x550t());
    let k = FakeKernel::start(&tree, KernelOpts::default().stuck(Stuck::NoRemoval));
    let start = Instant::now();
    let r = vfnet(tree.root(), &["set", "enp1s0f0", "2", "-t", "0.3"]);
    r.code(1)
        .progress_has("enp1s0f0 (0000:01:00.0): waiting for the kernel to remove its VFs (4 still there) (under --root")
        .err_has(
            "enp1s0f0 (0000:01:00.0): 0 was written, but after 5.00 s the kernel still shows 4 VFs (sriov_numvfs 0); \
             the new count was not written",
        );
    assert!(start.elapsed() >= Duration::from_secs(5));
    assert_eq!(r.stderr.lines().count(), 2, "{}", r.stderr);
    // Every write seen by the fake kernel (it is stuck, so it may not report idle).
    let _ = k.wait_idle(Duration::from_secs(2));
    assert_eq!(writes(&k), ["0"], "2 is never written while VFs remain");
}

#[test]
fn vfs_no_driver_claims_are_waited_for_briefly_then_reported() {
    let tree = Tree::build(&igb_qemu());
    let _k = FakeKernel::start(&tree, KernelOpts::default().stuck(Stuck::NoDrivers));
    let start = Instant::now();
    let r = vfnet(tree.root(), &["set", "eth0", "2"]);
    r.code(0)
        .out_has("note: 2 VFs without a driver: no driver took them, or one gave up on them (dmesg may say why)");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn with_autoprobe_off_no_driver_is_waited_for() {
    let tree = Tree::build(&igb_qemu());
    tree.set_autoprobe(PF, false);
    let _k = FakeKernel::start(&tree, KernelOpts::default());
    let start = Instant::now();
    let r = vfnet(tree.root(), &["set", "eth0", "2"]);
    r.code(0);
    assert!(!r.stdout.contains("note:"), "{}", r.stdout);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    let row = r
        .stdout
        .lines()
        .find(|l| l.starts_with("0000:01:10.0"))
        .unwrap();
    assert!(row.starts_with("0000:01:10.0  -  "), "{row}");
}

#[test]
fn two_sets_at_once_are_serialized() {
    let tree = Tree::build(&igb_qemu());
    std::fs::create_dir(tree.path("run")).unwrap();
    let k = FakeKernel::start(&tree, KernelOpts::default());
    vfnet(tree.root(), &["set", "eth0", "2"]).code(0);
    let spawn = |n: &str| {
        support::run::command(tree.root(), &["set", "eth0", n])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn("3"), spawn("5"));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() && b.status.success(), "{a:?} {b:?}");
    assert!(k.wait_idle(Duration::from_secs(5)));
    let n = tree.vfs(PF).len() as u32;
    assert!(n == 3 || n == 5, "{n}");
    assert_eq!(tree.numvfs(PF), Some(n));
    assert_eq!(k.violations(), []);
    let w = writes(&k);
    assert!(
        w == ["2", "0", "3", "0", "5"] || w == ["2", "0", "5", "0", "3"],
        "{w:?}"
    );
    assert!(
        tree.path("run/vfnet/lock").exists(),
        "the lock lives in /run/vfnet"
    );
}

#[test]
fn without_permission_the_advice_is_to_run_as_root() {
    let tree = Tree::build(&igb_qemu());
    let numvfs = tree.pci_dir(PF).join("sriov_numvfs");
    let mut c = support::run::command(tree.root(), &["set", "eth0", "2"]);
    if support::run::is_root() {
        use std::os::unix::process::CommandExt;
        // The tree's files are root's, 0644: like /sys for anyone else.
        std::fs::set_permissions(
            tree.path("etc"),
            std::os::unix::fs::PermissionsExt::from_mode(0o777),
        )
        .unwrap();
        c.uid(65534).gid(65534);
    } else {
        std::fs::set_permissions(&numvfs, std::os::unix::fs::PermissionsExt::from_mode(0o444))
            .unwrap();
    }
    let before = std::fs::read_to_string(&numvfs).unwrap();
    support::run::output(c)
        .code(1)
        .one_error("permission denied writing sriov_numvfs: run vfnet as root");
    assert_eq!(std::fs::read_to_string(&numvfs).unwrap(), before);
}

#[test]
fn autoprobe_off_gives_vfs_without_a_driver() {
    let tree = Tree::build(&igb_qemu());
    let _k = FakeKernel::start(&tree, KernelOpts::default());
    let r = vfnet(tree.root(), &["set", "eth0", "2", "--autoprobe", "off"]);
    r.code(0).out_has("eth0 (0000:01:00.0): autoprobe off.");
    assert_eq!(
        std::fs::read_to_string(tree.pci_dir(PF).join("sriov_drivers_autoprobe"))
            .unwrap()
            .trim(),
        "0"
    );
    assert!(!tree.vf_dir(PF, 0).join("driver").exists());
    vfnet(tree.root(), &["set", "eth0", "2", "--autoprobe", "maybe"])
        .code(2)
        .one_error("--autoprobe takes on or off (yes/no, true/false), not 'maybe'");
    // Every boolean spelling vfnet takes elsewhere.
    let r = vfnet(tree.root(), &["set", "eth0", "2", "--autoprobe", "yes"]);
    r.code(0).out_has("autoprobe on.");
}

#[test]
fn vfs_no_driver_takes_are_explained_by_the_kernel_log_when_it_says_why() {
    // An NVMe drive's VFs: the driver is loaded but gives up on them (QEMU's
    // secondary controllers start offline). No guess about a missing module.
    let tree = Tree::build(&igb_qemu());
    let _k = FakeKernel::start(&tree, KernelOpts::default().stuck(Stuck::NoDrivers));
    std::fs::create_dir_all(tree.path("dev")).unwrap();
    let vf = tree.vf_addr("0000:01:00.0", 1);
    std::fs::write(
        tree.path("dev/kmsg"),
        format!(
            "6,1,1,-;pci {vf}: [8086:10ca] type 00 class 0x020000\n SUBSYSTEM=pci\n DEVICE=+pci:{vf}\n\
             4,2,2,-;nvme nvme1: Device not ready; aborting initialisation, CSTS=0x2\n SUBSYSTEM=pci\n DEVICE=+pci:{vf}\n\
             6,3,3,-;nvme {vf}: enabling device (0000 -> 0002)\n"
        ),
    )
    .unwrap();
    let r = vfnet(tree.root(), &["set", "eth0", "2"]);
    r.code(0).out_has(
        "note: 2 VFs without a driver: the kernel log says: nvme nvme1: Device not ready; aborting initialisation, CSTS=0x2.",
    );
    assert!(!r.stdout.contains("module"), "{}", r.stdout);
}

/// `--eswitch` goes through devlink, which a fake tree has not: one line,
/// nothing written, no lock file. A bad mode is a usage error.
#[test]
fn eswitch_modes_need_devlink_and_bad_ones_are_usage_errors() {
    let tree = Tree::build(&x550t());
    let k = FakeKernel::start(&tree, KernelOpts::default());
    let before = snapshot(tree.root());
    vfnet(tree.root(), &["set", "enp1s0f0", "2", "--eswitch", "switchdev"])
        .code(1)
        .one_error(
            "enp1s0f0 (0000:01:00.0): eswitch switchdev: eswitch modes go through the kernel's devlink: not available under --root",
        );
    vfnet(
        tree.root(),
        &["set", "enp1s0f0", "2", "--eswitch", "offload"],
    )
    .code(2)
    .one_error("--eswitch takes legacy or switchdev, not 'offload'");
    vfnet(tree.root(), &["set", "enp1s0f0", "2", "--eswitch"])
        .code(2)
        .one_error("--eswitch");
    assert_eq!(diff(&before, &snapshot(tree.root())), Vec::<String>::new());
    assert_eq!(writes(&k), Vec::<String>::new());
}
