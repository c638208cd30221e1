//! Who uses each VF, and the guard: a fake tree with a fake /proc in which
//! a libvirt VM holds VF 1 through vfio, a container owns VF 2's netdev,
//! and VF 3 is in the host's bridge; VF 0 is free.

mod support;

use serde_json::Value;
use std::os::unix::fs::symlink;
use support::*;

const PF: &str = "0000:01:00.0";

fn vfs(doc: &Value) -> Vec<Value> {
    doc["vfs"].as_array().unwrap().clone()
}

#[test]
fn list_names_who_uses_each_vf() {
    let tree = busy_host();
    let r = vfnet(tree.root(), &["list", "--json"]);
    r.code(0);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let used: Vec<Value> = vfs(&doc).iter().map(|v| v["used_by"].clone()).collect();
    assert_eq!(used[0], Value::Null);
    assert_eq!(
        used[1],
        serde_json::json!({"kind": "vm", "name": "win11", "pid": 2211})
    );
    assert_eq!(
        used[2],
        serde_json::json!({"kind": "netns", "name": null, "pid": 3310})
    );
    assert_eq!(
        used[3],
        serde_json::json!({"kind": "host", "name": "br0", "pid": null})
    );
    let text = vfnet(tree.root(), &["list"]);
    let row = |addr: &str| {
        text.stdout
            .lines()
            .find(|l| l.starts_with(addr))
            .unwrap()
            .to_string()
    };
    assert!(
        row("0000:02:10.0").contains("  -  "),
        "{}",
        row("0000:02:10.0")
    );
    assert!(row("0000:02:10.2").contains("vm:win11 (pid 2211)"));
    assert!(row("0000:02:10.4").contains("netns:pid 3310"));
    assert!(row("0000:02:10.6").contains("host:br0"));
    assert!(text.stdout.contains("Used by"));
}

#[test]
fn set_refuses_to_destroy_vfs_in_use_and_changes_nothing() {
    let tree = busy_host();
    let before = snapshot(tree.root());
    let r = vfnet(tree.root(), &["set", "enp1s0f0", "2"]);
    r.code(1)
        .err_has("enp1s0f0 (0000:01:00.0) VF 1 (0000:02:10.2): used by vm:win11 (pid 2211)")
        .err_has("enp1s0f0 (0000:01:00.0) VF 2 (0000:02:10.4): used by netns:pid 3310")
        .err_has("enp1s0f0 (0000:01:00.0) VF 3 (0000:02:10.6): used by host:br0")
        .err_has("enp1s0f0 (0000:01:00.0): 3 VFs in use: changing the VF count destroys every VF");
    assert_eq!(r.stderr.lines().count(), 4, "{}", r.stderr);
    assert_eq!(diff(&before, &snapshot(tree.root())), Vec::<String>::new());
    // --dry-run says what would be destroyed and who uses it, and exits as
    // the run does.
    let r = vfnet(tree.root(), &["set", "enp1s0f0", "2", "--dry-run"]);
    r.code(1)
        .err_has("enp1s0f0 (0000:01:00.0): 3 VFs in use: changing the VF count destroys every VF")
        .out_has(
            "enp1s0f0 (0000:01:00.0): would change 4 -> 2 VFs, through 0: VFs 0-3 are destroyed.",
        )
        .out_has("VF 1 (0000:02:10.2): used by vm:win11 (pid 2211)")
        .out_has("set would refuse: VFs in use");
    assert_eq!(diff(&before, &snapshot(tree.root())), Vec::<String>::new());
    // --force does it, saying what it tears down.
    let k = FakeKernel::start(&tree, KernelOpts::default());
    let r = vfnet(tree.root(), &["set", "enp1s0f0", "2", "--force"]);
    r.code(0).err_has(
        "--force: destroying enp1s0f0 (0000:01:00.0) VF 1 (0000:02:10.2): used by vm:win11",
    );
    assert!(k.wait_idle(std::time::Duration::from_secs(5)));
    assert_eq!(tree.vfs(PF).len(), 2);
}

