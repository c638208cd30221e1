//! The `vfnet` binary: parse the command line, run the command, turn the
//! result into an exit status (0 success, 1 failure, 2 usage error).

use vfnet::cli::{self, Command};
use vfnet::commands::{apply, capture, doctor, install, list, persist, set, vf};
use vfnet::out;

fn main() {
    let result = cli::parse(std::env::args_os().skip(1)).and_then(|(g, command)| match command {
        Command::List(a) => list::run(&g, &a),
        Command::Set(a) => set::run(&g, &a),
        Command::Vf(a) => vf::run(&g, &a),
        Command::Doctor(a) => doctor::run(&g, &a),
        Command::Capture(a) => capture::run(&g, &a),
        Command::Persist(a) => persist::run(&g, &a),
        Command::Apply(a) => apply::run(&g, &a),
        Command::Install(a) => install::run(&g, &a),
        Command::Help(usage) => {
            out::print(usage);
            Ok(())
        }
        Command::Version => {
            out::print(concat!("vfnet ", env!("CARGO_PKG_VERSION"), "\n"));
            Ok(())
        }
    });
    if let Err(e) = result {
        vfnet::out::error(&e);
        std::process::exit(e.exit_code());
    }
}
