//! `vfnet apply`: the live state follows the config file, entry by entry;
//! a bad entry is reported and the others still apply.

mod support;

use serde_json::json;

use std::time::Duration;
use support::*;

fn write_conf(tree: &Tree, text: &str) {
    std::fs::write(tree.path("etc/vfnet/vfnet.conf"), text).unwrap();
}

#[test]
fn persisted_counts_come_back_after_set_0() {
    let tree = Tree::build(&x550t());
    let k = FakeKernel::start(&tree, KernelOpts::default());
    vfnet(tree.root(), &["persist", "enp1s0f1", "3"]).code(0);
    vfnet(tree.root(), &["set", "enp1s0f0", "0"]).code(0);
    let r = vfnet(tree.root(), &["apply"]);
    r.code(0)
        .out_has("enp1s0f0 (0000:01:00.0): 0 -> 4 VFs in ")
        .out_has("enp1s0f1 (0000:01:00.1): 0 -> 3 VFs in ");
    assert_eq!(r.stderr, "");
    assert_eq!(tree.vfs("0000:01:00.0").len(), 4);
    assert_eq!(tree.vfs("0000:01:00.1").len(), 3);
    // A second apply finds everything right and writes nothing.
    let n = k.writes().len();
    vfnet(tree.root(), &["apply"])
        .code(0)
        .out_has("enp1s0f0 (0000:01:00.0): 4 VFs, as configured.");
    assert_eq!(k.writes().len(), n);
    assert_eq!(k.violations(), []);
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let tree = Tree::build(&x550t());
    let k = FakeKernel::start(&tree, KernelOpts::default());
    write_conf(&tree, "0000:01:00.0=4\nenp1s0f1=2\n");
    let before = snapshot(tree.root());
    let r = vfnet(tree.root(), &["apply", "--dry-run"]);
    r.code(0);
    assert_eq!(
        r.stdout,
        "enp1s0f0 (0000:01:00.0): 4 VFs, as configured.\nenp1s0f1 (0000:01:00.1): would change 0 -> 2 VFs.\n"
    );
    assert_eq!(diff(&before, &snapshot(tree.root())), Vec::<String>::new());
    assert!(k.writes().is_empty());
}

#[test]
fn bad_entries_are_reported_and_the_good_one_still_applies() {
    let tree = Tree::build(&x550t());
    let k = FakeKernel::start(&tree, KernelOpts::default());
    write_conf(
        &tree,
        "# mixed\nthis line is broken\neth9=2\nenp1s0f1=2\nenp1s0f0v0=1\n0000:01:00.0=99\n",
    );
    let r = vfnet(tree.root(), &["apply"]);
    r.code(1).out_has("enp1s0f1 (0000:01:00.1): 0 -> 2 VFs in ");
    let conf = tree.path("etc/vfnet/vfnet.conf");
    let errors: Vec<&str> = r.stderr.lines().collect();
    let want = [
        format!("vfnet: {}:2: expected KEY=N", conf.display()),
        format!(
            "vfnet: {}:3: no network interface eth9 on this system now",
            conf.display()
        ),
        format!(
            "vfnet: {}:5: enp1s0f0v0 is VF 0 of enp1s0f0 (0000:01:00.0): VF counts are set on PFs",
            conf.display()
        ),
        format!(
            "vfnet: {}:6: enp1s0f0 (0000:01:00.0): 99 VFs is more than the device allows (at most 63)",
            conf.display()
        ),
        "vfnet: 4 of 5 config entries failed (lines 2, 3, 5, 6); the others were applied"
            .to_string(),
    ];
    assert_eq!(errors.len(), want.len(), "{}", r.stderr);
    for (got, want) in errors.iter().zip(&want) {
        assert!(
            got.starts_with(want.as_str()),
            "\n got: {got}\nwant: {want}"
        );
    }
    assert_eq!(tree.vfs("0000:01:00.1").len(), 2);
    assert_eq!(
        tree.vfs("0000:01:00.0").len(),
        4,
        "the over-total entry left the PF alone"
    );
    assert_eq!(k.violations(), []);
}

