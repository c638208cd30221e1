//! The command line's one definition (`src/clidef.rs`) and what is made
//! from it: the `-h` texts (`help/*.txt`), the man page (`doc/vfnet.8`) and
//! the completions (`completions/`). A generated file that differs from what
//! the definition gives fails here; `UPDATE_CLIDOCS=1 cargo test --test
//! clidocs` rewrites them (then `UPDATE_PACKED=1 cargo test --lib packed`
//! packs the help texts again). The parsers are checked against the table:
//! every option the table gives a command is one its parser takes, and every
//! option a parser names is in the table.

mod support;

use std::path::Path;
use std::process::Command;

fn top() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn generated() -> Vec<(String, String)> {
    let mut all = vfnet::clidef::help_files();
    all.push(("doc/vfnet.8".into(), vfnet::manpage::page()));
    all.extend(vfnet::completion::files());
    all
}

#[test]
fn generated_files_are_what_the_definition_gives() {
    let update = std::env::var_os("UPDATE_CLIDOCS").is_some();
    let mut stale = Vec::new();
    for (path, text) in generated() {
        let p = top().join(&path);
        if update {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, &text).unwrap();
        } else if std::fs::read_to_string(&p).ok().as_deref() != Some(text.as_str()) {
            stale.push(path);
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} differ from src/clidef.rs: run UPDATE_CLIDOCS=1 cargo test --test clidocs"
    );
}

use vfnet::clidef::{self, COMMANDS, GLOBAL, Opt, TOP_ONLY, Values};

/// A value an option takes, for the parser.
fn sample(o: &Opt) -> Option<&'static str> {
    match o.values {
        Values::Flag => None,
        Values::OneOf(w) | Values::ListOf(w) => Some(w[0]),
        Values::AttachedListOf(_) => None,
        Values::Dir | Values::File => Some("/tmp"),
        Values::Any | Values::Dev => Some("1"),
    }
}

