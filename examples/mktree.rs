//! Builds a fake machine's sysfs tree into a directory, with the test support code
//! (tests/support): `cargo run --example mktree -- MACHINE DIR`. The checked-in
//! demo tree is `cargo run --example mktree -- x550t demo/x550t`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [name, dir] = args.as_slice() else {
        eprintln!(
            "usage: mktree MACHINE DIR\nmachines: {} (many:PxV for any P, V)",
            support::NAMES.join(", ")
        );
        return ExitCode::from(2);
    };
    let Some(machine) = support::by_name(name) else {
        eprintln!(
            "mktree: unknown machine {name:?}; known: {}",
            support::NAMES.join(", ")
        );
        return ExitCode::from(2);
    };
    let dir = Path::new(dir);
    if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        eprintln!(
            "mktree: {} exists and is not empty; remove it first",
            dir.display()
        );
        return ExitCode::FAILURE;
    }
    support::Tree::build_at(&machine, dir);
    println!("{name} built in {}", dir.display());
    ExitCode::SUCCESS
}
