//! `vfnet capture`: the archive holds exactly what vfnet reads, and `vfnet
//! --root` on the unpacked archive lists what the machine listed.

mod support;

use std::path::Path;
use std::process::Command;
use support::*;

/// Captures `tree` into a tar, unpacks it with the system's tar into a new
/// directory, and returns that directory.
fn capture_and_unpack(tree: &Tree, extra: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("c.tar");
    let mut args = vec!["capture"];
    args.extend_from_slice(extra);
    args.push(archive.to_str().unwrap());
    vfnet(tree.root(), &args).code(0).out_has("wrote ");
    let out = tempfile::tempdir().unwrap();
    let st = Command::new("tar")
        .args([
            "-xf",
            archive.to_str().unwrap(),
            "-C",
            out.path().to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(st.success());
    out
}

fn listing(root: &Path, args: &[&str]) -> String {
    let r = vfnet(root, args);
    r.code(0);
    r.stdout.clone()
}

#[test]
fn a_replayed_capture_lists_what_the_machine_listed() {
    for name in [
        "x550t",
        "connectx3",
        "x710",
        "no_sriov",
        "sriov_off_in_firmware",
        "nvme_sriov",
        "igb_qemu",
        "non_pci",
        "workstation",
    ] {
        let tree = Tree::build(&by_name(name).unwrap());
        let replay = capture_and_unpack(&tree, &[]);
        for args in [
            &["list", "--json"][..],
            &["list", "--all", "--json"],
            &["list"],
            &["list", "--all"],
        ] {
            assert_eq!(
                listing(replay.path(), args),
                listing(tree.root(), args),
                "{name}: vfnet {args:?}"
            );
        }
    }
}

#[test]
fn a_capture_holds_nothing_else() {
    let tree = Tree::build(&x550t());
    // Things vfnet never reads: they must not travel in a bug report.
    std::fs::write(tree.path("etc/shadow"), "root:secret\n").unwrap();
    let pf = tree.pci_dir("0000:01:00.0");
    std::fs::write(pf.join("config"), vec![0xaa; 256]).unwrap();
    std::fs::write(pf.join("serial_number"), "SN123\n").unwrap();
    std::fs::write(
        tree.path("etc/vfnet/vfnet.conf"),
        "# my secret comment\n0000:01:00.0=4\n",
    )
    .unwrap();
    let replay = capture_and_unpack(&tree, &[]);
    assert!(!replay.path().join("etc/shadow").exists());
    let walk = snapshot(replay.path());
    for p in walk.keys() {
        let p = p.to_string_lossy();
        assert!(
            !p.ends_with("/config") && !p.ends_with("serial_number"),
            "{p}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(replay.path().join("etc/vfnet/vfnet.conf")).unwrap(),
        "0000:01:00.0=4\n",
        "entries only, comments left out"
    );
    // Links stay links.
    let link = replay.path().join("sys/bus/pci/devices/0000:01:00.0");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn anonymized_captures_replace_every_mac_consistently() {
    let tree = Tree::build(&x550t());
    let before = listing(tree.root(), &["list", "--json"]);
    let replay = capture_and_unpack(&tree, &["--anonymize"]);
    let after = listing(replay.path(), &["list", "--json"]);
    let macs = |s: &str| -> Vec<String> {
        let doc: serde_json::Value = serde_json::from_str(s).unwrap();
        doc["vfs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["mac"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let (old, new) = (macs(&before), macs(&after));
    assert_eq!(old.len(), new.len());
    for (o, n) in old.iter().zip(&new) {
        assert_ne!(o, n);
        assert!(n.starts_with("02:00:5e:"), "{n}");
    }
    // Everything but the MACs is the same.
    let mut scrubbed = before.clone();
    for (o, n) in old.iter().zip(&new) {
        scrubbed = scrubbed.replace(o.as_str(), n);
    }
    assert_eq!(scrubbed, after);
    let all =
        String::from_utf8_lossy(&std::fs::read(capture_tar(&tree, &["--anonymize"])).unwrap())
            .into_owned();
    for o in &old {
        assert!(!all.contains(o.as_str()), "{o} left in the archive");
    }
}

fn capture_tar(tree: &Tree, extra: &[&str]) -> std::path::PathBuf {
    let dir = tempfile::tempdir().unwrap().keep();
    let archive = dir.join("c.tar");
    let mut args = vec!["capture"];
    args.extend_from_slice(extra);
    args.push(archive.to_str().unwrap());
    vfnet(tree.root(), &args).code(0);
    archive
}

#[test]
fn capture_to_stdout_is_the_same_archive() {
    let tree = Tree::build(&igb_qemu());
    let file = std::fs::read(capture_tar(&tree, &[])).unwrap();
    let out = support::run::command(tree.root(), &["capture", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, file, "deterministic, and - is stdout");
}

#[test]
fn refused_attributes_stay_refused_in_the_replay() {
    let tree = Tree::build(&x550t());
    tree.make_unreadable("sys/bus/pci/devices/0000:01:00.0/sriov_numvfs");
    std::fs::write(
        tree.path("sys/bus/pci/devices/0000:01:00.0/sriov_numvfs/errno"),
        "EACCES\n",
    )
    .unwrap();
    let replay = capture_and_unpack(&tree, &[]);
    assert_eq!(
        listing(replay.path(), &["list", "--json"]),
        listing(tree.root(), &["list", "--json"])
    );
    // The same errno, replayed.
    for root in [tree.root(), replay.path()] {
        vfnet(root, &["persist", "enp1s0f0"])
            .code(1)
            .one_error("enp1s0f0 (0000:01:00.0): cannot read sriov_numvfs: Permission denied");
    }
}

/// A tree whose PCI function's bus link leads to the tree's root would
/// give members names like `/vendor`, which a naive extractor writes to the
/// host's `/`: such members are left out, and vfnet says so.
#[test]
fn member_names_are_always_relative_and_normalized() {
    let tree = Tree::build(&x550t());
    let link = tree.path("sys/bus/pci/devices/0000:01:00.1");
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink("../../../..", &link).unwrap();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("c.tar");
    let r = support::run::vfnet(tree.root(), &["capture", file.to_str().unwrap()]);
    r.code(0).err_has("left out of the archive");
    let list = std::process::Command::new("tar")
        .arg("-tf")
        .arg(&file)
        .output()
        .unwrap();
    let names = String::from_utf8_lossy(&list.stdout);
    assert!(!names.is_empty());
    for n in names.lines() {
        assert!(
            !n.starts_with('/') && !n.split('/').any(|c| c == ".."),
            "member {n:?}"
        );
    }
}

#[test]
fn a_capture_of_a_replay_keeps_the_vf_settings_and_users() {
    let first = unpack_capture("igb-vf0-settings");
    let again = tempfile::tempdir().unwrap();
    let archive = again.path().join("c.tar");
    vfnet(first.path(), &["capture", archive.to_str().unwrap()]).code(0);
    let second = tempfile::tempdir().unwrap();
    let st = Command::new("tar")
        .arg("-xf")
        .arg(&archive)
        .arg("-C")
        .arg(second.path())
        .status()
        .unwrap();
    assert!(st.success());
    let was = listing(first.path(), &["list", "--json"]);
    assert!(was.contains("\"vlan\":100"), "{was}");
    assert_eq!(listing(second.path(), &["list", "--json"]), was);
    assert_eq!(
        listing(second.path(), &["list"]),
        listing(first.path(), &["list"])
    );
}