fn parse_error(args: &[&str]) -> String {
    match vfnet::cli::parse(args.iter().map(std::ffi::OsString::from)) {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_option_in_the_table_is_one_its_parser_takes() {
    for c in COMMANDS {
        for o in c.options.iter().chain(GLOBAL) {
            let mut forms = vec![format!("--{}", o.long)];
            if let Values::AttachedListOf(w) = o.values {
                forms.push(format!("--{}={}", o.long, w[0]));
            }
            forms.extend(o.short.map(|s| format!("-{s}")));
            for form in forms {
                // Some options belong to one form of a command (vf's
                // --driver to `vf DEV free`): any form that takes it will do.
                let tries: Vec<Vec<&str>> = [&[][..], &["eth0", "free"], &["eth0", "0"]]
                    .iter()
                    .map(|ops| {
                        let mut args = vec![c.name];
                        args.extend_from_slice(ops);
                        args.push(form.as_str());
                        args.extend(sample(o));
                        args
                    })
                    .collect();
                let errs: Vec<String> = tries.iter().map(|a| parse_error(a)).collect();
                assert!(
                    errs.iter()
                        .any(|e| !e.contains("invalid option") && !e.contains("unexpected")),
                    "vfnet {}: {errs:?}",
                    tries[0].join(" ")
                );
            }
        }
    }
    for o in TOP_ONLY {
        assert_eq!(parse_error(&[&format!("--{}", o.long)]), "");
    }
    // And the check can fail: an option no parser takes.
    assert!(parse_error(&["set", "--frobnicate"]).contains("invalid option"));
}

/// The options a parser's source names: `Long("x")` and `Short('x')`.
fn named_in(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (pat, close) in [("Long(\"", '"'), ("Short('", '\'')] {
        let mut rest = src;
        while let Some(i) = rest.find(pat) {
            rest = &rest[i + pat.len()..];
            if let Some(end) = rest.find(close) {
                let name = &rest[..end];
                out.push(if pat.starts_with("Long") {
                    format!("--{name}")
                } else {
                    format!("-{name}")
                });
            }
        }
    }
    out
}

#[test]
fn every_option_a_parser_names_is_in_the_table() {
    let src = |p: &str| std::fs::read_to_string(top().join(p)).unwrap();
    let known = |opts: &[&Opt], form: &str| {
        opts.iter().any(|o| {
            format!("--{}", o.long) == form
                || o.short.map(|s| format!("-{s}")).as_deref() == Some(form)
                // an alias the help names: `(also --anonymise)`
                || o.help.contains(form)
        })
    };
    let globals: Vec<&Opt> = GLOBAL.iter().chain(TOP_ONLY).collect();
    for c in COMMANDS.iter().filter(|c| !c.options.is_empty()) {
        let file = ["src/commands/{}.rs", "src/commands/{}/mod.rs"]
            .iter()
            .map(|f| {
                f.replace(
                    "{}",
                    if c.name == "uninstall" {
                        "install"
                    } else {
                        c.name
                    },
                )
            })
            .find(|f| top().join(f).exists())
            .unwrap();
        let mut opts: Vec<&Opt> = c.options.iter().chain(GLOBAL).collect();
        if c.name == "install" || c.name == "uninstall" {
            opts = COMMANDS
                .iter()
                .filter(|c| c.name.ends_with("install"))
                .flat_map(|c| c.options)
                .chain(GLOBAL)
                .collect();
        }
        for form in named_in(&src(&file)) {
            assert!(
                known(&opts, &form),
                "{file} takes {form}: not in src/clidef.rs ({})",
                c.name
            );
        }
    }
    // The top level: global options, and list's --json and --all.
    let list = clidef::command("list").unwrap();
    let mut top_opts = globals.clone();
    top_opts.extend(list.options.iter());
    for form in named_in(&src("src/cli.rs"))
        .into_iter()
        .chain(named_in(&src("src/args.rs")))
    {
        assert!(
            known(&top_opts, &form),
            "src/cli.rs takes {form}: not in src/clidef.rs"
        );
    }
}

#[test]
fn the_man_page_renders_without_warnings() {
    let page = top().join("doc/vfnet.8");
    let Some(out) = checker("man", &["--warnings", "-l", &page.to_string_lossy()]) else {
        return;
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(err, "", "man --warnings");
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "VFNET(8)",
        "NAME",
        "vfnet - manage SR-IOV",
        "VFNET SET",
        "--dry-run",
        "EXIT STATUS",
    ] {
        assert!(text.contains(want), "{want} in:\n{text}");
    }
    // Every line fits the width asked for.
    for l in text.lines() {
        assert!(l.chars().count() <= 80, "{l:?}");
    }
}

/// A fake host whose PFs the completions find: x550t's enp1s0f0 (4 VFs)
/// and enp1s0f1.
fn host() -> support::Tree {
    support::Tree::build(&support::x550t())
}

fn have(shell: &str) -> bool {
    let ok = Command::new(shell)
        .arg("-c")
        .arg("exit 0")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: {shell} is not installed (CI installs it)");
    }
    ok
}

/// Runs `script` in `shell` (its flags `args` before `-c`) on the fake host;
/// its stdout. Nothing may come on stderr (`what` names the case).
fn shell(shell: &str, args: &[&str], script: &str, tree: &support::Tree, what: &str) -> String {
    let out = Command::new(shell)
        .args(args)
        .arg("-c")
        .arg(script)
        .env("VFNET_ROOT", tree.root())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.is_empty(), "{shell}: {what}: {err}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// bash's word breaks, as bash sets them, and the completion loaded.
fn bash_prelude() -> String {
    format!(
        "COMP_WORDBREAKS=$' \\t\\n\"\\'><=;|&(:'\nsource '{}'\n",
        top().join("completions/vfnet.bash").display()
    )
}

/// The zsh completion system's builtins, stood in for: with `print`, each
/// prints the words it is given (compadd matches no prefix: all of them).
fn zsh_stubs(print: bool) -> &'static str {
    if print {
        "compadd() { [[ $1 == -- ]] && shift; print -rl -- \"$@\"; }\n\
         _files() { print @files; }\n_values() { shift 3; print -rl -- \"$@\"; }\n\
         _describe() { local -a arr; arr=(${(P)${@[-1]}}); print -rl -- ${arr%%:*}; }\n\
         compset() { :; }\n"
    } else {
        "compadd() { :; }\n_files() { :; }\n_values() { :; }\ncompset() { :; }\n_describe() { :; }\n"
    }
}

/// zsh's `words` and `CURRENT` for `line` (the cursor at its end), then the
/// completion run.
fn zsh_line(line: &str) -> String {
    format!(
        "words=(${{=:-{line}}}); [[ '{line}' == *' ' ]] && words+=('')\nCURRENT=${{#words}}\nsource '{}'\n",
        top().join("completions/_vfnet").display()
    )
}

/// What fish's completion offers for `line`, the words alone.
fn fish_complete(tree: &support::Tree, line: &str) -> Vec<String> {
    let script = format!(
        "source '{}'; complete -C '{line}'",
        top().join("completions/vfnet.fish").display()
    );
    shell("fish", &["--no-config"], &script, tree, line)
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
}

/// What bash's completion offers for `line` (the cursor at its end), with
/// nothing on stderr: as bash runs it (COMP_WORDBREAKS as bash sets it),
/// and again under `set -u`, as a strict shell profile has it.
fn bash_complete(tree: &support::Tree, line: &str) -> Vec<String> {
    let plain = bash_complete_in(tree, line, "");
    let strict = bash_complete_in(tree, line, "set -u\n");
    assert_eq!(plain, strict, "{line}: the same under set -u");
    plain
}

fn bash_complete_in(tree: &support::Tree, line: &str, prelude: &str) -> Vec<String> {
    let script = format!(
        "{prelude}{}complete -p vfnet\nCOMP_LINE='{line}'\nCOMP_POINT=${{#COMP_LINE}}\n\
         read -ra COMP_WORDS <<< \"$COMP_LINE\"\nCOMP_CWORD=${{#COMP_WORDS[@]}}\n\
         _vfnet\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        bash_prelude()
    );
    let text = shell("bash", &["--norc"], &script, tree, line);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("complete -F _vfnet vfnet"));
    lines
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_commands_options_values_settings_and_pfs() {
    if !have("bash") {
        return;
    }
    let tree = host();
    let c = |line: &str| bash_complete(&tree, line);
    assert_eq!(c("vfnet s"), ["set"]);
    let opts = c("vfnet set --");
    for o in [
        "--dry-run",
        "--force",
        "--json",
        "--timeout",
        "--eswitch",
        "--autoprobe",
        "--root",
    ] {
        assert!(opts.contains(&o.to_string()), "{o} in {opts:?}");
    }
    assert!(
        !opts.contains(&"--stats".to_string()),
        "list's option is not set's"
    );
    assert_eq!(c("vfnet vf eth0 0 tr"), ["trust"]);
    assert_eq!(c("vfnet vf eth0 0 trust "), ["on", "off"]);
    assert_eq!(c("vfnet vf eth0 0 mac auto st"), ["state"]);
    assert_eq!(c("vfnet vf eth0 0 rate 0 "), Vec::<String>::new());
    assert_eq!(c("vfnet vf eth0 0 rate 0 100 dr"), ["driver"]);
    assert_eq!(c("vfnet vf eth0 0 f"), ["free"]);
    assert_eq!(c("vfnet set --eswitch "), ["legacy", "switchdev"]);
    assert_eq!(c("vfnet install --init sys"), ["systemd"]);
    assert_eq!(c("vfnet install --init systemd,dr"), ["systemd,dracut"]);
    assert_eq!(c("vfnet install --hooks "), ["libvirt", "proxmox"]);
    // The PFs come from sysfs (under VFNET_ROOT): names and addresses.
    assert_eq!(c("vfnet set enp"), ["enp1s0f0", "enp1s0f1"]);
    // bash cuts words at ':': the reply is what follows the last one.
    assert_eq!(c("vfnet set 0000:01:00."), ["00.0", "00.1"]);
    // A PF's VF indexes, then free.
    assert_eq!(c("vfnet vf enp1s0f0 "), ["0", "1", "2", "3", "free"]);
    // Global options' values are skipped when finding the command.
    assert_eq!(c("vfnet --root / se"), ["set"]);
    assert_eq!(c("vfnet set enp1s0f0 "), Vec::<String>::new());
    // A command without operands offers nothing, and says nothing.
    assert_eq!(c("vfnet apply "), Vec::<String>::new());
    assert_eq!(c("vfnet apply x"), Vec::<String>::new());
    assert_eq!(
        c("vfnet metrics --textfile /nonexistent/x"),
        Vec::<String>::new()
    );
}

#[test]
fn fish_completes_commands_options_values_and_settings() {
    if !have("fish") {
        return;
    }
    let tree = host();
    let c = |line: &str| fish_complete(&tree, line);
    assert_eq!(c("vfnet s"), ["set"]);
    let opts = c("vfnet set --");
    assert!(opts.contains(&"--dry-run".to_string()), "{opts:?}");
    assert!(!opts.contains(&"--stats".to_string()), "{opts:?}");
    assert_eq!(c("vfnet vf eth0 0 tr"), ["trust"]);
    assert_eq!(c("vfnet vf eth0 0 trust "), ["off", "on"]);
    assert_eq!(c("vfnet set --eswitch "), ["legacy", "switchdev"]);
    assert_eq!(c("vfnet set enp"), ["enp1s0f0", "enp1s0f1"]);
    assert_eq!(c("vfnet vf enp1s0f0 "), ["0", "1", "2", "3", "free"]);
    // A command without operands offers nothing, and says nothing.
    assert_eq!(c("vfnet apply "), Vec::<String>::new());
}

#[test]
fn zsh_completion_parses_and_offers_the_same_words() {
    if !have("zsh") {
        return;
    }
    let tree = host();
    let file = top().join("completions/_vfnet");
    let out = Command::new("zsh").arg("-n").arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = |line: &str| -> Vec<String> {
        let script = format!("{}{}", zsh_stubs(true), zsh_line(line));
        shell("zsh", &["-f"], &script, &tree, line)
            .lines()
            .map(str::to_string)
            .collect()
    };
    assert!(c("vfnet s").contains(&"set".to_string()));
    assert!(c("vfnet set --").contains(&"--dry-run".to_string()));
    assert!(c("vfnet vf eth0 0 tr").contains(&"trust".to_string()));
    assert_eq!(c("vfnet vf eth0 0 trust "), ["on", "off"]);
    assert_eq!(c("vfnet set --eswitch "), ["legacy", "switchdev"]);
    // compadd matches the prefix itself: the stand-in shows all.
    assert_eq!(
        c("vfnet set enp"),
        ["enp1s0f0", "enp1s0f1", "0000:01:00.0", "0000:01:00.1"]
    );
    assert_eq!(c("vfnet vf enp1s0f0 "), ["0", "1", "2", "3", "free"]);
    // A command without operands offers nothing, and says nothing.
    assert_eq!(c("vfnet apply "), Vec::<String>::new());
}

#[test]
fn bash_completes_a_value_after_equals_and_an_optional_one() {
    if !have("bash") {
        return;
    }
    let tree = host();
    let c = |line: &str| bash_complete(&tree, line);
    // bash's word breaks cut `--init=sy` after `=`: the reply is the value.
    assert_eq!(c("vfnet install --init=sy"), ["systemd"]);
    assert_eq!(c("vfnet uninstall --hooks=li"), ["libvirt"]);
    // --hooks takes its value only after `=`: the next word is a command's.
    assert_eq!(
        c("vfnet uninstall --hooks --"),
        [
            "--init",
            "--hooks",
            "--dry-run",
            "--root",
            "--config",
            "--help"
        ]
    );
}

#[test]
fn mandoc_finds_nothing_to_say_about_the_man_page() {
    // mandoc (the BSDs', Alpine's and Void's man) with its strictest check.
    let page = top().join("doc/vfnet.8");
    let Some(out) = checker("mandoc", &["-T", "lint", &page.to_string_lossy()]) else {
        return;
    };
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && said.is_empty(), "{said}");
}

