//! `vfnet list`: what it shows for each kind of machine, as text and JSON,
//! and how it survives what real machines do to sysfs.

mod support;

use serde_json::Value;
use support::*;

/// Text at five widths, --brief, --no-headers and JSON, in one golden
/// file per machine. No line is wider than its COLUMNS.
fn listing(tree: &Tree, args: &[&str]) -> String {
    let mut out = String::new();
    let mut list = vec!["list"];
    list.extend_from_slice(args);
    let forms: [(&str, &[&str]); 7] = [
        ("200", &[]),
        ("100", &[]),
        ("80", &[]),
        ("60", &[]),
        ("40", &[]),
        ("80", &["--brief"]),
        ("200", &["--no-headers"]),
    ];
    for (cols, extra) in forms {
        let mut argv = list.clone();
        argv.extend_from_slice(extra);
        let mut c = support::run::command(tree.root(), &argv);
        c.env("COLUMNS", cols);
        let r = support::run::output(c);
        r.code(0);
        assert_eq!(r.stderr, "", "list warned");
        let width: usize = cols.parse().unwrap();
        let wide = r.stdout.lines().find(|l| l.chars().count() > width);
        assert!(
            wide.is_none(),
            "COLUMNS={cols} {argv:?}: wider than {width}: {wide:?}"
        );
        out.push_str(&format!(
            "$ COLUMNS={cols} vfnet {}\n{}\n",
            argv.join(" "),
            r.stdout
        ));
    }
    list.push("--json");
    let r = vfnet(tree.root(), &list);
    r.code(0);
    out.push_str(&format!("$ vfnet {}\n{}", list.join(" "), r.stdout));
    out
}

fn json(tree: &Tree, args: &[&str]) -> Value {
    let mut list = vec!["list", "--json"];
    list.extend_from_slice(args);
    let r = vfnet(tree.root(), &list);
    r.code(0);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{}", r.stdout))
}

#[test]
fn golden_listings_of_every_machine() {
    let machines: &[(&str, support::Machine, &[&str])] = &[
        ("x550t", x550t(), &[]),
        ("connectx3", connectx3(), &[]),
        ("x710", x710(), &[]),
        ("no_sriov", no_sriov(), &[]),
        ("sriov_off_in_firmware", sriov_off_in_firmware(), &[]),
        ("nvme_sriov", nvme_sriov(), &["--all"]),
        ("igb_qemu", igb_qemu(), &[]),
        ("non_pci", non_pci(), &[]),
        ("workstation", workstation(), &["--all"]),
    ];
    for (name, machine, args) in machines {
        let tree = Tree::build(machine);
        golden(&format!("list/{name}.txt"), &listing(&tree, args));
    }
}

#[test]
fn no_command_is_list_and_the_demo_tree_shows_the_readme_machine() {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/x550t");
    let bare = vfnet(&demo, &[]);
    bare.code(0);
    assert_eq!(bare.stdout, vfnet(&demo, &["list"]).stdout);
    bare.out_has("2 physical functions (PFs) and 4 virtual functions (VFs).")
        .out_has("0000:01:00.0  enp1s0f0   pci        Intel Corporation Ethernet Controller 10G X550T  ixgbe   Yes      4/63        4/63        15         /sys/class/net/enp1s0f0")
        .out_has("0000:02:10.6  enp1s0f0v3  ");
}

