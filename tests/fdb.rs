//! `vfnet fdb` against a real kernel's bridge: a network namespace of the
//! test's own, where veths stand for the x550t tree's PFs (enp1s0f0 with 4
//! VFs, enp1s0f1 with none) and for VMs' taps, in a bridge vmbr0. The tree
//! gives the SR-IOV side, the namespace's rtnetlink the bridge side
//! (`VFNET_TEST_ROUTE=1`). Needs root (`ip netns add`), as CI has: run
//! as another user, each test says on stderr that it skipped; as root, a
//! namespace that cannot be made fails it. The QEMU suite runs the same
//! on the real igb.

mod support;

use std::process::Command;
use support::*;

/// A network namespace, deleted on drop.
struct Netns(String);

impl Netns {
    fn new(tag: &str) -> Netns {
        let name = format!("vfnet-t{}-{tag}", std::process::id());
        let ok = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "ip netns add {name}: these tests need root and iproute2"
        );
        Netns(name)
    }

    /// Runs `ip ARGS` (or `bridge ARGS`) in the namespace; must succeed.
    fn sh(&self, script: &str) -> String {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.0, "sh", "-ec", script])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// vfnet on `tree`, in the namespace.
    fn vfnet(&self, tree: &Tree, args: &[&str]) -> support::run::Run {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.0, "env", "VFNET_TEST_ROUTE=1"]);
        c.arg(support::run::bin()).arg("--root").arg(tree.root());
        c.args(args)
            .env_remove("VFNET_CONFIG")
            .env("COLUMNS", "250");
        support::run::output(c)
    }

    /// The MACs in `dev`'s own table (unicast, `self`).
    fn own(&self, dev: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .sh(&format!("bridge fdb show dev {dev}"))
            .lines()
            .filter(|l| l.contains(" self"))
            .map(|l| l.split(' ').next().unwrap().to_string())
            .filter(|m| u8::from_str_radix(&m[..2], 16).unwrap() & 1 == 0)
            .collect();
        v.sort();
        v
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

const VM1: &str = "02:aa:00:00:00:01";
const VM2: &str = "02:aa:00:00:00:02";

/// enp1s0f0 and a tap in vmbr0, VM1 given to the tap as a static entry
/// (as Proxmox's `bridge fdb` hook does, and as learning would).
fn bridged(tag: &str) -> Option<(Netns, Tree)> {
    if !nix::unistd::geteuid().is_root() {
        eprintln!(
            "skipped: tests/fdb.rs needs root for its network namespace (CI runs it as root)"
        );
        return None;
    }
    let ns = Netns::new(tag);
    ns.sh(&format!(
        "ip link add enp1s0f0 type veth peer name wire0
         ip link add enp1s0f1 type veth peer name wire1
         ip link add vmbr0 type bridge
         ip link add tap100i0 type veth peer name vm100
         ip link set enp1s0f0 master vmbr0
         ip link set tap100i0 master vmbr0
         for d in enp1s0f0 enp1s0f1 wire0 wire1 vmbr0 tap100i0; do ip link set $d up; done
         bridge fdb add {VM1} dev tap100i0 master static"
    ));
    Some((ns, Tree::build(&x550t())))
}

#[test]
fn the_macs_behind_the_bridge_go_into_the_pfs_table_and_a_dry_run_changes_nothing() {
    let Some((ns, tree)) = bridged("add") else {
        return;
    };
    let r = ns.vfnet(&tree, &["fdb", "--dry-run"]);
    r.code(0).out_has(&format!(
        "enp1s0f0 (0000:01:00.0) in vmbr0: would add {VM1}; 1 MAC behind the bridge"
    ));
    assert_eq!(
        ns.own("enp1s0f0"),
        Vec::<String>::new(),
        "the dry run changed nothing"
    );
    assert!(!tree.path("run/vfnet/fdb/0000:01:00.0").exists());

    let r = ns.vfnet(&tree, &["fdb"]);
    r.code(0)
        .out_has(&format!("in vmbr0: added {VM1}; 1 MAC behind the bridge"));
    assert_eq!(ns.own("enp1s0f0"), [VM1]);
    assert_eq!(
        std::fs::read_to_string(tree.path("run/vfnet/fdb/0000:01:00.0")).unwrap(),
        format!("{VM1}\n")
    );
    // enp1s0f1 has no VFs and no bridge: not named, not touched.
    assert!(!r.stdout.contains("enp1s0f1"), "{}", r.stdout);
    ns.vfnet(&tree, &["fdb"])
        .code(0)
        .out_has("in vmbr0: in step (1 MAC behind the bridge)");
}

#[test]
fn a_mac_that_goes_is_removed_and_entries_vfnet_did_not_add_are_never_touched() {
    let Some((ns, tree)) = bridged("stale") else {
        return;
    };
    // Someone else's entries: one behind the bridge too (VM2), one not.
    ns.sh(&format!(
        "bridge fdb add {VM2} dev tap100i0 master static
         bridge fdb add {VM2} dev enp1s0f0 self
         bridge fdb add 02:bb:00:00:00:09 dev enp1s0f0 self"
    ));
    ns.vfnet(&tree, &["fdb"])
        .code(0)
        .out_has(&format!("added {VM1};"));
    assert_eq!(ns.own("enp1s0f0"), [VM1, VM2, "02:bb:00:00:00:09"]);
    ns.sh(&format!(
        "bridge fdb del {VM1} dev tap100i0 master static
         bridge fdb del {VM2} dev tap100i0 master static"
    ));
    let r = ns.vfnet(&tree, &["fdb", "--json"]);
    r.code(0);
    let d: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(d["pfs"][0]["removed"], serde_json::json!([VM1]), "{d}");
    assert_eq!(d["pfs"][0]["behind"], serde_json::json!([]));
    assert_eq!(ns.own("enp1s0f0"), [VM2, "02:bb:00:00:00:09"]);
    assert!(
        !tree.path("run/vfnet/fdb/0000:01:00.0").exists(),
        "an empty record is removed"
    );
}

#[test]
fn a_pf_whose_vfs_are_gone_gets_back_what_vfnet_added() {
    let Some((ns, tree)) = bridged("novfs") else {
        return;
    };
    ns.vfnet(&tree, &["fdb"]).code(0);
    for n in 0..4 {
        tree.remove_vf("0000:01:00.0", n);
    }
    tree.set("sys/bus/pci/devices/0000:01:00.0/sriov_numvfs", "0\n");
    ns.vfnet(&tree, &["fdb", "enp1s0f0"])
        .code(0)
        .out_has(&format!(
            "in vmbr0: removed {VM1}; 0 MACs behind the bridge"
        ));
    assert_eq!(ns.own("enp1s0f0"), Vec::<String>::new());
}

#[test]
fn the_config_chooses_the_pfs_and_a_named_pf_says_why_it_needs_nothing() {
    let Some((ns, tree)) = bridged("config") else {
        return;
    };
    std::fs::write(tree.path("etc/vfnet/vfnet.conf"), "enp1s0f1.fdb_sync=yes\n").unwrap();
    // Only enp1s0f1 is chosen: no bridge, no VFs, nothing to say.
    let r = ns.vfnet(&tree, &["fdb"]);
    r.code(0)
        .out_has("no PF with VFs is a bridge port; nothing to do");
    assert_eq!(ns.own("enp1s0f0"), Vec::<String>::new());
    ns.vfnet(&tree, &["fdb", "enp1s0f1"])
        .code(0)
        .out_has("enp1s0f1 (0000:01:00.1): has no VFs; nothing to sync");
    std::fs::write(
        tree.path("etc/vfnet/vfnet.conf"),
        "enp1s0f1.fdb_sync=yes\n0000:01:00.0.fdb_sync=on\n",
    )
    .unwrap();
    ns.vfnet(&tree, &["fdb"])
        .code(0)
        .out_has(&format!("added {VM1}"));
    std::fs::write(
        tree.path("etc/vfnet/vfnet.conf"),
        "enp1s0f0.fdb_sync=maybe\n",
    )
    .unwrap();
    ns.vfnet(&tree, &["apply", "--dry-run"])
        .code(1)
        .err_has("fdb_sync takes yes or no");
}

/// (A PF under a bond or a VLAN is `fdb::ports`'s unit test: this kernel
/// has neither module.)
#[test]
fn names_from_the_kernel_are_escaped_where_shown() {
    let Some((ns, tree)) = bridged("esc") else {
        return;
    };
    // A bridge named with an ESC and a `$`: the kernel takes both.
    ns.sh("ip link set vmbr0 name \"$(printf 'br\\033[2J$x')\"");
    let r = ns.vfnet(&tree, &["fdb", "--dry-run"]);
    r.code(0).out_has("in br\\x1b[2J$x: would add");
    assert!(!r.stdout.contains('\x1b'), "{}", r.stdout);
    let r = ns.vfnet(&tree, &["fdb", "--dry-run", "--json"]);
    assert!(
        r.stdout.contains(r#""bridges":["br\u001b[2J$x"]"#),
        "{}",
        r.stdout
    );
    let d: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(d["pfs"][0]["bridges"], serde_json::json!(["br\u{1b}[2J$x"]));
}

#[test]
fn watch_follows_macs_that_come_and_go_one_line_each() {
    let Some((ns, tree)) = bridged("watch") else {
        return;
    };
    let mut c = Command::new("ip");
    c.args([
        "netns",
        "exec",
        &ns.0,
        "env",
        "VFNET_TEST_ROUTE=1",
        "timeout",
        "8",
    ]);
    c.arg(support::run::bin()).arg("--root").arg(tree.root());
    c.args(["fdb", "--watch"]).env_remove("VFNET_CONFIG");
    c.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = c.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    ns.sh(&format!("bridge fdb add {VM2} dev tap100i0 master static"));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    ns.sh(&format!("bridge fdb del {VM1} dev tap100i0 master static"));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(ns.own("enp1s0f0"), [VM2], "in step while it runs");
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            format!("enp1s0f0 (0000:01:00.0): added {VM1}"),
            format!("enp1s0f0 (0000:01:00.0): added {VM2}"),
            format!("enp1s0f0 (0000:01:00.0): removed {VM1}"),
        ],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn under_root_without_the_test_hook_fdb_refuses_in_one_line() {
    let tree = Tree::build(&x550t());
    vfnet(tree.root(), &["fdb"]).code(1).err_has(
        "fdb reads and changes the running kernel's bridge tables; it does not run with --root",
    );
    vfnet(tree.root(), &["fdb", "--watch", "--json"])
        .code(2)
        .err_has("--watch prints one line per change");
}

#[test]
fn apply_syncs_once_the_pfs_whose_config_says_fdb_sync_and_its_dry_run_says_the_same() {
    let Some((ns, tree)) = bridged("apply") else {
        return;
    };
    std::fs::write(
        tree.path("etc/vfnet/vfnet.conf"),
        "0000:01:00.0=4\nenp1s0f0.fdb_sync=yes\n",
    )
    .unwrap();
    let dry = ns.vfnet(&tree, &["apply", "--dry-run"]);
    dry.code(0).out_has(&format!(
        "enp1s0f0 (0000:01:00.0): fdb would sync with vmbr0: add {VM1}"
    ));
    assert_eq!(ns.own("enp1s0f0"), Vec::<String>::new());
    let run = ns.vfnet(&tree, &["apply"]);
    run.code(0).out_has(&format!(
        "enp1s0f0 (0000:01:00.0): fdb synced with vmbr0: add {VM1}"
    ));
    assert_eq!(
        dry.stdout.replace("would sync", "synced"),
        run.stdout,
        "the dry run said what the run did"
    );
    assert_eq!(ns.own("enp1s0f0"), [VM1]);
    let r = ns.vfnet(&tree, &["apply", "--json"]);
    let d: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let e = &d["entries"][1];
    assert_eq!(e["kind"], "fdb", "{d}");
    assert_eq!(
        (e["before"].clone(), e["wanted"].clone(), e["after"].clone()),
        (1.into(), 1.into(), 1.into())
    );
    assert_eq!(e["status"], "unchanged");
    // Without the bridges to read (a tree for another host): skipped, said why.
    let r = vfnet(tree.root(), &["apply", "--json"]);
    let d: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(d["entries"][1]["status"], "skipped", "{d}");
}

/// The README's fdb example, run in a namespace: each `$ vfnet ...` line's
/// output as the README shows it.
#[test]
fn readme_fdb() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let block = readme
        .split("<!-- checked: tests/fdb.rs readme_fdb -->\n```\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("the README's fdb block");
    let Some((ns, tree)) = bridged("readme") else {
        return;
    };
    let mut got = String::new();
    for line in block.lines().filter(|l| l.starts_with("$ vfnet ")) {
        let args: Vec<&str> = line["$ vfnet ".len()..].split(' ').collect();
        got.push_str(line);
        got.push('\n');
        got.push_str(&ns.vfnet(&tree, &args).code(0).stdout);
    }
    assert_eq!(got.trim_end(), block.trim_end());
}

/// `fdb --json` has exactly the fields the README's schema lists, in order.
#[test]
fn fdb_json_has_exactly_the_readme_fields() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let fields = |path: &str| -> Vec<String> {
        readme
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{path}: ")))
            .unwrap_or_else(|| panic!("the README's schema has no {path}"))
            .split(' ')
            .map(String::from)
            .collect()
    };
    let keys =
        |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    let Some((ns, tree)) = bridged("schema") else {
        return;
    };
    for args in [
        &["fdb", "--json"][..],
        &["fdb", "--json", "--dry-run", "enp1s0f0"],
    ] {
        let r = ns.vfnet(&tree, args);
        let d: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(keys(&d), fields("fdb"));
        assert_eq!(d["version"], 1);
        assert_eq!(keys(&d["pfs"][0]), fields("fdb.pfs[]"));
    }
}

/// The record under `--root` stays in the tree: a tree whose `run` is an
/// absolute link to a directory outside means the tree's own copy of it.
#[test]
fn the_record_is_written_inside_the_tree_even_through_a_link_that_points_out() {
    let Some((ns, tree)) = bridged("sandbox") else {
        return;
    };
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), tree.path("run")).unwrap();
    ns.vfnet(&tree, &["fdb"])
        .code(0)
        .out_has(&format!("added {VM1}"));
    assert!(
        std::fs::read_dir(outside.path()).unwrap().next().is_none(),
        "nothing written outside the tree"
    );
    let inside = tree.path(&format!(
        "{}/vfnet/fdb/0000:01:00.0",
        outside.path().display().to_string().trim_start_matches('/')
    ));
    assert_eq!(std::fs::read_to_string(inside).unwrap(), format!("{VM1}\n"));
}
