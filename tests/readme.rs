//! The README cannot drift: every example in it that runs on the demo tree
//! (a fenced block whose first line is `$ vfnet --root demo/x550t ...`) is
//! run here, from the repository's top, and its output must be the rest of
//! the block, byte for byte (stdout, then stderr, as a terminal shows them).
//! Change the output, and this fails until the README says the same.

mod support;

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
        let out = Command::new(support::run::bin())
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
