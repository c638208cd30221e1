//! `vfnet persist`: what it records, and that it keeps every other byte of
//! the config file, takes the lock, and never changes the live state.

mod support;

use std::path::Path;
use support::*;

fn conf(tree: &Tree) -> String {
    std::fs::read_to_string(tree.path("etc/vfnet/vfnet.conf")).unwrap_or_default()
}

fn write_conf(tree: &Tree, text: &str) {
    std::fs::write(tree.path("etc/vfnet/vfnet.conf"), text).unwrap();
}

/// Everything but the config file and its lock: the live state.
fn live(tree: &Tree) -> Vec<String> {
    let mut s = snapshot(tree.root());
    s.retain(|p, _| !p.starts_with("etc/vfnet"));
    s.into_iter()
        .map(|(p, e)| format!("{} {e:?}", p.display()))
        .collect()
}

const USER_FILE: &str = "# VF layout of the lab host\n\n# enp1s0f0\n0000:01:00.0=4   # for the VMs\nsome.future.key=1\n\n";

#[test]
fn persist_dev_n_appends_by_address_and_keeps_every_other_byte() {
    let tree = Tree::build(&x550t());
    write_conf(&tree, USER_FILE.trim_end_matches('\n'));
    let state = live(&tree);
    let r = vfnet(tree.root(), &["persist", "enp1s0f1", "8"]);
    r.code(0)
        .out_has("enp1s0f1 (0000:01:00.1): 8 VFs recorded in ");
    // The file had no final newline: one is added before the new entry.
    // The unknown key is a bad line for this version, but it is kept.
    assert_eq!(
        conf(&tree),
        format!(
            "{}\n# enp1s0f1\n0000:01:00.1=8\n",
            USER_FILE.trim_end_matches('\n')
        )
    );
    assert_eq!(live(&tree), state, "persist changes no live state");
}

#[test]
fn an_entry_for_the_same_pf_is_replaced_in_place() {
    let tree = Tree::build(&x550t());
    write_conf(&tree, USER_FILE);
    vfnet(tree.root(), &["persist", "0000:01:00.0", "6"]).code(0);
    assert_eq!(
        conf(&tree),
        USER_FILE.replace("0000:01:00.0=4   # for the VMs", "0000:01:00.0=6")
    );
    // An entry by interface name is the same PF: replaced by the address,
    // with the name in a comment above.
    write_conf(&tree, "# keep\nenp1s0f1 = 3\n# keep too\n");
    vfnet(tree.root(), &["persist", "0000:01:00.1", "5"]).code(0);
    assert_eq!(
        conf(&tree),
        "# keep\n# enp1s0f1\n0000:01:00.1=5\n# keep too\n"
    );
}

#[test]
fn persist_dev_records_its_current_count() {
    let tree = Tree::build(&x550t());
    std::fs::remove_file(tree.path("etc/vfnet/vfnet.conf")).unwrap();
    vfnet(tree.root(), &["persist", "enp1s0f0"])
        .code(0)
        .out_has("enp1s0f0 (0000:01:00.0): 4 VFs recorded");
    assert_eq!(conf(&tree), "# enp1s0f0\n0000:01:00.0=4\n");
    vfnet(tree.root(), &["persist", "enp1s0f0"])
        .code(0)
        .out_has("4 VFs already recorded");
}

#[test]
fn persist_alone_records_every_pf_with_vfs() {
    let tree = Tree::build(&workstation());
    std::fs::remove_file(tree.path("etc/vfnet/vfnet.conf")).unwrap();
    let r = vfnet(tree.root(), &["persist"]);
    r.code(0);
    assert_eq!(
        conf(&tree),
        "# enp1s0f0\n0000:01:00.0=4\n# enp3s0\n0000:03:00.0=4\n"
    );
    // A PF that had an entry is updated to what it has now, even 0.
    write_conf(&tree, "0000:01:00.1=7\n");
    vfnet(tree.root(), &["persist"])
        .code(0)
        .out_has("enp1s0f1 (0000:01:00.1): 0 VFs recorded");
    assert_eq!(
        conf(&tree),
        "# enp1s0f1\n0000:01:00.1=0\n# enp1s0f0\n0000:01:00.0=4\n# enp3s0\n0000:03:00.0=4\n"
    );
}

#[test]
fn persist_alone_with_nothing_to_record_creates_no_file() {
    let tree = Tree::build(&igb_qemu());
    vfnet(tree.root(), &["persist"])
        .code(0)
        .out_has("No PF has VFs: nothing to record");
    assert!(!tree.path("etc/vfnet/vfnet.conf").exists());
}

