//! The README cannot drift: every example in it that runs on the demo tree
//! (a fenced block whose first line is `$ vfnet --root demo/x550t ...`) is
//! run here, from the repository's top, and its output must be the rest of
//! the block, byte for byte (stdout, then stderr, as a terminal shows them).
//! Change the output, and this fails until the README says the same.
//!
//! Every other fenced block names what checks it on the line above it (see
//! `every_fenced_block_names_what_checks_it`): a test here that runs it on a
//! fake tree, a test elsewhere, or the QEMU scenario whose transcript checks it.

mod support;

use support::readme::{block, blocks, readme};

use std::path::Path;
use std::process::Command;

/// The README's runnable examples: (command line, expected output).
fn examples(readme: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if !line.starts_with("```") {
            continue;
        }
        let block: Vec<&str> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .collect();
        if let Some(cmd) = block
            .first()
            .and_then(|l| l.strip_prefix("$ vfnet --root demo/x550t"))
        {
            let mut want = block[1..].join("\n");
            want.push('\n');
            out.push((format!("--root demo/x550t{cmd}"), want));
        }
    }
    out
}

#[test]
fn every_demo_example_in_the_readme_is_what_vfnet_prints() {
    let top = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(top.join("README.md")).unwrap();
    let examples = examples(&readme);
    assert!(examples.len() >= 3, "the README lost its demo examples");
    for (cmd, want) in examples {
        let out = support::run::base()
            .args(cmd.split_whitespace())
            .current_dir(top)
            .env_remove("VFNET_ROOT")
            .env_remove("VFNET_CONFIG")
            .env_remove("COLUMNS")
            .output()
            .unwrap();
        let got = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            got, want,
            "README example `vfnet {cmd}` drifted from the program"
        );
    }
}

// Every fenced block of the README says, on the line above it, what checks
// it: `<!-- checked: tests/readme.rs NAME -->` (a test below, NAME its
// function, comparing the block with what vfnet prints on a fake tree),
// `<!-- checked: tests/FILE.rs NAME -->` (a test elsewhere), or
// `<!-- checked: QEMU scenario NN -->` (the real-kernel suite's scenario,
// whose transcript checks it). The demo examples are checked above.

/// Timings and sizes vary from run to run: `in 0.50 s` -> `in N s`,
/// `after 0.51 s` -> `after N s`, `(73728 bytes)` -> `(N bytes)`.
fn normalize(s: &str) -> String {
    let mut out = String::new();
    for line in s.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        let mut fixed = Vec::with_capacity(words.len());
        for (i, w) in words.iter().enumerate() {
            let next = words.get(i + 1).copied().unwrap_or("");
            let secs = w.contains('.')
                && w.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && next.starts_with('s');
            let bytes = w.starts_with('(')
                && w[1..].bytes().all(|b| b.is_ascii_digit())
                && next.starts_with("bytes");
            fixed.push(match (secs, bytes) {
                (true, _) => "N",
                (_, true) => "(N",
                _ => w,
            });
        }
        out.push_str(&fixed.join(" "));
        out.push('\n');
    }
    out
}

/// A transcript as the README shows it: `# vfnet ARGS` and what it printed
/// (stdout, then stderr), with the tree's root taken out of paths.
fn transcript(tree: &support::Tree, runs: &[&[&str]]) -> String {
    let root = tree.root().display().to_string();
    let mut out = String::new();
    for args in runs {
        let r = support::run::vfnet(tree.root(), args);
        out.push_str(&format!("# vfnet {}\n", args.join(" ")));
        out.push_str(&r.stdout);
        out.push_str(&r.stderr);
    }
    out.replace(&root, "")
}