#[test]
fn a_device_that_fails_in_the_kernel_does_not_stop_the_others() {
    // The kernel accepts 0 for the X550T's first port but never removes its
    // VFs. Once 0 is written, the kernel gets its grace (5 s) to remove
    // them, then vfnet says where the PF stands, and the rest of apply's
    // budget goes to the next entry.
    let tree = Tree::build(&workstation());
    let _k = FakeKernel::start(&tree, KernelOpts::default().stuck(Stuck::NoRemoval));
    write_conf(&tree, "0000:01:00.0=2\n0000:01:00.1=3\n");
    let r = vfnet(tree.root(), &["apply", "--timeout", "8"]);
    r.code(1)
        .err_has(":1: enp1s0f0 (0000:01:00.0): 0 was written, but after 5.")
        .err_has("the kernel still shows 4 VFs (sriov_numvfs 0); the new count was not written")
        .err_has("1 of 2 config entries failed (line 1); the others were applied")
        .out_has("enp1s0f1 (0000:01:00.1): 0 -> 3 VFs");
    assert_eq!(tree.vfs("0000:01:00.1").len(), 3);
}

#[test]
fn a_connectx3_is_checked_against_its_entry_never_written() {
    // mlx4_core takes the count only when it loads: apply reports the
    // drift with the fix, writes nothing to it, and applies the others.
    let tree = Tree::build(&workstation());
    let k = FakeKernel::start(&tree, KernelOpts::default());
    write_conf(&tree, "0000:03:00.0=2\n0000:01:00.1=3\n");
    let r = vfnet(tree.root(), &["apply"]);
    r.code(1)
        .err_has(":1: enp3s0 (0000:03:00.0): 4 VFs now, the config asks for 2; its driver mlx4_core takes the count only when it loads")
        .err_has("vfnet persist 0000:03:00.0 2 writes it there, then reboot or run vfnet set 0000:03:00.0 2 --reload")
        .err_has("1 of 2 config entries failed (line 1); the others were applied")
        .out_has("enp1s0f1 (0000:01:00.1): 0 -> 3 VFs");
    assert_eq!(tree.vfs("0000:03:00.0").len(), 4);
    // The count it has is no drift.
    write_conf(&tree, "0000:03:00.0=4\n");
    vfnet(tree.root(), &["apply"]).code(0);
    assert_eq!(k.violations(), [], "no write ever reached the ConnectX-3");
}

#[test]
fn no_config_file_is_nothing_to_apply() {
    let tree = Tree::build(&igb_qemu());
    vfnet(tree.root(), &["apply"])
        .code(0)
        .out_has("no config file at ");
    // An empty config says so too, rather than nothing.
    std::fs::create_dir_all(tree.path("etc/vfnet")).unwrap();
    std::fs::write(tree.path("etc/vfnet/vfnet.conf"), "# nothing yet\n").unwrap();
    vfnet(tree.root(), &["apply"])
        .code(0)
        .out_has("nothing configured (no entries): nothing to apply.");
}

#[test]
fn small_usage_and_root_mistakes_name_the_way_out() {
    let tree = Tree::build(&igb_qemu());
    let gone = tree.path("gone");
    vfnet(&gone, &["list"]).code(1).one_error(
        "no such directory (a tree: an unpacked capture, or one made by cargo run --example mktree",
    );
    let r = support::run::output({
        let mut c = support::run::base();
        c.arg("--root");
        c
    });
    r.code(2)
        .one_error("missing argument for option '--root' (see vfnet -h)");
    // persist makes the config's directories in a tree without /etc.
    std::fs::remove_dir_all(tree.path("etc")).ok();
    vfnet(tree.root(), &["persist", "eth0", "0"]).code(0);
    assert!(tree.path("etc/vfnet/vfnet.conf").is_file());
    // --stats under --root says why there are none.
    let x = Tree::build(&x550t());
    vfnet(x.root(), &["list", "--stats"])
        .code(0)
        .words_have("and traffic counters (--stats) come from the kernel");
}

#[test]
fn the_original_tools_file_is_applied() {
    let tree = Tree::build(&igb_qemu());
    let k = FakeKernel::start(&tree, KernelOpts::default());
    std::fs::create_dir_all(tree.path("etc/vfnet")).unwrap();
    std::fs::write(tree.path("etc/vfnet/vf.config"), "eth0:2\n").unwrap();
    vfnet(tree.root(), &["apply"])
        .code(0)
        .out_has("eth0 (0000:01:00.0): 0 -> 2 VFs");
    assert!(k.wait_idle(Duration::from_secs(5)));
    assert_eq!(tree.vfs("0000:01:00.0").len(), 2);
}

