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
            .out_has("Exit status: 0 success, 1 failure, 2 usage error.");
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
        assert_eq!(r.stdout, format!("vfnet {}\n", env!("CARGO_PKG_VERSION")));
    }
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let tree = Tree::build(&igb_qemu());
    let cases: &[(&[&str], &str)] = &[
        (&["frobnicate"], "unknown command 'frobnicate'"),
        (&["--frob"], "invalid option '--frob'"),
        (&["list", "extra"], "list: unexpected argument"),
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
