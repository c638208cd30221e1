//! The command line as a whole: help, version, exit statuses, and usage
//! errors that say which argument was wrong.

mod support;

use support::*;

#[test]
fn help_and_version_go_to_stdout_and_exit_0() {
    let tree = Tree::build(&igb_qemu());
    for args in [&["-h"][..], &["--help"], &["help"]] {
        let r = vfnet(tree.root(), args);
        r.code(0)
            .out_has("Usage: vfnet [OPTIONS] [COMMAND] [ARGS]")
            .out_has(
                "Exit status: 0 success, 1 failure, 2 usage error, 128+N stopped by signal N.",
            );
        assert_eq!(r.stderr, "");
    }
    for cmd in ["list", "set", "persist", "apply"] {
        let usage = format!("Usage: vfnet {cmd}");
        vfnet(tree.root(), &[cmd, "-h"]).code(0).out_has(&usage);
        vfnet(tree.root(), &["help", cmd]).code(0).out_has(&usage);
    }
    for args in [&["-V"][..], &["--version"]] {
        let r = vfnet(tree.root(), args);
        r.code(0);
        // `vfnet 0.2.0`, or from scripts/build-release `vfnet 0.2.0 (commit
        // 0123456789ab)` (`-dirty` after it when the work tree had changes).
        let line = r.stdout.strip_suffix('\n').unwrap();
        let rest = line
            .strip_prefix(concat!("vfnet ", env!("CARGO_PKG_VERSION")))
            .unwrap_or_else(|| panic!("{line:?}"));
        // The shipped build (VFNET_TEST_BIN, from scripts/build-release in a
        // git checkout, as CI makes it) names its commit.
        let shipped = std::env::var_os("VFNET_TEST_BIN").is_some_and(|b| !b.is_empty());
        assert!(
            !shipped || !rest.is_empty(),
            "the shipped build names no commit: {line:?}"
        );
        if !rest.is_empty() {
            let c = rest
                .strip_prefix(" (commit ")
                .and_then(|c| c.strip_suffix(')'));
            let c = c.map(|c| c.strip_suffix("-dirty").unwrap_or(c));
            assert!(
                c.is_some_and(|c| c.len() == 12 && c.bytes().all(|b| b.is_ascii_hexdigit())),
                "{line:?}"
            );
        }
    }
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let tree = Tree::build(&igb_qemu());
    let cases: &[(&[&str], &str)] = &[
        (&["frobnicate"], "unknown command 'frobnicate'"),
        (&["--frob"], "invalid option '--frob'"),
        (&["list", "eth0", "extra"], "list: unexpected argument"),
        (&["list", "--dry-run"], "list: invalid option '--dry-run'"),
        (&["apply", "now"], "apply: unexpected argument"),
        (
            &["apply", "--timeout"],
            "missing argument for option '--timeout'",
        ),
        (&["help", "frob"], "help: no command 'frob'"),
        (&["--json", "apply"], "--json and --all belong to list"),
        (&["--config"], "missing argument for option '--config'"),
    ];
    for (args, want) in cases {
        vfnet(tree.root(), args).code(2).one_error(want);
    }
}

#[test]
fn a_root_without_sysfs_is_one_clear_failure() {
    let empty = tempfile::tempdir().unwrap();
    vfnet(empty.path(), &["list"])
        .code(1)
        .one_error(&format!("cannot open {}/sys", empty.path().display()));
}

/// Every kind of name a user types gets its closest spelling when it is
/// a near miss (a command, an option, a VF setting on the command line and
/// in the config, a device), and nothing when it is far from every one.
#[test]
fn near_misses_name_the_closest_spelling() {
    let tree = Tree::build(&x550t());
    let cases: &[(&[&str], &str)] = &[
        (&["lsit"], "unknown command 'lsit' (did you mean 'list'?)"),
        (
            &["set", "enp1s0f0", "2", "--dryrun"],
            "invalid option '--dryrun' (did you mean '--dry-run'?)",
        ),
        (
            &["--rot", "/x", "list"],
            "invalid option '--rot' (did you mean '--root'?)",
        ),
        (
            &["vf", "enp1s0f0", "0", "tust", "on"],
            "unknown VF setting 'tust' (did you mean 'trust'?)",
        ),
        (
            &["set", "enp1s0f", "2"],
            "no network interface named enp1s0f (did you mean 'enp1s0f0'?)",
        ),
        (
            &["help", "sett"],
            "help: no command 'sett' (did you mean 'set'?)",
        ),
    ];
    for (args, want) in cases {
        vfnet(tree.root(), args).one_error(want);
    }
    let far = vfnet(tree.root(), &["frobnicate"]);
    far.code(2);
    assert!(!far.stderr.contains("did you mean"), "{}", far.stderr);
    std::fs::create_dir_all(tree.path("etc/vfnet")).unwrap();
    std::fs::write(
        tree.path("etc/vfnet/vfnet.conf"),
        "enp1s0f0.vfs.maxc=auto\n",
    )
    .unwrap();
    let r = vfnet(tree.root(), &["apply", "--dry-run"]);
    r.code(1)
        .err_has("unknown VF setting 'maxc' (did you mean 'mac'?)");
}

/// `vfnet --help COMMAND` is `vfnet help COMMAND`: the command's own help.
#[test]
fn help_before_a_command_names_that_commands_help() {
    let tree = Tree::build(&x550t());
    for args in [&["--help", "list"][..], &["help", "list"], &["list", "-h"]] {
        let r = vfnet(tree.root(), args);
        r.code(0);
        assert!(
            r.stdout.starts_with("Usage: vfnet list"),
            "{args:?}: {}",
            r.stdout
        );
    }
}

/// Every boolean setting and key takes every usual spelling: on/off,
/// yes/no, true/false, 1/0 (the config's trust and unmanaged_vfs alike).
#[test]
fn booleans_are_spelled_alike_everywhere() {
    let tree = Tree::build(&x550t());
    std::fs::create_dir_all(tree.path("etc/vfnet")).unwrap();
    std::fs::write(
        tree.path("etc/vfnet/vfnet.conf"),
        "enp1s0f0.vf0.trust=yes\nenp1s0f0.vf1.spoofchk=false\nenp1s0f0.unmanaged_vfs=on\nenp1s0f0.vf2.trust=maybe\n",
    )
    .unwrap();
    let r = vfnet(tree.root(), &["apply", "--dry-run"]);
    assert!(
        !r.stderr.contains(":1:") && !r.stderr.contains(":2:") && !r.stderr.contains(":3: "),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(":4: trust takes on or off (or yes/no, true/false, 1/0), not 'maybe'"),
        "{}",
        r.stderr
    );
}