#[test]
fn json_has_every_field_with_its_type() {
    let tree = Tree::build(&workstation());
    let doc = json(&tree, &["--all"]);
    let pfs = doc["pfs"].as_array().unwrap();
    let vfs = doc["vfs"].as_array().unwrap();
    assert_eq!((pfs.len(), vfs.len()), (5, 8));
    let pf = &pfs[0];
    assert_eq!(pf["pci"], "0000:01:00.0");
    assert_eq!(pf["interfaces"], serde_json::json!(["enp1s0f0"]));
    assert_eq!(pf["interface"], "enp1s0f0");
    assert_eq!(pf["driver"], "ixgbe");
    assert_eq!(
        (pf["vendor"].as_str(), pf["device"].as_str()),
        (Some("0x8086"), Some("0x1563"))
    );
    assert_eq!(
        pf["description"],
        "Intel Corporation Ethernet Controller 10G X550T"
    );
    assert_eq!(pf["sriov_capable"], true);
    assert_eq!(
        (pf["total_vfs"].as_u64(), pf["num_vfs"].as_u64()),
        (Some(63), Some(4))
    );
    assert_eq!(pf["configured_vfs"], 4);
    assert_eq!(pf["iommu_group"], 15);
    assert_eq!(pf["path"], "/sys/class/net/enp1s0f0");
    assert_eq!(pfs[1]["configured_vfs"], Value::Null);
    // The NVMe drive: no netdev.
    assert_eq!(pfs[2]["interface"], Value::Null);
    assert_eq!(pfs[2]["interfaces"], serde_json::json!([]));
    assert_eq!(pfs[2]["path"], "/sys/bus/pci/devices/0000:02:00.0");
    // The RTL8111: a network function without SR-IOV.
    assert_eq!(pfs[4]["sriov_capable"], false);
    assert_eq!(pfs[4]["total_vfs"], Value::Null);

    let vf = &vfs[0];
    assert_eq!(vf["pci"], "0000:02:10.0");
    assert_eq!(vf["interface"], "enp1s0f0v0");
    assert!(vf["mac"].as_str().unwrap().len() == 17);
    assert_eq!(vf["parent_pci"], "0000:01:00.0");
    assert_eq!(vf["parent_interface"], "enp1s0f0");
    assert_eq!(vf["index"], 0);
    assert_eq!(vf["driver"], "ixgbevf");
    assert_eq!(vf["iommu_group"], 17);
    assert_eq!(vf["path"], "/sys/class/net/enp1s0f0v0");
}

