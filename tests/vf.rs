//! `vfnet vf`: what can be checked without a kernel. The settings
//! themselves go over rtnetlink and are tested in the QEMU suite (and
//! their encoding by unit tests in src/netlink.rs).

mod support;

use support::*;

#[test]
fn show_a_vf() {
    let tree = Tree::build(&x550t());
    let r = vfnet(tree.root(), &["vf", "enp1s0f0", "1"]);
    r.code(0)
        .out_has("enp1s0f0 (0000:01:00.0) VF 1\n  pci       0000:02:10.2\n  driver    ixgbevf\n  netdev    enp1s0f0v1 ")
        .out_has("  iommu     group 18\n  used by   ? (this tree has no /proc to look in)\n")
        .out_has("  settings  unavailable: VF settings come from the kernel over rtnetlink, not from a tree");
    // --json: what list DEV --json prints, for that VF.
    let r = vfnet(tree.root(), &["vf", "enp1s0f0", "1", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&r.code(0).stdout).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["pfs"][0]["pci"], "0000:01:00.0");
    let vfs = doc["vfs"].as_array().unwrap();
    assert_eq!(vfs.len(), 1);
    assert_eq!(
        (&vfs[0]["pci"], &vfs[0]["index"]),
        (&"0000:02:10.2".into(), &1.into())
    );
    let list = vfnet(tree.root(), &["list", "0000:02:10.2", "--json"]);
    assert_eq!(r.stdout, list.stdout);
}

#[test]
fn a_capture_s_vf_settings_and_users_are_shown_as_list_shows_them() {
    let dir = unpack_capture("igb-vf0-settings");
    vfnet(dir.path(), &["vf", "eth0", "0"])
        .code(0)
        .out_has("  netdev    eth1 02:11:22:33:44:55\n")
        .out_has("  mac       02:11:22:33:44:55\n  vlan      100 qos 0 proto 802.1Q\n")
        .out_has("  trust     on\n");
    // A range is shown VF by VF.
    let r = vfnet(dir.path(), &["vf", "eth0", "0-2"]);
    assert_eq!(
        r.code(0).stdout.matches("eth0 (0000:01:00.0) VF ").count(),
        3
    );
}

#[test]
fn bad_input_is_one_line_and_changes_nothing() {
    let tree = Tree::build(&x550t());
    let before = snapshot(tree.root());
    let usage: &[(&[&str], &str)] = &[
        (&["vf"], "vf: missing DEV and INDEX"),
        (&["vf", "enp1s0f0"], "vf: missing INDEX"),
        (
            &["vf", "enp1s0f0", "x"],
            "INDEX must be a VF number or a range A-B, not 'x'",
        ),
        (&["vf", "enp1s0f0", "0", "mac"], "mac needs a value"),
        (
            &["vf", "enp1s0f0", "0", "mac", "01:00:5e:00:00:01"],
            "multicast",
        ),
        (
            &["vf", "enp1s0f0", "0", "vlan", "4096"],
            "vlan takes a VLAN id from 0 (none) to 4095",
        ),
        (
            &["vf", "enp1s0f0", "0", "rate", "10"],
            "rate needs MIN and MAX",
        ),
        (&["vf", "enp1s0f0", "0", "rate", "10", "5"], "MIN <= MAX"),
        (
            &["vf", "enp1s0f0", "0", "colour", "red"],
            "unknown VF setting 'colour'",
        ),
        (
            &["vf", "enp1s0f0", "0", "--persist"],
            "--persist needs settings",
        ),
    ];
    for (args, want) in usage {
        vfnet(tree.root(), args).code(2).one_error(want);
    }
    let failures: &[(&[&str], &str)] = &[
        (
            &["vf", "enp1s0f0", "7", "trust", "on"],
            "enp1s0f0 (0000:01:00.0) has no VF 7 (it has 4 VFs)",
        ),
        (
            &["vf", "enp1s0f0v0", "0", "trust", "on"],
            "is a virtual function of enp1s0f0",
        ),
        (
            &["vf", "enp1s0f0", "0", "trust", "on"],
            "not available under --root",
        ),
    ];
    for (args, want) in failures {
        vfnet(tree.root(), args).code(1).one_error(want);
    }
    assert_eq!(diff(&before, &snapshot(tree.root())), Vec::<String>::new());
}

#[test]
fn vfio_pci_must_be_loaded_to_take_a_vf() {
    let tree = Tree::build(&igb_qemu());
    let _k = FakeKernel::start(&tree, KernelOpts::default());
    vfnet(tree.root(), &["set", "eth0", "2"]).code(0);
    let r = vfnet(tree.root(), &["vf", "eth0", "1", "driver", "vfio-pci"]);
    r.code(1)
        .err_has("the vfio-pci driver is not loaded (modprobe vfio-pci)");
    assert_eq!(
        std::fs::read_to_string(tree.vf_dir("0000:01:00.0", 1).join("driver_override")).unwrap(),
        "(null)\n"
    );
}