#[test]
fn bad_input_changes_nothing() {
    let tree = Tree::build(&x550t());
    write_conf(&tree, USER_FILE);
    let before = snapshot(tree.root());
    let cases: &[(&[&str], i32, &str)] = &[
        (&["persist", "enp1s0f1", "64"], 1, "at most 63"),
        (&["persist", "enp1s0f1", "x"], 2, "not 'x'"),
        (&["persist", "enp1s0f1", "1", "2"], 2, "unexpected argument"),
        (
            &["persist", "eth9", "1"],
            1,
            "no network interface named eth9",
        ),
        (
            &["persist", "enp1s0f0v0", "1"],
            1,
            "is a virtual function of enp1s0f0",
        ),
        (&["persist", "a/b"], 2, "cannot contain '/'"),
    ];
    for (args, code, want) in cases {
        vfnet(tree.root(), args).code(*code).one_error(want);
    }
    assert_eq!(diff(&before, &snapshot(tree.root())), Vec::<String>::new());
}

#[test]
fn the_original_tools_file_is_migrated() {
    let tree = Tree::build(&x550t());
    std::fs::remove_file(tree.path("etc/vfnet/vfnet.conf")).unwrap();
    std::fs::write(tree.path("etc/vfnet/vf.config"), "enp1s0f0:4\nenp9s0:2\n").unwrap();
    let r = vfnet(tree.root(), &["persist", "enp1s0f1", "3"]);
    r.code(0)
        .out_has("Migrated 2 entries from ")
        .out_has("enp1s0f1 (0000:01:00.1): 3 VFs recorded");
    // The comment names the file as the tree's system sees it.
    assert_eq!(
        conf(&tree),
        "# Migrated from /etc/vfnet/vf.config by vfnet persist; that file is no longer read.\n# enp1s0f0\n0000:01:00.0=4\nenp9s0=2\n# enp1s0f1\n0000:01:00.1=3\n"
    );
}

#[test]
fn paths_in_messages_are_absolute_whatever_the_root_was_given_as() {
    let tree = Tree::build(&x550t());
    let parent = tree.root().parent().unwrap();
    let name = tree.root().file_name().unwrap().to_str().unwrap();
    let r = support::run::output({
        let mut c = support::run::base();
        c.current_dir(parent)
            .args(["--root", name, "persist", "enp1s0f1", "2"]);
        c
    });
    r.code(0).out_has(&format!(
        "recorded in {}",
        tree.path("etc/vfnet/vfnet.conf").display()
    ));
}

#[test]
fn the_config_file_can_live_elsewhere() {
    let tree = Tree::build(&x550t());
    let pool = tree.path("mnt/tank/vfnet.conf");
    std::fs::create_dir_all(pool.parent().unwrap()).unwrap();
    vfnet(
        tree.root(),
        &[
            "persist",
            "enp1s0f1",
            "2",
            "--config",
            pool.to_str().unwrap(),
        ],
    )
    .code(0);
    assert_eq!(
        std::fs::read_to_string(&pool).unwrap(),
        "# enp1s0f1\n0000:01:00.1=2\n"
    );
    let mut c = support::run::command(tree.root(), &["persist", "enp1s0f1", "3"]);
    c.env("VFNET_CONFIG", &pool);
    support::run::output(c).code(0);
    assert_eq!(
        std::fs::read_to_string(&pool).unwrap(),
        "# enp1s0f1\n0000:01:00.1=3\n"
    );
    assert_eq!(
        conf(&tree),
        "# enp1s0f0\n0000:01:00.0=4\n",
        "the default file is untouched"
    );
}

#[test]
fn a_symlink_at_the_lock_path_is_not_followed() {
    let tree = Tree::build(&x550t());
    let target = tree.path("victim");
    std::fs::write(&target, "keep").unwrap();
    std::os::unix::fs::symlink(&target, tree.path("etc/vfnet/vfnet.conf.lock")).unwrap();
    vfnet(tree.root(), &["persist", "enp1s0f1", "1"])
        .code(1)
        .one_error("is a symlink; refusing to follow it");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    assert!(Path::new(&tree.path("etc/vfnet/vfnet.conf")).exists());
}

