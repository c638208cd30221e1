//! The listing tells the truth in every state the kernel passes through,
//! and on trees shaped the way other tools capture sysfs: each PCI
//! function appears once, as a PF or as a VF; unknown stays unknown.
//!
//! The kernel tears VFs down in this order (pci_iov_remove_virtfn): the
//! PF's `virtfnN` link first, then the VF's `physfn`, then the VF's driver
//! and device. These tests stop a tree at each of those points.

mod support;

use serde_json::Value;
use std::os::unix::fs::symlink;
use support::*;

fn json(tree: &Tree, args: &[&str]) -> Value {
    let mut list = vec!["list", "--json"];
    list.extend_from_slice(args);
    let r = vfnet(tree.root(), &list);
    r.code(0);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{}", r.stdout))
}

fn pcis(doc: &Value, what: &str) -> Vec<String> {
    doc[what]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["pci"].as_str().unwrap().to_string())
        .collect()
}

/// Every function once: no address twice, none both a PF and a VF.
fn each_function_once(doc: &Value) {
    let mut all = pcis(doc, "pfs");
    all.extend(pcis(doc, "vfs"));
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "a function listed twice: {doc}");
}

const PF: &str = "0000:01:00.0";

#[test]
fn virtfn_links_gone_first_leave_each_vf_once_under_its_pf() {
    let tree = Tree::build(&x550t());
    let before = json(&tree, &[]);
    // The kernel has removed the PF's virtfn links of VFs 1 to 3; their
    // physfn links, netdevs and drivers are still there.
    for n in 1..4 {
        std::fs::remove_file(tree.pci_dir(PF).join(format!("virtfn{n}"))).unwrap();
    }
    let doc = json(&tree, &[]);
    each_function_once(&doc);
    assert_eq!(
        pcis(&doc, "pfs"),
        pcis(&before, "pfs"),
        "the PF once, not once per VF netdev"
    );
    assert_eq!(pcis(&doc, "vfs"), pcis(&before, "vfs"));
    let idx: Vec<&Value> = doc["vfs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["index"])
        .collect();
    assert_eq!(
        idx,
        [&Value::from(0), &Value::Null, &Value::Null, &Value::Null]
    );
    for v in doc["vfs"].as_array().unwrap() {
        assert_eq!(v["parent_pci"], PF);
    }
    // The text table says "?" for an unknown VF #.
    let r = vfnet(tree.root(), &[]);
    let row = r
        .stdout
        .lines()
        .find(|l| l.starts_with("0000:02:10.2"))
        .unwrap();
    assert!(row.contains("  enp1s0f0  ?  "), "{row}");
    // With every virtfn link gone, the same.
    std::fs::remove_file(tree.pci_dir(PF).join("virtfn0")).unwrap();
    let doc = json(&tree, &["--all"]);
    each_function_once(&doc);
    assert_eq!(doc["vfs"].as_array().unwrap().len(), 4);
    assert_eq!(doc["pfs"].as_array().unwrap().len(), 2);
}

#[test]
fn a_vf_whose_physfn_cannot_be_followed_is_never_a_pf() {
    let tree = Tree::build(&x550t());
    let vf = tree.vf_dir(PF, 2);
    // Its PF no longer lists it, and its physfn leads nowhere.
    std::fs::remove_file(tree.pci_dir(PF).join("virtfn2")).unwrap();
    std::fs::remove_file(vf.join("physfn")).unwrap();
    symlink("../0000:7f:00.0", vf.join("physfn")).unwrap();
    let doc = json(&tree, &["--all"]);
    each_function_once(&doc);
    assert!(
        !pcis(&doc, "pfs").contains(&"0000:02:10.4".to_string()),
        "{doc}"
    );
    // A physfn that is not even a link (unreadable as one).
    std::fs::remove_file(vf.join("physfn")).unwrap();
    std::fs::create_dir(vf.join("physfn")).unwrap();
    let doc = json(&tree, &["--all"]);
    each_function_once(&doc);
    assert!(
        !pcis(&doc, "pfs").contains(&"0000:02:10.4".to_string()),
        "{doc}"
    );
}

#[test]
fn a_vf_without_its_physfn_that_its_pf_lists_is_a_vf() {
    // A capture that lost the VF's physfn: the PF's virtfn link decides.
    let tree = Tree::build(&x550t());
    let before = json(&tree, &[]);
    for n in 0..4 {
        std::fs::remove_file(tree.vf_dir(PF, n).join("physfn")).unwrap();
    }
    let doc = json(&tree, &[]);
    each_function_once(&doc);
    assert_eq!(doc, before);
}

#[test]
fn a_tree_without_class_net_lists_the_same() {
    let tree = Tree::build(&x550t());
    let before = json(&tree, &[]);
    let text = vfnet(tree.root(), &[]).stdout.clone();
    std::fs::remove_dir_all(tree.path("sys/class/net")).unwrap();
    assert_eq!(json(&tree, &[]), before);
    assert_eq!(vfnet(tree.root(), &[]).stdout, text);
    // set and persist find the netdev the same way.
    vfnet(tree.root(), &["persist", "enp1s0f1", "2"])
        .code(0)
        .out_has("enp1s0f1 (0000:01:00.1): 2 VFs recorded");
}

#[test]
fn a_pf_with_numvfs_but_no_totalvfs_shows_what_it_knows() {
    let tree = Tree::build(&x550t());
    std::fs::remove_file(tree.pci_dir(PF).join("sriov_totalvfs")).unwrap();
    let doc = json(&tree, &[]);
    each_function_once(&doc);
    let pf = &doc["pfs"][0];
    assert_eq!(
        (
            &pf["pci"],
            &pf["sriov_capable"],
            &pf["total_vfs"],
            &pf["num_vfs"]
        ),
        (
            &Value::from(PF),
            &Value::from(true),
            &Value::Null,
            &Value::from(4)
        )
    );
    assert_eq!(doc["vfs"].as_array().unwrap().len(), 4);
    let r = vfnet(tree.root(), &[]);
    let row = r.stdout.lines().find(|l| l.starts_with(PF)).unwrap();
    assert!(row.contains(" Yes      4/?  "), "{row}");
}

#[test]
fn unreadable_ids_make_no_description() {
    let tree = Tree::build(&x550t());
    tree.make_unreadable(&format!("sys/bus/pci/devices/{PF}/device"));
    let doc = json(&tree, &[]);
    let pf = &doc["pfs"][0];
    assert_eq!(
        (&pf["device"], &pf["description"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(
        doc["pfs"][1]["description"],
        "Intel Corporation Ethernet Controller 10G X550T"
    );
}

#[test]
fn a_capture_with_absolute_links_and_no_class_net_lists_the_same() {
    let tree = Tree::build(&x550t());
    let before = json(&tree, &[]);
    std::fs::remove_dir_all(tree.path("sys/class/net")).unwrap();
    absolutize(tree.root(), &tree.path("sys"));
    assert_eq!(json(&tree, &[]), before);
}

/// Makes every symlink below `dir` absolute, from the tree's `/`.
fn absolutize(root: &std::path::Path, dir: &std::path::Path) {
    let canon_root = std::fs::canonicalize(root).unwrap();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let meta = std::fs::symlink_metadata(&p).unwrap();
        if meta.file_type().is_symlink() {
            let t = std::fs::read_link(&p).unwrap();
            if let (true, Ok(real)) = (
                t.is_relative(),
                std::fs::canonicalize(p.parent().unwrap().join(&t)),
            ) {
                let inside =
                    std::path::Path::new("/").join(real.strip_prefix(&canon_root).unwrap());
                std::fs::remove_file(&p).unwrap();
                symlink(inside, &p).unwrap();
            }
        } else if meta.is_dir() {
            absolutize(root, &p);
        }
    }
}