#[test]
fn a_driver_change_of_a_vf_in_use_is_refused() {
    let tree = busy_host();
    std::fs::create_dir_all(tree.path("sys/bus/pci/drivers/vfio-pci")).unwrap();
    let before = snapshot(tree.root());
    vfnet(tree.root(), &["vf", "enp1s0f0", "1", "driver", "default"])
        .code(1)
        .err_has("VF 1 (0000:02:10.2): used by vm:win11 (pid 2211)")
        .err_has("1 VF in use: changing the driver takes a VF from its user");
    vfnet(tree.root(), &["vf", "enp1s0f0", "3", "driver", "vfio-pci"])
        .code(1)
        .err_has("used by host:br0");
    assert_eq!(diff(&before, &snapshot(tree.root())), Vec::<String>::new());
    // A VF already where it should be is no change: nothing to refuse.
    vfnet(tree.root(), &["vf", "enp1s0f0", "1", "driver", "vfio-pci"]).code(0);
}

#[test]
fn the_next_free_vf_for_a_vm_hook() {
    let tree = busy_host();
    let r = vfnet(tree.root(), &["vf", "enp1s0f0", "free"]);
    r.code(0);
    assert_eq!(r.stdout, "0000:02:10.0\n");
    let r = vfnet(tree.root(), &["vf", "enp1s0f0", "free", "--json"]);
    r.code(0);
    let row: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (&row["pci"], &row["index"], &row["used_by"]),
        (&Value::from("0000:02:10.0"), &Value::from(0), &Value::Null)
    );
    // VF 0 in use too: none is free.
    process(
        tree.root(),
        900,
        &["dpdk-testpmd", "-l", "0-1"],
        "dpdk-testpmd",
        &[],
        "net:[4026531840]",
    );
    enslave(&tree, PF, 0, "bond0");
    vfnet(tree.root(), &["vf", "enp1s0f0", "free"])
        .code(1)
        .one_error("enp1s0f0 (0000:01:00.0): no free VF: all 4 VFs in use");
}

#[test]
fn free_among_some_vfs_names_the_user_of_one() {
    let tree = busy_host();
    let r = vfnet(tree.root(), &["vf", "enp1s0f0", "0-3", "free"]);
    r.code(0);
    assert_eq!(r.stdout, "0000:02:10.0\n");
    vfnet(tree.root(), &["vf", "enp1s0f0", "0", "free"]).code(0);
    vfnet(tree.root(), &["vf", "enp1s0f0", "1", "free"])
        .code(1)
        .one_error("enp1s0f0 (0000:01:00.0): VF 1 (0000:02:10.2) is in use: vm:win11 (pid 2211)");
    vfnet(tree.root(), &["vf", "enp1s0f0", "1-3", "free"])
        .code(1)
        .one_error("enp1s0f0 (0000:01:00.0): no free VF in vf1-3");
}