#[test]
fn every_fenced_block_names_what_checks_it() {
    let top = Path::new(env!("CARGO_MANIFEST_DIR"));
    let blocks = blocks(&readme());
    assert!(
        blocks.len() >= 17,
        "the README lost blocks: {}",
        blocks.len()
    );
    for (marker, text) in &blocks {
        let first = text.lines().next().unwrap_or("");
        let Some(m) = marker else {
            assert!(
                first.starts_with("$ vfnet --root demo/x550t"),
                "a README block says nothing of what checks it: {first}"
            );
            continue;
        };
        if let Some(n) = m.strip_prefix("QEMU scenario ") {
            for n in n.split(", ") {
                let found = std::fs::read_dir(top.join("tests/e2e/scenarios"))
                    .unwrap()
                    .any(|e| {
                        e.unwrap()
                            .file_name()
                            .to_string_lossy()
                            .starts_with(&format!("{n}-"))
                    });
                assert!(found, "no QEMU scenario {n} (marker of: {first})");
            }
            continue;
        }
        let (file, name) = m
            .split_once(' ')
            .unwrap_or_else(|| panic!("bad marker {m}"));
        let src = std::fs::read_to_string(top.join(file)).unwrap_or_else(|_| panic!("no {file}"));
        assert!(
            src.contains(&format!("fn {name}()")),
            "{file} has no test {name} (marker of: {first})"
        );
    }
}

#[test]
fn readme_guard() {
    let tree = support::busy_host();
    let got = transcript(&tree, &[&["set", "enp1s0f0", "2"]]);
    assert_eq!(got, block("readme_guard"));
}

#[test]
fn readme_persist() {
    let tree = support::Tree::build(&support::igb_qemu());
    let _k = support::FakeKernel::start(&tree, support::KernelOpts::default());
    support::run::vfnet(tree.root(), &["set", "eth0", "4"]).code(0);
    let got = transcript(
        &tree,
        &[
            &["persist", "eth0"],
            &["persist", "eth0", "--vf", "vf0-3.driver=vfio-pci"],
        ],
    );
    assert_eq!(got, block("readme_persist"));
}

#[test]
fn readme_apply() {
    let tree = support::Tree::build(&support::igb_qemu());
    let _k = support::FakeKernel::start(&tree, support::KernelOpts::default());
    std::fs::create_dir_all(tree.path("etc/vfnet")).unwrap();
    std::fs::write(tree.path("etc/vfnet/vfnet.conf"), "0000:01:00.0=4\n").unwrap();
    // Under --root, --config /tmp/bad.conf is the tree's /tmp/bad.conf.
    std::fs::create_dir_all(tree.path("tmp")).unwrap();
    std::fs::write(
        tree.path("tmp/bad.conf"),
        "# a bad config\n0000:01:00.0=2\nthis line is broken\neth42=1\n",
    )
    .unwrap();
    let bad_path = "/tmp/bad.conf".to_string();
    let got = transcript(&tree, &[&["apply", "--dry-run"], &["apply"], &["apply"]]);
    // The VFs removed again (not shown), then a config with bad lines.
    support::run::vfnet(tree.root(), &["set", "eth0", "0"]).code(0);
    let got = got + &transcript(&tree, &[&["--config", &bad_path, "apply"]]);
    assert_eq!(normalize(&got), normalize(&block("readme_apply")));
}

#[test]
fn readme_apply_json() {
    let tree = support::Tree::build(&support::x550t());
    std::fs::write(
        tree.path("etc/vfnet/vfnet.conf"),
        "0000:01:00.0=4\nenp1s0f1=2\neth9=1\nenp1s0f1.vfs.mac=auto\n",
    )
    .unwrap();
    let got = transcript(&tree, &[&["apply", "--dry-run", "--json"]]);
    assert_eq!(got, block("readme_apply_json"));
}

