//! A dry run says exactly what the run does. Each test runs the dry run and
//! then the real run on the same tree, and compares what they report: the
//! exit status, each entry's status and error, and the values after (for a
//! dry run: what they would be). One planner (`vfnet::change`) decides both.

mod support;

use serde_json::Value;
use support::*;

fn write_conf(tree: &Tree, text: &str) {
    std::fs::create_dir_all(tree.path("etc/vfnet")).unwrap();
    std::fs::write(tree.path("etc/vfnet/vfnet.conf"), text).unwrap();
}

/// `apply --json` (with `--dry-run` when `dry`): its exit code and document.
fn apply(tree: &Tree, dry: bool) -> (i32, Value) {
    let mut args = vec!["apply", "--json"];
    if dry {
        args.push("--dry-run");
    }
    let r = vfnet(tree.root(), &args);
    let doc: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{}\n{}", r.stdout, r.stderr));
    (r.code, doc)
}

/// What must be the same in both documents, entry by entry.
fn outcome(doc: &Value) -> Vec<String> {
    doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "lines {} {} {} vf {} {} after {} error {}",
                e["lines"], e["kind"], e["pci"], e["index"], e["status"], e["after"], e["error"]
            )
        })
        .collect()
}

/// Runs the dry run, then the real run, and checks they agree; returns
/// the real run's outcome for the test to check against the spec.
fn agree(tree: &Tree) -> (i32, Vec<String>) {
    let before = snapshot(tree.root());
    let (dry_code, dry) = apply(tree, true);
    assert_eq!(
        diff(&before, &snapshot(tree.root())),
        Vec::<String>::new(),
        "the dry run changed the tree"
    );
    let (code, real) = apply(tree, false);
    assert_eq!(dry_code, code, "exit status: dry run {dry} vs run {real}");
    assert_eq!(dry["exit_status"], real["exit_status"]);
    assert_eq!(dry["totals"], real["totals"]);
    assert_eq!(outcome(&dry), outcome(&real));
    (code, outcome(&real))
}

#[test]
fn a_held_vf_is_skipped_by_both_and_the_other_pf_changes_in_both() {
    let tree = busy_host();
    write_conf(&tree, "0000:01:00.0=2\n0000:01:00.1=3\n");
    let _k = FakeKernel::start(&tree, KernelOpts::default());
    let (code, out) = agree(&tree);
    assert_eq!(code, 1);
    assert!(out[0].contains("\"in_use\" after 4"), "{out:?}");
    assert!(out[1].contains("\"changed\" after 3"), "{out:?}");
    assert_eq!(tree.vfs(BUSY_PF).len(), 4, "the busy PF keeps its VFs");
}

#[test]
fn set_and_its_dry_run_refuse_a_held_vf_alike_and_agree_on_a_free_change() {
    let tree = busy_host();
    let _k = FakeKernel::start(&tree, KernelOpts::default());
    let dry = vfnet(tree.root(), &["set", "enp1s0f0", "2", "--dry-run"]);
    let real = vfnet(tree.root(), &["set", "enp1s0f0", "2"]);
    assert_eq!((dry.code, real.code), (1, 1));
    // The same refusal, word for word, on stderr.
    assert_eq!(dry.stderr, real.stderr);
    // A count over the total: refused alike, before anything.
    let dry = vfnet(tree.root(), &["set", "enp1s0f1", "99", "--dry-run"]);
    let real = vfnet(tree.root(), &["set", "enp1s0f1", "99"]);
    assert_eq!((dry.code, real.code), (1, 1));
    assert_eq!(dry.stderr, real.stderr);
    // A free PF: the dry run's change is the one made.
    let dry = vfnet(tree.root(), &["set", "enp1s0f1", "3", "--dry-run"]);
    dry.code(0)
        .out_has("enp1s0f1 (0000:01:00.1): would change 0 -> 3 VFs.");
    vfnet(tree.root(), &["set", "enp1s0f1", "3"])
        .code(0)
        .out_has("enp1s0f1 (0000:01:00.1): 0 -> 3 VFs in ");
}