#[test]
fn apply_takes_the_state_lock() {
    let tree = Tree::build(&igb_qemu());
    std::fs::create_dir(tree.path("run")).unwrap();
    std::fs::create_dir(tree.path("run/vfnet")).unwrap();
    let _k = FakeKernel::start(&tree, KernelOpts::default());
    write_conf_dir(&tree, "eth0=1\n");
    // Hold the lock as another vfnet would: flock, and the pid inside.
    std::fs::write(tree.path("run/vfnet/lock"), "4242\n").unwrap();
    let f = std::fs::File::open(tree.path("run/vfnet/lock")).unwrap();
    let held = nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusive).unwrap();
    let start = std::time::Instant::now();
    let r = vfnet(tree.root(), &["apply", "--timeout", "1.5"]);
    r.code(1)
        .progress_has("waiting for ")
        .err_has("run/vfnet/lock, held by pid 4242")
        .err_has("another vfnet (pid 4242) held the lock")
        .err_has("nothing was changed");
    // One budget: the lock's wait ended with it, nothing ran on after it.
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(r.stderr.lines().count(), 2, "{}", r.stderr);
    assert!(tree.vfs("0000:01:00.0").is_empty());
    drop(held);
    vfnet(tree.root(), &["apply"]).code(0);
    assert_eq!(tree.vfs("0000:01:00.0").len(), 1);
}

fn write_conf_dir(tree: &Tree, text: &str) {
    std::fs::create_dir_all(tree.path("etc/vfnet")).unwrap();
    write_conf(tree, text);
}

#[test]
fn wait_lets_a_late_driver_bind_then_applies() {
    let tree = Tree::build(&x550t());
    tree.unbind_pf("0000:01:00.1");
    let k = FakeKernel::start(&tree, KernelOpts::default());
    write_conf(&tree, "0000:01:00.1=2\n0000:01:00.0=4\n");
    let child = support::run::command(tree.root(), &["apply", "--wait", "10"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    tree.bind_pf("0000:01:00.1");
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "one line per action:\n{stdout}");
    assert!(
        lines[0].starts_with("0000:01:00.1: appeared after 0."),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("enp1s0f1 (0000:01:00.1): 0 -> 2 VFs in "),
        "{stdout}"
    );
    assert_eq!(lines[2], "enp1s0f0 (0000:01:00.0): 4 VFs, as configured.");
    assert_eq!(tree.vfs("0000:01:00.1").len(), 2);
    assert_eq!(k.violations(), []);
}

#[test]
fn a_pf_that_never_appears_is_reported_and_the_rest_applies() {
    let tree = Tree::build(&x550t());
    tree.unbind_pf("0000:01:00.1");
    let _k = FakeKernel::start(&tree, KernelOpts::default());
    write_conf(&tree, "enp1s0f1=2\n0000:01:00.0=1\n");
    let start = std::time::Instant::now();
    let r = vfnet(tree.root(), &["apply", "--wait", "0.5", "--quiet"]);
    r.code(1)
        .err_has(":1: no network interface enp1s0f1 on this system now (waited 0.50 s for it)")
        .err_has("1 of 2 config entries failed (line 1); the others were applied");
    assert_eq!(r.stdout, "", "--quiet prints errors only");
    assert_eq!(r.stderr.lines().count(), 2);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(tree.vfs("0000:01:00.0").len(), 1);
}

#[test]
fn wait_returns_at_once_when_everything_is_there() {
    let tree = Tree::build(&x550t());
    let start = std::time::Instant::now();
    vfnet(tree.root(), &["apply", "--wait", "30"])
        .code(0)
        .out_has("4 VFs, as configured.");
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn dry_run_plans_vf_settings_for_the_vfs_the_counts_will_make() {
    let tree = Tree::build(&x550t());
    write_conf(
        &tree,
        "0000:01:00.1=2\n0000:01:00.1.vf1.trust=on\n0000:01:00.1.vfs.mac=auto\n",
    );
    let before = snapshot(tree.root());
    // Under --root there is no kernel for the settings: the dry run says
    // the count would change and each VF's settings would fail, and exits
    // 1, as the run then does.
    let r = vfnet(tree.root(), &["apply", "--dry-run"]);
    r.code(1)
        .err_has(":2,3: VF settings go through the kernel's rtnetlink: not available under --root")
        .err_has("2 of 3 config entries failed (lines 2, 3)");
    assert_eq!(
        r.stdout,
        "enp1s0f1 (0000:01:00.1): would change 0 -> 2 VFs.\n"
    );
    assert_eq!(diff(&before, &snapshot(tree.root())), Vec::<String>::new());
    let _k = FakeKernel::start(&tree, KernelOpts::default());
    let r = vfnet(tree.root(), &["apply"]);
    r.code(1)
        .out_has("0 -> 2 VFs in ")
        .err_has("not available under --root");
    assert_eq!(tree.vfs("0000:01:00.1").len(), 2);
}

/// `apply --json`: the whole document, parsed.
fn apply_json(tree: &Tree, args: &[&str], code: i32) -> serde_json::Value {
    let mut all = vec!["apply", "--json"];
    all.extend_from_slice(args);
    let r = vfnet(tree.root(), &all);
    r.code(code);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{}", r.stdout))
}

/// (lines, kind, device, vf, status) of every entry of a document.
fn statuses(doc: &serde_json::Value) -> Vec<String> {
    doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {} {}",
                e["lines"], e["kind"], e["pci"], e["index"], e["status"]
            )
        })
        .collect()
}

