//! `vfnet doctor`: a healthy machine passes, and each set-up problem is
//! found and explained with its fix.

mod support;

use serde_json::Value;
use support::*;

const PF: &str = "0000:01:00.0";

/// The QEMU igb machine with 2 VFs, as a well set-up host has it: IOMMU on,
/// vfio-pci available, the config matching, vfnet installed for systemd.
fn healthy() -> Tree {
    let mut m = igb_qemu();
    m.pci_fn_mut(PF).sriov.as_mut().unwrap().num = 2;
    let tree = Tree::build(&m.with_config("# eth0\n0000:01:00.0=2\n"));
    let w = |p: &str, s: &str| {
        let p = tree.path(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, s).unwrap();
    };
    w(
        "proc/cmdline",
        "BOOT_IMAGE=/vmlinuz root=/dev/vda1 intel_iommu=on iommu=pt\n",
    );
    w("proc/sys/kernel/osrelease", "6.12.95+deb12-amd64\n");
    w(
        "lib/modules/6.12.95+deb12-amd64/modules.dep",
        "kernel/drivers/vfio/pci/vfio-pci.ko.xz: kernel/drivers/vfio/pci/vfio-pci-core.ko.xz\n",
    );
    std::fs::create_dir_all(tree.path("sys/class/iommu/dmar0")).unwrap();
    w("lib/systemd/systemd", "");
    vfnet(tree.root(), &["install", "--init", "systemd"]).code(0);
    tree
}

fn doctor(tree: &Tree, args: &[&str]) -> (Run, Vec<Value>) {
    let mut all = vec!["doctor"];
    all.extend_from_slice(args);
    let text = vfnet(tree.root(), &all);
    all.push("--json");
    let r = vfnet(tree.root(), &all);
    let doc: Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    assert_eq!(doc["ok"], r.code == 0);
    (text, doc["findings"].as_array().unwrap().clone())
}