#[test]
fn a_range_of_vfs_is_a_pool_and_recorded_as_one_key() {
    let tree = Tree::build(&x550t());
    std::fs::create_dir_all(tree.path("sys/bus/pci/drivers/vfio-pci")).unwrap();
    // Nothing binds in a tree: each VF of the range is tried, and undone.
    let r = vfnet(
        tree.root(),
        &["vf", "enp1s0f0", "1-2", "driver", "vfio-pci", "-t", "0.3"],
    );
    r.code(1)
        .out_has("enp1s0f0 (0000:01:00.0) VF 1: nothing changed.")
        .out_has("enp1s0f0 (0000:01:00.0) VF 2: nothing changed.")
        .err_has("2 settings failed");
    vfnet(tree.root(), &["vf", "enp1s0f0", "5-9", "trust", "on"])
        .code(1)
        .one_error("enp1s0f0 (0000:01:00.0) has no VF 5-9 (it has 4 VFs)");
    vfnet(tree.root(), &["vf", "enp1s0f0", "3-1", "trust", "on"])
        .code(2)
        .one_error("INDEX must be a VF number or a range A-B, not '3-1'");
    // Config keys take ranges too.
    std::fs::write(
        tree.path("etc/vfnet/vfnet.conf"),
        "0000:01:00.0=4\n0000:01:00.0.vf0-1.proto=802.1ad\n0000:01:00.0.vf2.query_rss=on\n",
    )
    .unwrap();
    // Each VF of the range gets its own record of what it wants (under
    // --root they would fail alike: no rtnetlink).
    let r = vfnet(tree.root(), &["apply", "--dry-run", "--json"]);
    r.code(1);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let vfs: Vec<String> = doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "vf")
        .map(|e| format!("{} {} {}", e["index"], e["lines"], e["wanted"]))
        .collect();
    assert_eq!(
        vfs,
        [
            "0 [2] {\"proto\":\"802.1ad\"}",
            "1 [2] {\"proto\":\"802.1ad\"}",
            "2 [3] {\"query_rss\":\"on\"}"
        ]
    );
}

#[test]
fn an_mtu_is_for_the_hosts_netdev_only() {
    let tree = Tree::build(&x550t());
    tree.bind_vf_vfio("0000:01:00.0", 1);
    vfnet(tree.root(), &["vf", "enp1s0f0", "1", "mtu", "9000"])
        .code(1)
        .err_has(
            "VF 1: mtu 9000: it is on vfio-pci: its MTU is the guest's business (set it in the VM)",
        );
    vfnet(tree.root(), &["vf", "enp1s0f0", "0", "mtu", "9000"])
        .code(1)
        .err_has(
            "VF 0: mtu 9000: MTUs go through the kernel's rtnetlink: not available under --root",
        );
    vfnet(tree.root(), &["vf", "enp1s0f0", "0", "mtu", "20"])
        .code(2)
        .one_error("mtu takes an MTU from 68 to 65535, not '20'");
}

/// A range that runs past the PF's VFs is refused before anything is done,
/// naming the VFs that are not there.
#[test]
fn a_range_past_the_vfs_changes_nothing_and_names_what_is_missing() {
    let tree = Tree::build(&x550t());
    std::fs::create_dir_all(tree.path("sys/bus/pci/drivers/vfio-pci")).unwrap();
    let before = snapshot(tree.root());
    vfnet(
        tree.root(),
        &["vf", "enp1s0f0", "0-99", "driver", "vfio-pci"],
    )
    .code(1)
    .one_error(
        "enp1s0f0 (0000:01:00.0) has no VF 4-99 of 0-99 (it has 4 VFs); nothing was changed",
    );
    assert_eq!(diff(&before, &snapshot(tree.root())), Vec::<String>::new());
}

/// `vf DEV free` says what stops it: a PF without VFs has none to give; a
/// tree without /proc cannot say who uses its VFs (never "run as root").
#[test]
fn vf_free_says_why_it_cannot_pick() {
    let tree = Tree::build(&x550t());
    vfnet(tree.root(), &["vf", "enp1s0f1", "free"])
        .code(1)
        .one_error("enp1s0f1 (0000:01:00.1) has no VFs (vfnet set enp1s0f1 N makes them)");
    let r = vfnet(tree.root(), &["vf", "enp1s0f0", "free"]);
    r.code(1).one_error("this tree has no /proc to look in");
    assert!(!r.stderr.contains("run vfnet as root"), "{}", r.stderr);
}