#[test]
fn an_eswitch_line_fails_alike_under_root_and_the_count_still_applies() {
    let tree = Tree::build(&x550t());
    write_conf(
        &tree,
        "0000:01:00.0=4\n0000:01:00.0.eswitch=switchdev\n0000:01:00.1=2\n0000:01:00.1.eswitch=legacy\n",
    );
    let _k = FakeKernel::start(&tree, KernelOpts::default());
    let (code, out) = agree(&tree);
    assert_eq!(code, 1);
    let eswitch: Vec<&String> = out.iter().filter(|o| o.contains("\"eswitch\"")).collect();
    assert_eq!(eswitch.len(), 2, "{out:?}");
    assert!(eswitch.iter().all(|o| o.contains("\"failed\"")), "{out:?}");
    assert!(
        out.iter()
            .any(|o| o.contains("\"count\" \"0000:01:00.1\" vf null \"changed\" after 2")),
        "{out:?}"
    );
    assert_eq!(tree.vfs("0000:01:00.1").len(), 2);
}

#[test]
fn a_connectx3_count_that_drifts_fails_alike_and_nothing_is_written() {
    let tree = Tree::build(&connectx3());
    write_conf(&tree, "0000:03:00.0=8\n");
    let (code, out) = agree(&tree);
    assert_eq!(code, 1);
    assert!(out[0].contains("\"failed\""), "{out:?}");
    assert!(
        out[0].contains("mlx4_core takes the count only when it loads"),
        "{out:?}"
    );
    // The ConnectX-3's set without --reload: refused alike.
    let dry = vfnet(tree.root(), &["set", "0000:03:00.0", "8", "--dry-run"]);
    let real = vfnet(tree.root(), &["set", "0000:03:00.0", "8"]);
    assert_eq!((dry.code, real.code), (1, 1));
    assert_eq!(dry.stderr, real.stderr);
}

#[test]
fn ranges_and_failing_entries_are_reported_alike() {
    let tree = Tree::build(&x550t());
    write_conf(
        &tree,
        "0000:01:00.0=4\n\
         0000:01:00.0.vf2-9.trust=on\n\
         0000:01:00.0.vf7-9.vlan=5\n\
         broken line\n\
         eth9=1\n\
         0000:01:00.1=99\n\
         0000:01:00.1=2\n",
    );
    let _k = FakeKernel::start(&tree, KernelOpts::default());
    let (code, out) = agree(&tree);
    assert_eq!(code, 1);
    // VFs 2 and 3 of the range exist: one record each, failed alike (no
    // rtnetlink under --root); VFs 7-9 do not: the line fails.
    let vf = |n: u32| {
        out.iter()
            .any(|o| o.contains(&format!("vf {n} \"failed\"")))
    };
    assert!(vf(2) && vf(3) && !vf(4), "{out:?}");
    assert!(out.iter().any(|o| o.contains("has no VF 7-9")), "{out:?}");
    assert!(
        out.iter()
            .any(|o| o.contains("lines [4]") && o.contains("\"failed\"")),
        "{out:?}"
    );
    assert!(
        out.iter()
            .any(|o| o.contains("lines [5]") && o.contains("no network interface eth9")),
        "{out:?}"
    );
    assert!(
        out.iter()
            .any(|o| o.contains("lines [6]") && o.contains("more than the device allows")),
        "{out:?}"
    );
    assert!(
        out.iter()
            .any(|o| o.contains("lines [7]") && o.contains("already has an entry on line 6")),
        "{out:?}"
    );
}

#[test]
fn when_everything_applies_both_exit_0_with_the_same_after() {
    let tree = Tree::build(&x550t());
    write_conf(&tree, "0000:01:00.0=2\n0000:01:00.1=3\n");
    let _k = FakeKernel::start(&tree, KernelOpts::default());
    let (code, out) = agree(&tree);
    assert_eq!(code, 0);
    assert!(out[0].contains("\"changed\" after 2"), "{out:?}");
    assert!(out[1].contains("\"changed\" after 3"), "{out:?}");
}