#[test]
fn readme_apply_wait() {
    let tree = support::Tree::build(&support::x550t());
    tree.unbind_pf("0000:01:00.1");
    let _k = support::FakeKernel::start(&tree, support::KernelOpts::default());
    std::fs::write(
        tree.path("etc/vfnet/vfnet.conf"),
        "0000:01:00.1=2\n0000:01:00.0=4\n",
    )
    .unwrap();
    let child = support::run::command(tree.root(), &["apply", "--wait", "10"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    tree.bind_pf("0000:01:00.1");
    let out = child.wait_with_output().unwrap();
    let got =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(normalize(&got), normalize(&block("readme_apply_wait")));
}

#[test]
fn readme_capture() {
    let tree = support::Tree::build(&support::igb_qemu());
    let _k = support::FakeKernel::start(&tree, support::KernelOpts::default());
    support::run::vfnet(tree.root(), &["set", "eth0", "3"]).code(0);
    let dir = tempfile::tempdir().unwrap();
    let r = support::run::output({
        let mut c = support::run::command(tree.root(), &["capture"]);
        c.current_dir(dir.path());
        c
    });
    let got = format!("# vfnet capture\n{}{}", r.stdout, r.stderr);
    assert_eq!(normalize(&got), normalize(&block("readme_capture")));
}

#[test]
fn readme_config() {
    let text = block("readme_config");
    let cfg = vfnet::config::Config::parse("/etc/vfnet/vfnet.conf".into(), &text);
    assert_eq!(
        cfg.errors().count(),
        0,
        "{:?}",
        cfg.errors().collect::<Vec<_>>()
    );
    let entries: Vec<String> = cfg
        .entries()
        .map(|e| format!("{}={}", e.key, e.count))
        .collect();
    assert_eq!(entries, ["0000:01:00.0=4", "enp3s0=2"]);
    assert_eq!(
        cfg.render(),
        text.as_bytes(),
        "parse then render is the file"
    );
}

#[test]
fn readme_attach_vf() {
    // Run with stand-ins: a vfnet that hands out 0000:02:10.4, a virsh that
    // records its arguments, and /run/ pointed at a temp dir.
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let stand_in = |name: &str, body: &str| {
        let p = bin.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    stand_in("vfnet", "echo 0000:02:10.4");
    stand_in(
        "virsh",
        &format!("echo \"$@\" > {}/virsh.args", dir.path().display()),
    );
    let script = block("readme_attach_vf").replace("/run/", &format!("{}/", dir.path().display()));
    std::fs::write(dir.path().join("attach-vf"), &script).unwrap();
    let out = Command::new("sh")
        .arg(dir.path().join("attach-vf"))
        .arg("vm1")
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = std::fs::read_to_string(dir.path().join("vf-vm1.xml")).unwrap();
    assert!(
        xml.contains(r#"<address domain="0x0000" bus="0x02" slot="0x10" function="0x4"/>"#),
        "{xml}"
    );
    let args = std::fs::read_to_string(dir.path().join("virsh.args")).unwrap();
    assert_eq!(
        args.trim(),
        format!(
            "attach-device vm1 {}/vf-vm1.xml --live",
            dir.path().display()
        )
    );
}

#[test]
fn readme_bench() {
    // The figures are this machine's; the table is the one scripts/bench
    // prints: its header, the trees it builds, its binary lines.
    let top = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bench = std::fs::read_to_string(top.join("scripts/bench")).unwrap();
    let text = block("readme_bench");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("$ scripts/bench"));
    let header = Command::new("sh")
        .args(["-c", r#"printf '%-10s %6s %12s %10s %12s %14s %12s\n' tree VFs "median ms" "µs/VF" syscalls "syscalls/VF" "peak RSS KiB""#])
        .output()
        .unwrap();
    assert!(bench.contains(r#"printf '%-10s %6s %12s %10s %12s %14s %12s\n' tree VFs "median ms" "µs/VF" syscalls "syscalls/VF" "peak RSS KiB""#));
    assert_eq!(
        format!("{}\n", lines.next().unwrap()),
        String::from_utf8_lossy(&header.stdout)
    );
    for row in lines.filter(|l| !l.is_empty()) {
        let name = row.split_whitespace().next().unwrap();
        assert!(
            name == "binary"
                || bench.contains(name)
                || name.split('x').all(|n| n.parse::<u32>().is_ok()),
            "a row scripts/bench does not print: {row}"
        );
    }
}

#[test]
fn where_things_are_names_every_source_file() {
    let top = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = readme();
    let section = readme
        .split("## Where things are")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Where things are section");
    for e in std::fs::read_dir(top.join("src")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        let named = match name.strip_suffix(".rs") {
            Some(_) => section.contains(&format!("`{name}`")),
            None => section.contains(&format!("`{name}/`")) || name == "commands",
        };
        assert!(named, "README's Where things are does not name src/{name}");
    }
    for e in std::fs::read_dir(top.join("src/commands")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        let stem = name.trim_end_matches(".rs");
        assert!(
            stem == "mod"
                || section.contains(&format!("`{stem}`"))
                || section.contains(&format!("`{stem}/`")),
            "README's Where things are does not name src/commands/{name}"
        );
    }
}
