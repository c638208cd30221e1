//! Intel GPUs' VFs on fake trees: an SR-IOV i915 (Flex 170 at 0000:03:00.0,
//! 2 of 7 VFs) and an xe loaded without max_vfs (Arc B580 at 0000:04:00.0,
//! 0 allowed). The module parameters are the drivers' own
//! (`/sys/module/i915/parameters/{enable_guc,max_vfs}` in i915-sriov-dkms's
//! i915_params.h; `/sys/module/xe/parameters/max_vfs` in xe_module.c); the
//! GuC line is the drivers' (`intel_uc_fw.c`: "GuC firmware PATH version
//! X.Y.Z"). No GPU ran any of this: see the README.

mod support;

use std::fs;
use support::*;

const I915: &str = "0000:03:00.0";
const XE: &str = "0000:04:00.0";
const GPU_FILE: &str = "etc/modprobe.d/vfnet-gpu.conf";

fn write(tree: &Tree, rel: &str, text: &str) {
    let p = tree.path(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

/// The GPUs with their drivers' parameters as loaded: i915 with
/// enable_guc=3 max_vfs=7 from the kernel command line, xe with max_vfs=0.
fn machine() -> Tree {
    let tree = Tree::build(&intel_gpus(2));
    for (rel, text) in [
        ("sys/module/i915/parameters/enable_guc", "3\n"),
        ("sys/module/i915/parameters/max_vfs", "7\n"),
        ("sys/module/xe/parameters/max_vfs", "0\n"),
        (
            "proc/cmdline",
            "BOOT_IMAGE=/vmlinuz root=/dev/sda2 intel_iommu=on i915.enable_guc=3 i915.max_vfs=7\n",
        ),
        (
            "dev/kmsg",
            "6,812,2100000,-;i915 0000:03:00.0: [drm] GuC firmware i915/dg2_guc_70.bin version 70.36.0\n\
             6,813,2100010,-;i915 0000:03:00.0: [drm] GuC submission enabled\n",
        ),
    ] {
        write(&tree, rel, text);
    }
    tree
}

fn findings(tree: &Tree) -> Vec<(String, String, bool, String)> {
    let r = vfnet(tree.root(), &["doctor", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"].as_str().unwrap().starts_with("gpu-"))
        .map(|f| {
            (
                f["interface"]
                    .as_str()
                    .or(f["pci"].as_str())
                    .unwrap_or("")
                    .to_string(),
                f["message"].as_str().unwrap().to_string(),
                f["ok"].as_bool().unwrap(),
                f["fix"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn list_all_shows_the_gpus_with_what_their_drivers_allow() {
    let tree = machine();
    let r = vfnet(tree.root(), &["list", "--all", "--json"]);
    r.code(0)
        .out_has(
            "\"pci\":\"0000:03:00.0\",\"interfaces\":[],\"interface\":null,\"driver\":\"i915\"",
        )
        .out_has("\"total_vfs\":7,\"num_vfs\":2")
        .out_has("\"pci\":\"0000:04:00.0\",\"interfaces\":[],\"interface\":null,\"driver\":\"xe\"");
}

#[test]
fn doctor_shows_each_drivers_parameters_where_they_are_set_and_the_guc() {
    let tree = machine();
    let f = findings(&tree);
    let i915: Vec<_> = f.iter().filter(|f| f.0 == I915).collect();
    assert_eq!(i915.len(), 3, "{f:?}");
    assert_eq!(
        i915[0].1,
        "i915 enable_guc=3 in force; i915.enable_guc=3 on the kernel command line"
    );
    assert!(i915[0].2 && i915[1].2 && i915[2].2, "{i915:?}");
    assert_eq!(
        i915[2].1,
        "the kernel log: i915 0000:03:00.0: [drm] GuC submission enabled"
    );
    // xe without max_vfs: the problem, where it comes from, the fix.
    let xe: Vec<_> = f.iter().filter(|f| f.0 == XE).collect();
    assert_eq!(
        xe[0].1,
        "xe max_vfs=0 in force; set nowhere (the driver's default): VFs need max_vfs of at least 1"
    );
    assert!(!xe[0].2);
    assert!(
        xe[0].3.starts_with("vfnet persist 0000:04:00.0 N writes options xe max_vfs=7 to /etc/modprobe.d/vfnet-gpu.conf"),
        "{}",
        xe[0].3
    );
    assert_eq!(
        xe[1].1,
        "the kernel log shows no GuC firmware loaded for 0000:04:00.0"
    );
    // Its total of 0 is the driver's max_vfs, not the firmware's.
    let r = vfnet(tree.root(), &["doctor"]);
    r.out_has("xe makes no VFs unless it loads with max_vfs");
}

#[test]
fn doctor_names_the_kernels_own_i915_a_modprobe_line_and_a_failed_guc() {
    let tree = machine();
    fs::remove_file(tree.path("sys/module/i915/parameters/max_vfs")).unwrap();
    write(&tree, "sys/module/i915/parameters/enable_guc", "-1\n");
    write(
        &tree,
        "proc/cmdline",
        "BOOT_IMAGE=/vmlinuz root=/dev/sda2\n",
    );
    write(
        &tree,
        "etc/modprobe.d/i915.conf",
        "# mine\noptions i915 enable-guc=2\n",
    );
    write(
        &tree,
        "dev/kmsg",
        "3,900,2100000,-;i915 0000:03:00.0: [drm] *ERROR* GuC firmware i915/dg2_guc_70.bin: fetch failed with error -2\n",
    );
    let f = findings(&tree);
    let i915: Vec<_> = f.iter().filter(|f| f.0 == I915).collect();
    assert_eq!(
        i915[0].1,
        "i915 enable_guc=-1 in force; enable_guc=2 in /etc/modprobe.d/i915.conf:2: VFs need enable_guc=3"
    );
    assert_eq!(
        i915[1].1,
        "i915 has no max_vfs parameter: this i915 makes no VFs (the kernel's own i915 has none)"
    );
    assert!(i915[1].3.contains("i915-sriov-dkms"));
    assert!(
        i915[2].1.contains("fetch failed") && i915[2].3.contains("linux-firmware"),
        "{i915:?}"
    );
}

#[test]
fn what_the_system_says_is_escaped_in_doctors_lines() {
    let tree = machine();
    write(&tree, "sys/module/i915/parameters/enable_guc", "3\x1b[2J\n");
    write(&tree, "proc/cmdline", "i915.max_vfs=7\x1b]0;x\n");
    let r = vfnet(tree.root(), &["doctor"]);
    r.out_has("i915 enable_guc=3\\x1b[2J in force")
        .out_has("i915.max_vfs=7\\x1b]0;x on the kernel command line");
    assert!(!r.stdout.contains('\x1b'), "{}", r.stdout);
}

#[test]
fn persist_records_the_count_and_the_drivers_parameters_at_load() {
    let tree = machine();
    write(&tree, "etc/modprobe.d/xe.conf", "options xe max_vfs=1\n");
    // xe allows none now: the count is its next max_vfs, so it is taken.
    let r = vfnet(tree.root(), &["persist", XE, "4"]);
    r.code(0)
        .out_has("0000:04:00.0: 4 VFs recorded in ")
        .out_has("wrote /etc/modprobe.d/vfnet-gpu.conf (options xe max_vfs=4)")
        .out_has("/etc/modprobe.d/xe.conf:1: sets max_vfs for xe too");
    let file = fs::read_to_string(tree.path(GPU_FILE)).unwrap();
    assert!(file.starts_with("# Written by vfnet persist"), "{file}");
    assert!(file.ends_with("\noptions xe max_vfs=4\n"), "{file}");
    // The i915 too: one line per driver; the command line sets the same
    // parameters, and wins.
    let r = vfnet(tree.root(), &["persist", I915, "3"]);
    r.code(0)
        .out_has("(options i915 enable_guc=3 max_vfs=3; options xe max_vfs=4)")
        .out_has(
            "warning: the kernel command line sets i915.max_vfs=7 too, and wins over modprobe.d",
        );
    let conf = fs::read_to_string(tree.path("etc/vfnet/vfnet.conf")).unwrap();
    assert!(
        conf.contains("0000:04:00.0=4\n") && conf.contains("0000:03:00.0=3\n"),
        "{conf}"
    );
    // A dry run writes nothing, with --json too.
    fs::remove_file(tree.path(GPU_FILE)).unwrap();
    for args in [
        &["persist", XE, "5", "--dry-run"][..],
        &["persist", XE, "5", "--dry-run", "--json"],
    ] {
        vfnet(tree.root(), args).code(0);
        assert!(!tree.path(GPU_FILE).exists(), "{args:?}");
    }
    vfnet(tree.root(), &["persist", XE, "4"]).code(0);
    // Removing both removes the file.
    vfnet(tree.root(), &["persist", XE, "--remove"]).code(0);
    vfnet(tree.root(), &["persist", I915, "--remove"])
        .code(0)
        .out_has("removed /etc/modprobe.d/vfnet-gpu.conf (no Intel GPU wants VFs)");
    assert!(!tree.path(GPU_FILE).exists());
}

#[test]
fn network_settings_are_refused_for_a_gpu_vf_in_one_line() {
    let tree = machine();
    let r = vfnet(tree.root(), &["vf", I915, "0", "mac", "auto", "vlan", "5"]);
    r.code(1).err_has(
        "0000:03:00.0: VF settings go through the PF's network interface, and it has none",
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
}

#[test]
fn an_initramfs_generator_present_is_named_for_the_gpus_file() {
    let tree = machine();
    write(&tree, "usr/sbin/update-initramfs", "#!/bin/sh\n");
    vfnet(tree.root(), &["persist", XE, "2"]).code(0).out_has(
        "the initramfs (initramfs-tools) carries a copy of modprobe.d and may load i915 or xe: rebuild it (update-initramfs -u",
    );
}