#[test]
fn json_gives_every_entry_before_wanted_after_and_status() {
    let tree = Tree::build(&x550t());
    let _k = FakeKernel::start(&tree, KernelOpts::default());
    write_conf(
        &tree,
        "# counts\n0000:01:00.0=4\nenp1s0f1=2\nbroken\neth9=1\n0000:01:00.0=1\n",
    );
    let r = vfnet(tree.root(), &["apply", "--json"]);
    // Errors still go to stderr; stdout is the document alone.
    r.code(1).err_has(":4: expected KEY=N");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        statuses(&doc),
        [
            "[2] \"count\" \"0000:01:00.0\" null \"unchanged\"",
            "[3] \"count\" \"0000:01:00.1\" null \"changed\"",
            "[4] \"unknown\" null null \"failed\"",
            "[5] \"count\" null null \"failed\"",
            "[6] \"count\" \"0000:01:00.0\" null \"failed\"",
        ]
    );
    let e = &doc["entries"];
    let values = |i: usize| {
        json!([
            e[i]["before"],
            e[i]["wanted"],
            e[i]["after"],
            e[i]["entries"]
        ])
    };
    assert_eq!(values(0), json!([4, 4, 4, ["0000:01:00.0=4"]]));
    assert_eq!(values(1), json!([0, 2, 2, ["enp1s0f1=2"]]));
    assert_eq!(values(3), json!([null, 1, null, ["eth9=1"]]));
    assert_eq!(values(4), json!([4, 1, 4, ["0000:01:00.0=1"]]));
    assert_eq!(
        e[2]["error"].as_str().unwrap().split(' ').next(),
        Some("expected")
    );
    assert_eq!(
        e[3]["error"],
        "no network interface eth9 on this system now"
    );
    assert!(
        e[4]["error"]
            .as_str()
            .unwrap()
            .contains("already has an entry on line 2")
    );
    assert_eq!(e[1]["error"], json!(null));
    assert_eq!(
        doc["totals"],
        json!({"changed": 1, "unchanged": 1, "failed": 3, "skipped": 0, "in_use": 0})
    );
    assert_eq!(
        (
            &doc["config_state"],
            &doc["dry_run"],
            &doc["error"],
            &doc["exit_status"]
        ),
        (&json!("read"), &json!(false), &json!(null), &json!(1))
    );
    assert_eq!(tree.vfs("0000:01:00.1").len(), 2);
}

#[test]
fn json_dry_run_predicts_the_next_run_and_changes_nothing() {
    let tree = Tree::build(&x550t());
    let k = FakeKernel::start(&tree, KernelOpts::default());
    write_conf(&tree, "0000:01:00.0=2\nenp1s0f1=3\n");
    let predicted = apply_json(&tree, &["--dry-run"], 0);
    assert!(k.writes().is_empty());
    assert_eq!(predicted["dry_run"], json!(true));
    let done = apply_json(&tree, &[], 0);
    assert_eq!(statuses(&predicted), statuses(&done));
    for (p, d) in predicted["entries"]
        .as_array()
        .unwrap()
        .iter()
        .zip(done["entries"].as_array().unwrap())
    {
        assert_eq!((&p["before"], &p["after"]), (&d["before"], &d["after"]));
    }
    assert_eq!(
        statuses(&done),
        [
            "[1] \"count\" \"0000:01:00.0\" null \"changed\"",
            "[2] \"count\" \"0000:01:00.1\" null \"changed\"",
        ]
    );
    assert_eq!(done["entries"][0]["after"], json!(2));
    assert_eq!(tree.vfs("0000:01:00.0").len(), 2);
    // The next run changes nothing, and says so.
    let again = apply_json(&tree, &[], 0);
    assert_eq!(again["totals"]["changed"], json!(0));
    assert_eq!(again["totals"]["unchanged"], json!(2));
}

