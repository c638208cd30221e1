//! The `vfnet` binary: parse the command line, run the command, turn the
//! result into an exit status (0 success, 1 failure, 2 usage error).

use vfnet::cli::{self, Command};
use vfnet::commands::{apply, capture, doctor, fdb, install, list, metrics, persist, set, vf};
use vfnet::out;
use vfnet::system::System;

/// The shipped build's allocator (`src/heap.rs`): musl's malloc is not
/// linked.
#[cfg(vfnet_no_unwinder)]
#[global_allocator]
static HEAP: vfnet::heap::Heap = vfnet::heap::Heap::new();

fn main() {
    vfnet::signals::report_crashes();
    let result = cli::parse(std::env::args_os().skip(1)).and_then(|(g, command)| {
        let s = System::new(&g);
        match command {
            Command::List(a) => list::run(&s, &a),
            Command::Set(a) => set::run(&s, &a),
            Command::Vf(a) => vf::run(&s, &a),
            Command::Doctor(a) => doctor::run(&s, &a),
            Command::Capture(a) => capture::run(&s, &a),
            Command::Fdb(a) => fdb::run(&s, &a),
            Command::Metrics(a) => metrics::run(&s, &a),
            Command::Persist(a) => persist::run(&s, &a),
            Command::Apply(a) => apply::run(&s, &a),
            Command::Install(a) => install::run(&s, &a),
            Command::Help(usage) => {
                out::print(&usage.text());
                Ok(())
            }
            Command::Version => {
                // scripts/build-release names the commit it builds.
                out::print(concat!("vfnet ", env!("CARGO_PKG_VERSION")));
                if let Some(c) = option_env!("VFNET_COMMIT") {
                    out::print(" (commit ");
                    out::print(c);
                    out::print(")");
                }
                out::print("\n");
                Ok(())
            }
        }
    });
    if let Err(e) = result {
        vfnet::out::error(&e);
        std::process::exit(e.exit_code());
    }
}