#[test]
fn apply_on_a_running_host_skips_entries_that_would_destroy_vfs_in_use() {
    let tree = busy_host();
    let k = FakeKernel::start(&tree, KernelOpts::default());
    std::fs::write(
        tree.path("etc/vfnet/vfnet.conf"),
        "0000:01:00.0=2\n0000:01:00.1=3\n",
    )
    .unwrap();
    // A dry run names the users, says apply skips the entry, and exits 1
    // as the run will.
    let r = vfnet(tree.root(), &["apply", "--dry-run"]);
    r.code(1)
        .out_has("enp1s0f0 (0000:01:00.0) VF 1 (0000:02:10.2): used by vm:win11 (pid 2211)\n")
        .out_has("enp1s0f0 (0000:01:00.0): apply would skip it: VFs in use.")
        .out_has("enp1s0f1 (0000:01:00.1): would change 0 -> 3 VFs.")
        .err_has(":1: skipped: 3 VFs in use");
    // --json says the same: the busy entry in_use, the other one changes.
    let r = vfnet(tree.root(), &["apply", "--dry-run", "--json"]);
    r.code(1);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let e = &doc["entries"];
    assert_eq!(
        (&e[0]["status"], &e[0]["before"], &e[0]["after"]),
        (&Value::from("in_use"), &Value::from(4), &Value::from(4))
    );
    assert!(
        e[0]["error"]
            .as_str()
            .unwrap()
            .starts_with("skipped: 3 VFs in use")
    );
    assert_eq!(
        (&e[1]["status"], &e[1]["after"]),
        (&Value::from("changed"), &Value::from(3))
    );
    assert_eq!(doc["totals"]["in_use"], Value::from(1));
    let r = vfnet(tree.root(), &["apply"]);
    r.code(1)
        .out_has("enp1s0f1 (0000:01:00.1): 0 -> 3 VFs")
        .err_has(":1: skipped: 3 VFs in use")
        .err_has("1 of 2 config entries failed (line 1); the others were applied");
    assert!(k.wait_idle(std::time::Duration::from_secs(5)));
    assert_eq!(tree.vfs(PF).len(), 4, "the busy PF keeps its VFs");
    assert_eq!(tree.vfs("0000:01:00.1").len(), 3);
}

#[test]
fn proxmox_vms_and_userspace_drivers_are_named() {
    let tree = Tree::build(&x550t());
    let root = tree.root();
    process(root, 1, &["/sbin/init"], "systemd", &[], "net:[1]");
    symlink("1", root.join("proc/self")).unwrap();
    for (n, pid) in [(0, 4000), (1, 4001)] {
        tree.bind_vf_vfio(PF, n);
        let group = std::fs::read_link(tree.vf_dir(PF, n).join("iommu_group")).unwrap();
        let g = format!("/dev/vfio/{}", group.file_name().unwrap().to_string_lossy());
        if pid == 4000 {
            process(
                root,
                pid,
                &[
                    "/usr/bin/kvm",
                    "-id",
                    "101",
                    "-name",
                    "web,debug-threads=on",
                ],
                "kvm",
                &[&g],
                "net:[1]",
            );
        } else {
            process(
                root,
                pid,
                &["/usr/bin/dpdk-testpmd", "-l", "0-1"],
                "dpdk-testpmd",
                &[&g],
                "net:[1]",
            );
        }
    }
    // A kernel thread (empty command line) is never looked into.
    std::fs::create_dir_all(root.join("proc/2/fd")).unwrap();
    std::fs::write(root.join("proc/2/cmdline"), "").unwrap();
    let doc: Value = serde_json::from_str(&vfnet(root, &["list", "--json"]).stdout).unwrap();
    let used: Vec<Value> = vfs(&doc).iter().map(|v| v["used_by"].clone()).collect();
    assert_eq!(
        used[0],
        serde_json::json!({"kind": "vm", "name": "101", "pid": 4000})
    );
    assert_eq!(
        used[1],
        serde_json::json!({"kind": "dpdk", "name": "dpdk-testpmd", "pid": 4001})
    );
    assert_eq!(used[2], Value::Null);
}

#[test]
fn without_a_proc_no_vf_is_called_free() {
    let tree = Tree::build(&x550t());
    vfnet(tree.root(), &["vf", "enp1s0f0", "free"])
        .code(1)
        .one_error("cannot tell which VFs are free");
    // And list shows no Used by column it cannot fill.
    assert!(!vfnet(tree.root(), &["list"]).stdout.contains("Used by"));
}