/// `program args` run, or `None` (said on stderr) where it is not
/// installed: CI installs every one.
fn checker(program: &str, args: &[&str]) -> Option<std::process::Output> {
    let out = Command::new(program)
        .args(args)
        .env("MANWIDTH", "80")
        .output();
    if out.is_err() {
        eprintln!("skipped: {program} is not installed (CI installs it)");
    }
    out.ok()
}

/// Lines a user may be in the middle of, for every command and option:
/// none may make a completion say a word on stderr.
fn every_line() -> Vec<String> {
    let mut lines = vec!["vfnet ".to_string(), "vfnet -".into(), "vfnet --".into()];
    for c in COMMANDS {
        for tail in [
            "",
            "-",
            "x ",
            "x y ",
            "x y z ",
            "enp1s0f0 ",
            "enp1s0f0 0 ",
            "enp1s0f0 0-1 free ",
        ] {
            lines.push(format!("vfnet {} {tail}", c.name));
        }
        for o in c.options.iter().chain(GLOBAL) {
            lines.push(format!("vfnet {} --{} ", c.name, o.long));
            lines.push(format!("vfnet {} --{}=", c.name, o.long));
            lines.push(format!("vfnet {} --{} x ", c.name, o.long));
        }
    }
    for s in clidef::SETTINGS {
        lines.push(format!("vfnet vf enp1s0f0 0 {} ", s.name));
        lines.push(format!("vfnet vf enp1s0f0 0 {} x ", s.name));
        lines.push(format!("vfnet vf enp1s0f0 0 {} x y ", s.name));
    }
    lines
}

#[test]
fn no_line_makes_a_completion_say_anything_on_stderr() {
    let tree = host();
    let lines = every_line();
    if have("bash") {
        let mut script = format!("set -u\n{}", bash_prelude());
        for l in &lines {
            script.push_str(&format!(
                "COMP_LINE='{l}'; COMP_POINT=${{#COMP_LINE}}; _vfnet\n"
            ));
        }
        shell("bash", &["--norc"], &script, &tree, "every line");
    }
    if have("fish") {
        let mut script = format!(
            "source '{}'\n",
            top().join("completions/vfnet.fish").display()
        );
        for l in &lines {
            script.push_str(&format!("complete -C '{l}' > /dev/null\n"));
        }
        shell("fish", &["--no-config"], &script, &tree, "every line");
    }
    if have("zsh") {
        let mut script = zsh_stubs(false).to_string();
        for l in &lines {
            script.push_str(&zsh_line(l));
        }
        shell("zsh", &["-f"], &script, &tree, "every line");
    }
}