#[test]
fn vfs_without_a_netdev_are_found_through_virtfn_links_and_sorted_numerically() {
    let tree = Tree::build(&x710());
    let doc = json(&tree, &[]);
    let vfs: Vec<&Value> = doc["vfs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["parent_pci"] == "0000:01:00.0")
        .collect();
    let indices: Vec<u64> = vfs.iter().map(|v| v["index"].as_u64().unwrap()).collect();
    assert_eq!(
        indices,
        (0..12).collect::<Vec<_>>(),
        "virtfn10 and 11 come after virtfn9"
    );
    // VF 3 is on vfio-pci and VF 7 on no driver: neither has a netdev.
    assert_eq!(
        (&vfs[3]["interface"], &vfs[3]["driver"], &vfs[3]["mac"]),
        (&Value::Null, &Value::from("vfio-pci"), &Value::Null)
    );
    assert_eq!(
        (&vfs[7]["interface"], &vfs[7]["driver"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(
        vfs[3]["path"],
        format!("/sys/bus/pci/devices/{}", tree.vf_addr("0000:01:00.0", 3))
    );
    assert_eq!(vfs[8]["driver"], "iavf");
    let text = vfnet(tree.root(), &[]);
    let row = text
        .stdout
        .lines()
        .find(|l| l.starts_with(&tree.vf_addr("0000:01:00.0", 7)))
        .unwrap();
    assert!(
        row.split_whitespace().nth(1) == Some("-"),
        "no interface shows as -: {row}"
    );
}

#[test]
fn one_function_with_two_netdevs_is_one_pf_row_naming_both() {
    let tree = Tree::build(&connectx3());
    let doc = json(&tree, &[]);
    assert_eq!(doc["pfs"].as_array().unwrap().len(), 1);
    assert_eq!(
        doc["pfs"][0]["interfaces"],
        serde_json::json!(["enp3s0", "enp3s0d1"])
    );
    assert_eq!(doc["pfs"][0]["interface"], "enp3s0");
    vfnet(tree.root(), &[]).out_has("enp3s0,enp3s0d1");
}

#[test]
fn netdevs_that_are_not_pci_functions_are_not_pf_rows() {
    let tree = Tree::build(&non_pci());
    let doc = json(&tree, &["--all"]);
    assert_eq!(
        doc["pfs"],
        serde_json::json!([]),
        "lo, br0, veth and a virtio NIC are not PFs"
    );
    vfnet(tree.root(), &[])
        .code(0)
        .out_has("0 physical functions (PFs) and 0 virtual functions (VFs).");
}

#[test]
fn all_adds_sriov_devices_without_a_netdev() {
    let tree = Tree::build(&workstation());
    tree.unbind_pf("0000:01:00.1");
    let plain = json(&tree, &[]);
    let pcis = |d: &Value| {
        d["pfs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["pci"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        pcis(&plain),
        ["0000:01:00.0", "0000:03:00.0", "0000:04:00.0"]
    );
    let all = json(&tree, &["--all"]);
    assert_eq!(
        pcis(&all),
        [
            "0000:01:00.0",
            "0000:01:00.1",
            "0000:02:00.0",
            "0000:03:00.0",
            "0000:04:00.0"
        ]
    );
    let unbound = &all["pfs"][1];
    assert_eq!(
        (
            &unbound["driver"],
            &unbound["total_vfs"],
            &unbound["num_vfs"]
        ),
        (&Value::Null, &Value::from(64), &Value::from(0))
    );
}

#[test]
fn unreadable_attributes_are_unknown_and_the_listing_goes_on() {
    let tree = Tree::build(&x550t());
    let pf = "sys/bus/pci/devices/0000:01:00.0";
    for attr in ["vendor", "sriov_numvfs", "sriov_totalvfs"] {
        tree.make_unreadable(&format!("{pf}/{attr}"));
    }
    tree.make_unreadable("sys/class/net/enp1s0f0v1/address");
    let r = vfnet(tree.root(), &[]);
    r.code(0);
    let row = r
        .stdout
        .lines()
        .find(|l| l.starts_with("0000:01:00.0"))
        .unwrap();
    // Unknown stays unknown: no description is made up from an unreadable vendor.
    assert!(
        row.contains(" pci        ?  ") && row.contains(" ?/? "),
        "{row}"
    );
    assert!(!row.contains("ffff"), "{row}");
    let vf1 = r
        .stdout
        .lines()
        .find(|l| l.starts_with("0000:02:10.2"))
        .unwrap();
    assert!(
        vf1.contains("enp1s0f0v1  -  "),
        "unreadable MAC shows as -: {vf1}"
    );
    let doc = json(&tree, &[]);
    assert_eq!(
        (
            &doc["pfs"][0]["vendor"],
            &doc["pfs"][0]["num_vfs"],
            &doc["pfs"][0]["sriov_capable"]
        ),
        (&Value::Null, &Value::Null, &Value::from(true))
    );
    assert_eq!(
        doc["pfs"][0]["description"],
        Value::Null,
        "no description from an unreadable vendor"
    );
    assert_eq!(doc["vfs"][1]["mac"], Value::Null);
    assert_eq!(doc["vfs"].as_array().unwrap().len(), 4);
}

#[test]
fn a_vf_that_vanishes_is_left_out() {
    let tree = Tree::build(&x550t());
    tree.dangle_vf("0000:01:00.0", 1); // virtfn1 still listed, its target gone
    tree.remove_vf("0000:01:00.0", 2); // gone, link and all
    let doc = json(&tree, &[]);
    let pcis: Vec<&str> = doc["vfs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["pci"].as_str().unwrap())
        .collect();
    assert_eq!(pcis, ["0000:02:10.0", "0000:02:10.6"]);
}

#[test]
fn descriptions_fall_back_to_hex_ids_without_pci_ids() {
    let tree = Tree::build(&x550t());
    std::fs::remove_file(tree.path("usr/share/misc/pci.ids")).unwrap();
    assert_eq!(json(&tree, &[])["pfs"][0]["description"], "8086:1563");
    // The hwdata location is tried first, and an entry without a device name
    // keeps the vendor name.
    std::fs::create_dir_all(tree.path("usr/share/hwdata")).unwrap();
    std::fs::write(
        tree.path("usr/share/hwdata/pci.ids"),
        "8086  Intel Corporation\n\t10c9  82576\n",
    )
    .unwrap();
    assert_eq!(
        json(&tree, &[])["pfs"][0]["description"],
        "Intel Corporation device 1563"
    );
}

#[test]
fn config_counts_come_from_the_config_file_by_address_or_name() {
    let tree = Tree::build(&x550t());
    std::fs::write(
        tree.path("etc/vfnet/vfnet.conf"),
        "# mine\nenp1s0f1=8\n0000:01:00.0=2\n",
    )
    .unwrap();
    let doc = json(&tree, &[]);
    assert_eq!(
        (
            &doc["pfs"][0]["configured_vfs"],
            &doc["pfs"][1]["configured_vfs"]
        ),
        (&Value::from(2), &Value::from(8))
    );
    vfnet(tree.root(), &[])
        .out_has("  4/63        2/63  ")
        .out_has("  0/63        8/63  ");
}

#[test]
fn a_broken_config_is_a_warning_not_a_missing_listing() {
    let tree = Tree::build(&x550t());
    std::fs::write(
        tree.path("etc/vfnet/vfnet.conf"),
        "enp1s0f1=8\nthis is wrong\n",
    )
    .unwrap();
    let r = vfnet(tree.root(), &[]);
    r.code(0).one_error("vfnet.conf:2: expected KEY=N");
    r.out_has("8/63");
}

#[test]
fn the_original_tools_config_is_read_when_there_is_no_new_one() {
    let tree = Tree::build(&x550t());
    std::fs::remove_file(tree.path("etc/vfnet/vfnet.conf")).unwrap();
    std::fs::write(tree.path("etc/vfnet/vf.config"), "enp1s0f1:6\n").unwrap();
    assert_eq!(json(&tree, &[])["pfs"][1]["configured_vfs"], 6);
    // --config names another file: that one is read.
    let other = tree.path("pool.conf");
    std::fs::write(&other, "0000:01:00.0=1\n").unwrap();
    let r = vfnet(
        tree.root(),
        &["list", "--json", "--config", other.to_str().unwrap()],
    );
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["pfs"][0]["configured_vfs"], 1);
}

#[test]
fn narrow_terminals_get_tables_that_fit() {
    let tree = Tree::build(&x550t());
    let mut c = support::run::command(tree.root(), &[]);
    c.env("COLUMNS", "80");
    let r = support::run::output(c);
    for line in r.stdout.lines() {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    assert!(!r.stdout.contains("Device Path"));
}

#[test]
fn root_can_come_from_the_environment() {
    let tree = Tree::build(&igb_qemu());
    let mut c = support::run::base();
    c.args(["list", "--json"])
        .env("VFNET_ROOT", tree.root())
        .env_remove("VFNET_CONFIG");
    let r = support::run::output(c);
    r.code(0).out_has("\"pci\":\"0000:01:00.0\"");
}

/// A PF in switchdev mode (mlx5, ice): each VF's representor is a netdev of
/// the PF's PCI device named by `phys_port_name` `pfMvfN`; the uplink is `p0`.
#[test]
fn switchdev_representors_are_shown_on_their_vfs_not_as_pf_interfaces() {
    let machine = x550t();
    let tree = Tree::build(&machine);
    let sys = tree.sys();
    let pf = machine.pci_fn("0000:01:00.0");
    let parent = pf.dir();
    sys.remove("class/net/enp1s0f0/phys_port_name");
    sys.file("class/net/enp1s0f0/phys_port_name", "p0\n", 0o444);
    for (i, (name, port)) in [
        ("eth10", "pf0vf0"),
        ("eth11", "pf0vf2"),
        ("eth12", "pf0sf1"),
    ]
    .into_iter()
    .enumerate()
    {
        let dev = NetDev::ether(name, [0x02, 0, 0, 0, 0x10, i as u8]);
        layout::add_netdev(&sys, &parent, &dev, 100 + i as u32, 100 + i as u32);
        sys.remove(&format!("class/net/{name}/phys_port_name"));
        sys.file(
            &format!("class/net/{name}/phys_port_name"),
            &format!("{port}\n"),
            0o444,
        );
    }
    let v = json(&tree, &[]);
    let pf = &v["pfs"][0];
    // The uplink and the subfunction stay the PF's; the VF representors move.
    assert_eq!(pf["interfaces"], serde_json::json!(["enp1s0f0", "eth12"]));
    assert_eq!(pf["interface"], "enp1s0f0");
    assert_eq!(
        pf.get("eswitch"),
        Some(&Value::Null),
        "devlink is not asked under --root: null"
    );
    let reps: Vec<Value> = v["vfs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["representor"].clone())
        .collect();
    assert_eq!(
        reps,
        [
            Value::from("eth10"),
            Value::Null,
            Value::from("eth11"),
            Value::Null
        ]
    );
    assert_eq!(
        v["vfs"][1].get("representor"),
        Some(&Value::Null),
        "null, not absent, without one"
    );

    let r = vfnet(tree.root(), &["list"]);
    r.code(0);
    let text = r.stdout;
    assert!(
        text.contains("Eswitch (devlink):\nenp1s0f0 (0000:01:00.0): mode not reported; VF representors: eth10 (VF 0), eth11 (VF 2)\n"),
        "{text}"
    );
    // A machine without representors has no such section.
    let plain = Tree::build(&x550t());
    assert!(!vfnet(plain.root(), &["list"]).stdout.contains("Eswitch"));

    // A capture carries the mode devlink reported; its replay shows it,
    // and a capture of the replay carries it on.
    let dir = tree.root().join("vfnet-capture");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("eswitch"),
        "0000:01:00.0 switchdev\n0000:01:00.1 bogus\n",
    )
    .unwrap();
    let v = json(&tree, &[]);
    assert_eq!(v["pfs"][0]["eswitch"], "switchdev");
    assert_eq!(v["pfs"][1].get("eswitch"), Some(&Value::Null));
    vfnet(tree.root(), &["list"]).code(0).out_has(
        "enp1s0f0 (0000:01:00.0): switchdev; VF representors: eth10 (VF 0), eth11 (VF 2)\n",
    );
    let tar = tree.root().join("again.tar");
    vfnet(tree.root(), &["capture", tar.to_str().unwrap()]).code(0);
    let unpacked = tempfile::tempdir().unwrap();
    let st = std::process::Command::new("tar")
        .args([
            "-xf",
            tar.to_str().unwrap(),
            "-C",
            unpacked.path().to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(st.success());
    let again = std::fs::read_to_string(unpacked.path().join("vfnet-capture/eswitch")).unwrap();
    assert_eq!(again, "0000:01:00.0 switchdev\n");
}

/// Listing holds a bounded number of descriptors however many VFs there
/// are (they are closed in runs, a few dozen at a time): with a limit of 100
/// open files, 2 PFs of 128 VFs list exactly as without one.
#[test]
fn a_listing_of_many_vfs_fits_a_small_descriptor_limit() {
    use std::os::unix::process::CommandExt;
    let tree = Tree::build(&many(2, 128));
    let free = vfnet(tree.root(), &["list", "--json"]);
    free.code(0);
    let mut limited = support::run::command(tree.root(), &["list", "--json"]);
    // SAFETY: setrlimit is async-signal-safe; nothing else runs in the child.
    unsafe {
        limited.pre_exec(|| {
            let lim = nix::libc::rlimit {
                rlim_cur: 100,
                rlim_max: 100,
            };
            if nix::libc::setrlimit(nix::libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = limited.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let limited = String::from_utf8_lossy(&out.stdout);
    let first_difference = limited
        .lines()
        .zip(free.stdout.lines())
        .find(|(a, b)| a != b);
    assert!(
        limited == free.stdout,
        "listings differ, first at {first_difference:?}"
    );
    assert_eq!(free.stdout.matches("\"parent_pci\"").count(), 256);
}

/// `vfnet list DEV`, as `ip link show dev X`: a PF with its VFs, a VF with
/// its PF only, by name or address; a name that is neither is an error.
#[test]
fn list_dev_shows_one_pf_or_one_vf() {
    let tree = Tree::build(&x550t());
    let doc = json(&tree, &["enp1s0f0"]);
    assert_eq!(doc["pfs"].as_array().unwrap().len(), 1);
    assert_eq!(doc["pfs"][0]["interface"], "enp1s0f0");
    assert_eq!(doc["vfs"].as_array().unwrap().len(), 4);
    let vf = tree.vf_addr("0000:01:00.0", 2);
    let doc = json(&tree, &[&vf]);
    assert_eq!(doc["pfs"][0]["pci"], "0000:01:00.0");
    let vfs = doc["vfs"].as_array().unwrap();
    assert_eq!((vfs.len(), vfs[0]["pci"].as_str()), (1, Some(vf.as_str())));
    vfnet(tree.root(), &["list", "enp9s0"])
        .code(1)
        .one_error("no network interface named enp9s0");
    vfnet(tree.root(), &["list", "enp1s0f0", "enp1s0f1"])
        .code(2)
        .one_error("unexpected argument 'enp1s0f1'");
}
