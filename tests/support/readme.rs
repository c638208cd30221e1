//! The README's fenced blocks, found by the marker above each
//! (`<!-- checked: tests/FILE.rs NAME -->`), so the test that checks a block
//! can run the README's own text.

use std::path::Path;

/// Every fenced block with the marker above it: (marker, block text).
pub fn blocks(readme: &str) -> Vec<(Option<String>, String)> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].starts_with("```") {
            i += 1;
            continue;
        }
        let marker = i
            .checked_sub(1)
            .and_then(|p| lines[p].strip_prefix("<!-- checked: "))
            .and_then(|m| m.strip_suffix(" -->"))
            .map(str::to_string);
        let end = (i + 1..lines.len())
            .find(|&j| lines[j].starts_with("```"))
            .unwrap_or(lines.len());
        let mut text = lines[i + 1..end].join("\n");
        text.push('\n');
        out.push((marker, text));
        i = end + 1;
    }
    out
}

pub fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The block checked by `tests/readme.rs NAME`.
pub fn block(name: &str) -> String {
    block_in("tests/readme.rs", name)
}

/// The one block marked `<!-- checked: FILE NAME -->`.
pub fn block_in(file: &str, name: &str) -> String {
    let want = format!("{file} {name}");
    let found: Vec<String> = blocks(&readme())
        .into_iter()
        .filter(|(m, _)| m.as_deref() == Some(want.as_str()))
        .map(|(_, b)| b)
        .collect();
    assert_eq!(found.len(), 1, "one README block is marked {want}");
    found.into_iter().next().unwrap()
}