/// The failed findings as `check: message`.
fn failures(findings: &[Value]) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f["ok"] == false)
        .map(|f| {
            format!(
                "{}: {}",
                f["check"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_healthy_host_passes() {
    let tree = healthy();
    let (text, findings) = doctor(&tree, &[]);
    text.code(0);
    assert_eq!(failures(&findings), Vec::<String>::new(), "{}", text.stdout);
    for want in [
        "ok   iommu       IOMMU on: ",
        "(intel_iommu=on iommu=pt)",
        "ok   vfio-pci    vfio-pci is available",
        "ok   firmware    eth0 (0000:01:00.0): SR-IOV capable: up to 7 VFs",
        "ok   driver      eth0 (0000:01:00.0): driver igb bound",
        "ok   iommu-group eth0 (0000:01:00.0): each of its 2 VFs in an IOMMU group of its own",
        "ok   config      eth0 (0000:01:00.0): 2 VFs as configured",
        "ok   boot        applied at boot by: systemd",
    ] {
        text.out_has(want);
    }
}

#[test]
fn each_problem_is_found_with_its_fix() {
    type Break = fn(&Tree);
    let cases: &[(&str, Break, &str, &str)] = &[
        (
            "no IOMMU",
            |t| {
                std::fs::remove_dir_all(t.path("sys/kernel/iommu_groups")).unwrap();
                std::fs::remove_dir_all(t.path("sys/class/iommu")).unwrap();
            },
            "iommu: no IOMMU: /sys/class/iommu has 0 entries, 0 IOMMU groups (intel_iommu=on iommu=pt)",
            "enable VT-d",
        ),
        (
            "no vfio-pci",
            |t| std::fs::remove_dir_all(t.path("lib/modules")).unwrap(),
            "vfio-pci: vfio-pci is neither loaded nor a module of the running kernel",
            "modprobe vfio-pci",
        ),
        (
            "SR-IOV off in firmware",
            |t| t.set("sys/bus/pci/devices/0000:01:00.0/sriov_totalvfs", "0\n"),
            "firmware: SR-IOV is off in firmware (sriov_totalvfs is 0)",
            "BIOS/UEFI",
        ),
        (
            "PF driver unbound",
            |t| {
                t.unbind_pf(PF);
                t.set("etc/vfnet/vfnet.conf", "0000:01:00.0=0\n");
            },
            "driver: no driver bound",
            "load the device's driver",
        ),
        (
            "VF BARs did not fit",
            |t| {
                std::fs::create_dir_all(t.path("dev")).unwrap();
                std::fs::write(
                    t.path("dev/kmsg"),
                    "6,300,4500000,-;pci 0000:01:00.0: BAR 7: no space for [mem size 0x00100000 64bit]\n\
                     6,301,4500010,-;pci 0000:01:00.0: BAR 7: failed to assign [mem size 0x00100000 64bit]\n",
                )
                .unwrap();
            },
            "resources: the kernel could not place the VFs' BARs or bus numbers: \"pci 0000:01:00.0: BAR 7: no space for [mem size 0x00100000 64bit]\" (and 1 more lines)",
            "pci=realloc",
        ),
        (
            "a VF shares its IOMMU group",
            |t| {
                let group = t.path("sys/kernel/iommu_groups/4/devices");
                std::os::unix::fs::symlink(
                    "../../../../devices/pci0000:00/0000:00:1f.0",
                    group.join("0000:00:1f.0"),
                )
                .unwrap();
            },
            "iommu-group: VF 0 (0000:01:10.0) shares IOMMU group 4 with 0000:00:1f.0",
            "ACS",
        ),
        (
            "config drift",
            |t| t.set("etc/vfnet/vfnet.conf", "0000:01:00.0=5\n"),
            "config: ",
            "vfnet apply",
        ),
        (
            "no boot service",
            |t| std::fs::remove_file(t.path("etc/systemd/system/vfnet.service")).unwrap(),
            "boot: nothing applies the config at boot",
            "vfnet install",
        ),
    ];
    for (what, break_it, want, fix) in cases {
        let tree = healthy();
        break_it(&tree);
        let (text, findings) = doctor(&tree, &[]);
        text.code(1).err_has("1 problem found");
        let got = failures(&findings);
        assert_eq!(got.len(), 1, "{what}: {got:?}\n{}", text.stdout);
        assert!(
            got[0].starts_with(want),
            "{what}:\n got {}\nwant {want}",
            got[0]
        );
        let f = findings.iter().find(|f| f["ok"] == false).unwrap();
        assert!(
            f["fix"].as_str().unwrap().contains(fix),
            "{what}: fix {}",
            f["fix"]
        );
        text.out_has("FAIL ")
            .out_has(&format!("fix: {}", f["fix"].as_str().unwrap()));
    }
}

#[test]
fn drift_says_what_the_config_asks_and_what_is() {
    let tree = healthy();
    tree.set("etc/vfnet/vfnet.conf", "# x\n0000:01:00.0=5\n");
    let (_, findings) = doctor(&tree, &[]);
    assert_eq!(
        failures(&findings),
        [format!(
            "config: {}:2 asks for 5 VFs, the PF has 2",
            tree.path("etc/vfnet/vfnet.conf").display()
        )]
    );
}

#[test]
fn mellanox_firmware_advice_names_mstconfig() {
    let mut m = connectx3();
    m.pci_fn_mut("0000:03:00.0").sriov.as_mut().unwrap().total = 0;
    m.pci_fn_mut("0000:03:00.0").sriov.as_mut().unwrap().num = 0;
    let tree = Tree::build(&m);
    let (text, _) = doctor(&tree, &["enp3s0"]);
    text.code(1).out_has("fix: enable it in the card's firmware: mstconfig -d 0000:03:00.0 set SRIOV_EN=1 NUM_OF_VFS=8");
}

#[test]
fn dev_limits_the_per_pf_checks() {
    let tree = Tree::build(&workstation());
    let (text, findings) = doctor(&tree, &["enp4s0"]);
    text.code(1);
    let devices: Vec<&str> = findings.iter().filter_map(|f| f["pci"].as_str()).collect();
    assert!(
        devices.iter().all(|d| d.contains("0000:04:00.0")),
        "{devices:?}"
    );
    text.out_has("FAIL sr-iov      enp4s0 (0000:04:00.0): no SR-IOV capability");
    vfnet(tree.root(), &["doctor", "eth9"])
        .code(1)
        .one_error("no network interface named eth9");
}

#[test]
fn a_device_that_is_not_there_is_a_finding() {
    let tree = healthy();
    let (text, findings) = doctor(&tree, &["0000:09:00.0"]);
    text.code(1);
    assert_eq!(
        failures(&findings),
        ["device: not a network function nor an SR-IOV device"]
    );
}

/// doctor sees every glue vfnet can install, not only the init systems it
/// detects now: right after `install --init systemd` on a host where no
/// systemd is found, the boot check is ok.
#[test]
fn doctor_sees_glue_installed_for_an_init_system_not_detected() {
    let tree = Tree::build(&x550t());
    std::fs::create_dir_all(tree.path("etc/vfnet")).unwrap();
    std::fs::write(tree.path("etc/vfnet/vfnet.conf"), "0000:01:00.0=4\n").unwrap();
    vfnet(tree.root(), &["install", "--init", "systemd"]).code(0);
    let r = vfnet(tree.root(), &["doctor"]);
    r.out_has("applied at boot by: systemd");
    assert!(
        !r.stdout.contains("nothing applies the config at boot"),
        "{}",
        r.stdout
    );
}

/// A machine where nothing can have VFs hears that first, naming what it
/// saw, in doctor and in the listing.
#[test]
fn a_machine_without_sriov_is_told_so_first() {
    let tree = Tree::build(&no_sriov());
    let r = vfnet(tree.root(), &["doctor"]);
    r.code(1);
    let first = r.stdout.lines().next().unwrap_or("");
    assert!(
        first.starts_with("FAIL sr-iov") && first.contains("enp3s0 (0000:03:00.0) has no SR-IOV"),
        "{}",
        r.stdout
    );
    vfnet(tree.root(), &["list"])
        .code(0)
        .words_have("has no SR-IOV. See vfnet doctor.");
    // A machine with an SR-IOV PF hears none of it.
    let r = vfnet(Tree::build(&x550t()).root(), &["list"]);
    assert!(!r.stdout.contains("See vfnet doctor"), "{}", r.stdout);
}

#[test]
fn a_vm_without_sr_iov_hears_which_nics_it_has_and_why_they_are_no_pfs() {
    let tree = Tree::build(&non_pci());
    let r = vfnet(tree.root(), &["doctor"]);
    r.code(1);
    let first = r.stdout.lines().next().unwrap_or("");
    assert!(
        first.starts_with("FAIL sr-iov")
            && first.contains("enp0s3 (virtio, 0000:00:03.0)")
            && first.contains("br0 (virtual)"),
        "{}",
        r.stdout
    );
    // A guest (DMI says QEMU): the IOMMU advice is a virtual IOMMU's.
    std::fs::create_dir_all(tree.path("sys/class/dmi/id")).unwrap();
    std::fs::write(tree.path("sys/class/dmi/id/sys_vendor"), "QEMU\n").unwrap();
    vfnet(tree.root(), &["doctor"])
        .code(1)
        .out_has("no IOMMU in this VM (QEMU)")
        .out_has("give the VM a virtual IOMMU");
}

#[test]
fn doctor_on_a_vf_names_its_pf_and_checks_that_pf() {
    let tree = Tree::build(&x550t());
    let r = vfnet(tree.root(), &["doctor", "enp1s0f0v0"]);
    r.out_has("ok   device      0000:02:10.0: VF 0 of enp1s0f0 (0000:01:00.0): checking that PF")
        .out_has("ok   driver      enp1s0f0 (0000:01:00.0): driver ixgbe bound");
    assert!(!r.stdout.contains("not a network function"), "{}", r.stdout);
    assert!(!r.stdout.contains("enp1s0f1"), "only that PF: {}", r.stdout);
}