/// A tree whose VF 1 (of 0000:01:00.0) is on vfio-pci, held by pid 4242
/// through its group, the process's /proc files made by `make`.
fn held_by(make: impl FnOnce(&std::path::Path)) -> Tree {
    let tree = Tree::build(&x550t());
    let root = tree.root();
    host_init(root);
    let group = vfio_group(&tree, PF, 1);
    let d = root.join("proc/4242");
    std::fs::create_dir_all(d.join("fd")).unwrap();
    std::fs::create_dir_all(d.join("ns")).unwrap();
    symlink(format!("/dev/vfio/{group}"), d.join("fd/3")).unwrap();
    symlink("net:[4026531840]", d.join("ns/net")).unwrap();
    make(&d);
    tree
}

/// What `list --json` says uses VF 1, and whether `set` and `apply`
/// (and its dry run) refuse to destroy it.
fn assert_held(tree: &Tree, want: &str) {
    let r = vfnet(tree.root(), &["list", "--json"]);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let used = &vfs(&doc)[1]["used_by"];
    assert_eq!(used.to_string(), want, "{}", r.stdout);
    vfnet(tree.root(), &["set", "enp1s0f0", "2"])
        .code(1)
        .err_has("1 VF in use: changing the VF count destroys every VF");
    std::fs::write(tree.path("etc/vfnet/vfnet.conf"), "0000:01:00.0=2\n").unwrap();
    let r = vfnet(tree.root(), &["apply", "--dry-run", "--json"]);
    r.code(1);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["entries"][0]["status"], "in_use", "{}", r.stdout);
    vfnet(tree.root(), &["apply"])
        .code(1)
        .err_has("skipped: 1 VF in use");
    // (No snapshot: a tree with FIFOs in it cannot be read whole.)
    assert_eq!(tree.numvfs(PF), Some(4));
    assert_eq!(tree.vfs(PF).len(), 4);
}

#[test]
fn a_vm_with_a_command_line_longer_than_vfnet_reads_still_holds_its_vf() {
    let tree = held_by(|d| {
        let mut argv = b"/usr/bin/qemu-system-x86_64\0-name\0guest=big,debug-threads=on\0".to_vec();
        for i in 0..3000 {
            argv.extend_from_slice(
                format!(
                    "-device\0vfio-pci,host=0000:02:10.{},id=hostdev{i}\0",
                    i % 8
                )
                .as_bytes(),
            );
        }
        assert!(argv.len() > 64 * 1024);
        std::fs::write(d.join("cmdline"), argv).unwrap();
        std::fs::write(d.join("comm"), "qemu-system-x86\n").unwrap();
    });
    assert_held(&tree, r#"{"kind":"vm","name":"big","pid":4242}"#);
}

#[test]
fn a_holder_whose_files_cannot_be_read_is_a_user_with_no_name() {
    // Its cmdline and comm are FIFOs (a capture unpacked as root keeps
    // them): never opened for reading, and no reason to call the VF free.
    let tree = held_by(|d| {
        for f in ["cmdline", "comm"] {
            nix::unistd::mkfifo(&d.join(f), nix::sys::stat::Mode::from_bits_truncate(0o644))
                .unwrap();
        }
    });
    assert_held(&tree, r#"{"kind":"vm","name":"?","pid":4242}"#);
    // An empty command line (a process may blank its own) is no kernel
    // thread either: its open files count.
    let tree = held_by(|d| {
        std::fs::write(d.join("cmdline"), "").unwrap();
        std::fs::write(d.join("comm"), "sneaky\n").unwrap();
    });
    assert_held(&tree, r#"{"kind":"dpdk","name":"sneaky","pid":4242}"#);
}

#[test]
fn a_libvirt_name_with_a_comma_is_the_whole_name() {
    let tree = held_by(|d| {
        std::fs::write(
            d.join("cmdline"),
            "/usr/bin/qemu-system-x86_64\0-name\0guest=web,,prod,debug-threads=on\0",
        )
        .unwrap();
        std::fs::write(d.join("comm"), "qemu-system-x86\n").unwrap();
    });
    assert_held(&tree, r#"{"kind":"vm","name":"web,prod","pid":4242}"#);
}
