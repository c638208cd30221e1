//! The checked-in demo tree (demo/x550t, for `vfnet --root demo/x550t`) must be
//! exactly what the x550t machine builds: same directories, file bytes and raw
//! link targets. Regenerate it with
//! `rm -rf demo/x550t && cargo run --example mktree -- x550t demo/x550t`.

mod support;

use std::path::Path;

use support::{Entry, Tree, diff, snapshot, x550t};

#[test]
fn demo_x550t_is_what_the_builder_makes() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/x550t");
    assert!(demo.is_dir(), "{} is missing", demo.display());
    let fresh = Tree::build(&x550t());
    let snap = snapshot(fresh.root());
    // git keeps no empty directory: one would be missing from a checkout.
    for (rel, e) in &snap {
        if *e == Entry::Dir {
            let empty = std::fs::read_dir(fresh.root().join(rel))
                .unwrap()
                .next()
                .is_none();
            assert!(!empty, "{} is an empty directory", rel.display());
        }
    }
    let d = diff(&snap, &snapshot(&demo));
    assert!(
        d.is_empty(),
        "demo/x550t has drifted from x550t() (first: fresh build, second: demo); regenerate it:\n{}",
        d.join("\n")
    );
}