#[test]
fn json_has_the_same_shape_when_apply_cannot_run() {
    let tree = Tree::build(&igb_qemu());
    let doc = apply_json(&tree, &[], 0);
    assert_eq!(
        (
            &doc["config_state"],
            &doc["entries"],
            &doc["error"],
            &doc["exit_status"]
        ),
        (&json!("missing"), &json!([]), &json!(null), &json!(0))
    );
    // The state lock held by another vfnet: apply stops before any entry.
    std::fs::create_dir_all(tree.path("run/vfnet")).unwrap();
    write_conf_dir(&tree, "eth0=1\n");
    std::fs::write(tree.path("run/vfnet/lock"), "4242\n").unwrap();
    let f = std::fs::File::open(tree.path("run/vfnet/lock")).unwrap();
    let _held = nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusive).unwrap();
    let doc = apply_json(&tree, &["--timeout", "0.5"], 1);
    assert_eq!(
        (&doc["config_state"], &doc["entries"], &doc["exit_status"]),
        (&json!("read"), &json!([]), &json!(1))
    );
    assert!(
        doc["error"]
            .as_str()
            .unwrap()
            .contains("another vfnet (pid 4242) held the lock")
    );
    assert_eq!(doc["totals"]["failed"], json!(0));
    // An unreadable config: not read at all.
    std::fs::remove_file(tree.path("etc/vfnet/vfnet.conf")).unwrap();
    std::fs::create_dir(tree.path("etc/vfnet/vfnet.conf")).unwrap();
    let doc = apply_json(&tree, &[], 1);
    assert_eq!(doc["config_state"], json!("not_read"));
    assert!(
        doc["error"].as_str().unwrap().contains("vfnet.conf"),
        "{doc}"
    );
}

/// `ADDR.eswitch=MODE` is recorded by persist after the PF's count. Where
/// devlink cannot be asked (here: a fake tree; on igb: no devlink eswitch)
/// the line fails alone, in one line, and the count still applies.
#[test]
fn an_eswitch_line_that_cannot_be_applied_fails_alone() {
    let tree = Tree::build(&x550t());
    let k = FakeKernel::start(&tree, KernelOpts::default());
    vfnet(
        tree.root(),
        &["persist", "enp1s0f1", "2", "--eswitch", "switchdev"],
    )
    .code(0);
    let conf = std::fs::read_to_string(tree.path("etc/vfnet/vfnet.conf")).unwrap();
    assert!(
        conf.ends_with("0000:01:00.1=2\n0000:01:00.1.eswitch=switchdev\n"),
        "{conf}"
    );
    vfnet(tree.root(), &["persist", "enp1s0f1", "--eswitch", "legacy"]).code(0);
    let conf = std::fs::read_to_string(tree.path("etc/vfnet/vfnet.conf")).unwrap();
    assert_eq!(conf.matches("eswitch").count(), 1, "{conf}");
    assert!(conf.contains("0000:01:00.1.eswitch=legacy\n"), "{conf}");
    vfnet(tree.root(), &["persist", "--eswitch", "legacy"])
        .code(2)
        .one_error("--eswitch need");

    let r = vfnet(tree.root(), &["apply", "--json"]);
    r.code(1);
    assert_eq!(r.stderr.lines().count(), 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("1 of 3 config entries failed (line 5); the others were applied"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(":5: enp1s0f1 (0000:01:00.1): eswitch legacy: eswitch modes go through the kernel's devlink"),
        "{}",
        r.stderr
    );
    assert_eq!(
        tree.vfs("0000:01:00.1").len(),
        2,
        "the count applied: {}",
        r.stdout
    );
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let rec = doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "eswitch")
        .unwrap();
    assert_eq!(rec["wanted"], "legacy");
    assert_eq!(rec["status"], "failed");
    assert_eq!(rec["keys"], json!(["0000:01:00.1.eswitch"]));
    // A bad mode is a bad line, reported as such.
    write_conf(&tree, "0000:01:00.1.eswitch=offload\n");
    vfnet(tree.root(), &["apply"])
        .code(1)
        .err_has("vfnet.conf:1: eswitch takes legacy or switchdev, not 'offload'");
    assert_eq!(k.violations(), []);
}