#[test]
fn vf_settings_and_removal_are_recorded_as_asked_and_a_dry_run_prints_the_file() {
    let tree = Tree::build(&x550t());
    write_conf(&tree, USER_FILE);
    let state = live(&tree);
    let before = conf(&tree);
    // --dry-run: the file as it would be, and nothing written.
    let r = vfnet(
        tree.root(),
        &[
            "persist",
            "enp1s0f1",
            "2",
            "--vf",
            "vfs.mac=auto",
            "--vf",
            "vf0-1.driver=vfio-pci",
            "--dry-run",
        ],
    );
    r.code(0);
    let planned = r.stdout.clone();
    assert_eq!(conf(&tree), before);
    assert!(!tree.path("etc/vfnet/vfnet.conf.lock").exists());
    // The real run writes exactly that.
    vfnet(
        tree.root(),
        &[
            "persist",
            "enp1s0f1",
            "2",
            "--vf",
            "vfs.mac=auto",
            "--vf",
            "vf0-1.driver=vfio-pci",
        ],
    )
    .code(0)
    .out_has("enp1s0f1 (0000:01:00.1): 2 VFs and VF settings recorded in ");
    assert_eq!(conf(&tree), planned);
    assert_eq!(
        conf(&tree),
        format!(
            "{USER_FILE}# enp1s0f1\n0000:01:00.1=2\n0000:01:00.1.vfs.mac=auto\n0000:01:00.1.vf0-1.driver=vfio-pci\n"
        )
    );
    // --vf alone leaves the count; the same setting again is no change.
    vfnet(
        tree.root(),
        &["persist", "enp1s0f1", "--vf", "vf0-1.driver=vfio-pci"],
    )
    .code(0)
    .out_has("VF settings already recorded");
    // A bad SPEC is a usage error naming it; nothing written.
    vfnet(tree.root(), &["persist", "enp1s0f1", "--vf", "vf1.vlan=x"])
        .code(2)
        .err_has("--vf 'vf1.vlan=x': vlan takes a VLAN id");
    // --remove takes the PF's lines (and vfnet's name comment), nothing else.
    vfnet(tree.root(), &["persist", "enp1s0f1", "--remove"])
        .code(0)
        .out_has("entries removed from");
    assert_eq!(conf(&tree), USER_FILE);
    // A PF that is gone is removed by its key as written.
    write_conf(&tree, "eth42=3\neth42.vfs.trust=on\n0000:01:00.0=4\n");
    vfnet(tree.root(), &["persist", "eth42", "--remove"]).code(0);
    assert_eq!(conf(&tree), "0000:01:00.0=4\n");
    assert_eq!(live(&tree), state);
}

/// persist says what it recorded: an eswitch mode is not "VF settings".
#[test]
fn persist_names_what_it_recorded() {
    let tree = Tree::build(&x550t());
    vfnet(
        tree.root(),
        &["persist", "enp1s0f0", "--eswitch", "switchdev"],
    )
    .code(0)
    .out_has("enp1s0f0 (0000:01:00.0): eswitch mode switchdev recorded in ");
    vfnet(
        tree.root(),
        &[
            "persist",
            "enp1s0f0",
            "3",
            "--vf",
            "vf1.mac=auto",
            "--eswitch",
            "legacy",
        ],
    )
    .code(0)
    .out_has("enp1s0f0 (0000:01:00.0): 3 VFs, VF settings and eswitch mode legacy recorded in ");
}

#[test]
fn persist_warns_of_what_apply_would_then_fail() {
    let tree = Tree::build(&x550t());
    // ixgbe has no switchdev mode: recorded, with a warning.
    let r = vfnet(
        tree.root(),
        &["persist", "enp1s0f0", "--eswitch", "switchdev"],
    );
    r.code(0).err_has(
        "warning: enp1s0f0 (0000:01:00.0): recorded eswitch switchdev, but its driver ixgbe has only the legacy mode",
    );
    // A VF past the count recorded.
    let r = vfnet(
        tree.root(),
        &["persist", "enp1s0f1", "2", "--vf", "vf5.mac=auto"],
    );
    r.code(0)
        .err_has("warning: enp1s0f1 (0000:01:00.1): recorded vf5 for VFs it will not have: the config gives it 2 VFs (VFs 0-1)");
    let r = vfnet(
        tree.root(),
        &["persist", "enp1s0f1", "--vf", "vf1.trust=on"],
    );
    assert_eq!(r.code(0).stderr, "", "VF 1 of 2: no warning");
}

#[test]
fn a_vf_spec_without_its_selection_names_the_forms() {
    let tree = Tree::build(&x550t());
    vfnet(tree.root(), &["persist", "enp1s0f1", "--vf", "mac=auto"])
        .code(2)
        .one_error("--vf takes vfN.SETTING=VALUE, vfA-B.SETTING=VALUE or vfs.SETTING=VALUE (vfs.mac=auto for every VF), not 'mac=auto'");
}
