//! The command line: the top-level help, the command name, and the hand-off
//! to each command's own parser (one `while let Some(arg)` loop per command,
//! in `commands/`). Global options and shared value parsers are in `args`;
//! global options are accepted before or after the command.

use crate::args::{Globals, Parsed, unexpected};
use crate::commands::{apply, capture, doctor, fdb, install, list, metrics, persist, set, vf};
use crate::error::{Error, Result};
use lexopt::Parser;
use lexopt::prelude::*;
use std::ffi::OsString;

/// The top-level help (`vfnet -h`).
pub const USAGE: crate::packed::Packed = crate::packed::texts::HELP_VFNET_TXT;

#[derive(Debug, PartialEq)]
/// A command line, parsed: the command and its arguments.
pub enum Command {
    /// `vfnet list`.
    List(list::Args),
    /// `vfnet set`.
    Set(set::Args),
    /// `vfnet persist`.
    Persist(persist::Args),
    /// `vfnet apply`.
    Apply(apply::Args),
    /// `vfnet vf`.
    Vf(vf::Args),
    /// `vfnet doctor`.
    Doctor(doctor::Args),
    /// `vfnet capture`.
    Capture(capture::Args),
    /// `vfnet fdb`.
    Fdb(fdb::Args),
    /// `vfnet metrics`.
    Metrics(metrics::Args),
    /// `install` and `uninstall`.
    Install(install::Args),
    /// Print this usage text.
    Help(crate::packed::Packed),
    /// `vfnet --version`.
    Version,
}

/// The commands, as `vfnet -h` lists them (and `help`).
const COMMANDS: [&str; 12] = [
    "list",
    "set",
    "vf",
    "persist",
    "apply",
    "install",
    "uninstall",
    "doctor",
    "capture",
    "fdb",
    "metrics",
    "help",
];

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<(Globals, Command)> {
    let mut p = Parser::from_args(args);
    let mut g = Globals::default();
    // `vfnet --json` is `vfnet list --json`.
    let mut listing = list::Args::default();
    while let Some(arg) = p.next()? {
        if let Some(opt) = Globals::option(&arg) {
            g.set(opt, &mut p)?;
            continue;
        }
        match arg {
            // `vfnet --help list` is `vfnet help list`.
            Short('h') | Long("help") => return Ok((g, help(&mut p)?)),
            Short('V') | Long("version") => return Ok((g, Command::Version)),
            Long("json") => listing.json = true,
            Long("all") => listing.all = true,
            Value(cmd) => {
                let cmd = cmd.string()?;
                if listing != list::Args::default() && cmd != "list" {
                    return Err(Error::usage(crate::msg!(
                        "--json and --all belong to list, not {}",
                        cmd
                    )));
                }
                let command = match cmd.as_str() {
                    "list" => wrap(list::parse(&mut p, &mut g, listing)?, Command::List),
                    "set" => wrap(set::parse(&mut p, &mut g)?, Command::Set),
                    "vf" => wrap(vf::parse(&mut p, &mut g)?, Command::Vf),
                    "doctor" => wrap(doctor::parse(&mut p, &mut g)?, Command::Doctor),
                    "capture" => wrap(capture::parse(&mut p, &mut g)?, Command::Capture),
                    "fdb" => wrap(fdb::parse(&mut p, &mut g)?, Command::Fdb),
                    "metrics" => wrap(metrics::parse(&mut p, &mut g)?, Command::Metrics),
                    "persist" => wrap(persist::parse(&mut p, &mut g)?, Command::Persist),
                    "apply" => wrap(apply::parse(&mut p, &mut g)?, Command::Apply),
                    "install" => wrap(install::parse(&mut p, &mut g, false)?, Command::Install),
                    "uninstall" => wrap(install::parse(&mut p, &mut g, true)?, Command::Install),
                    "help" => help(&mut p)?,
                    _ => {
                        return Err(Error::usage(crate::msg!(
                            "unknown command '{}'{} (commands: {}; see vfnet -h)",
                            crate::text::quote(&cmd),
                            crate::text::did_you_mean(&cmd, &COMMANDS),
                            COMMANDS.join(", ")
                        )));
                    }
                };
                return Ok((g, command));
            }
            _ => return Err(unexpected("vfnet", USAGE, arg)),
        }
    }
    Ok((g, Command::List(listing)))
}

/// A command's parse result as a [`Command`].
fn wrap<T>(parsed: Parsed<T>, command: fn(T) -> Command) -> Command {
    match parsed {
        Parsed::Run(args) => command(args),
        Parsed::Help(usage) => Command::Help(usage),
    }
}

/// `vfnet help [COMMAND]`.
fn help(p: &mut Parser) -> Result<Command> {
    let usage = match p.next()? {
        None | Some(Short('h') | Long("help")) => USAGE,
        Some(Value(v)) => match v.string()?.as_str() {
            "help" => USAGE,
            "list" => list::USAGE,
            "set" => set::USAGE,
            "vf" => vf::USAGE,
            "doctor" => doctor::USAGE,
            "capture" => capture::USAGE,
            "fdb" => fdb::USAGE,
            "metrics" => metrics::USAGE,
            "persist" => persist::USAGE,
            "apply" => apply::USAGE,
            "install" | "uninstall" => install::USAGE,
            other => {
                return Err(Error::usage(crate::msg!(
                    "help: no command '{}'{} (see vfnet -h)",
                    crate::text::quote(other),
                    crate::text::did_you_mean(other, &COMMANDS)
                )));
            }
        },
        Some(arg) => return Err(unexpected("help", USAGE, arg)),
    };
    Ok(Command::Help(usage))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn run(args: &[&str]) -> Result<(Globals, Command)> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn no_command_lists() {
        assert_eq!(run(&[]).unwrap().1, Command::List(list::Args::default()));
        let (g, c) = run(&["--root", "/tmp/t", "--json"]).unwrap();
        assert_eq!(g.root, Some(PathBuf::from("/tmp/t")));
        assert_eq!(
            c,
            Command::List(list::Args {
                json: true,
                ..list::Args::default()
            })
        );
    }

    #[test]
    fn global_options_go_before_or_after_the_command() {
        let (g, _) = run(&["set", "eth0", "3", "--config", "/pool/vfnet.conf"]).unwrap();
        assert_eq!(g.config, Some(PathBuf::from("/pool/vfnet.conf")));
    }

    #[test]
    fn top_level_errors_are_not_prefixed_twice() {
        let e = run(&["--frob"]).unwrap_err().to_string();
        assert!(!e.starts_with("vfnet:"), "{e}");
        let e = run(&["set", "--\x1b[2J"]).unwrap_err().to_string();
        assert!(!e.contains('\x1b'), "{e}");
    }

    #[test]
    fn help_and_version() {
        assert_eq!(run(&["help", "-h"]).unwrap().1, Command::Help(USAGE));
        assert_eq!(run(&["help", "help"]).unwrap().1, Command::Help(USAGE));
        assert_eq!(run(&["-h"]).unwrap().1, Command::Help(USAGE));
        assert_eq!(run(&["--version"]).unwrap().1, Command::Version);
        assert_eq!(run(&["help", "set"]).unwrap().1, Command::Help(set::USAGE));
        assert_eq!(run(&["set", "-h"]).unwrap().1, Command::Help(set::USAGE));
    }

    #[test]
    fn usage_errors_name_the_argument() {
        let cases: &[(&[&str], &str)] = &[
            (&["frob"], "unknown command 'frob'"),
            (&["--frob"], "invalid option '--frob'"),
            (&["set", "eth0", "3", "--timeout", "0"], "more than 0"),
            (&["apply", "--wait", "abc"], "--wait takes seconds"),
            (&["set"], "set: missing DEV"),
            (&["set", "eth0"], "set: missing N"),
            (&["set", "eth0", "abc"], "not 'abc'"),
            (&["set", "eth0", "-1"], "negative"),
            (&["set", "eth0", "99999999999"], "too large"),
            (&["set", "eth0", "3", "4"], "unexpected argument '4'"),
            (&["set", "a/b", "3"], "cannot contain '/'"),
            (&["set", "0000:01:00", "3"], "not a PCI address"),
            (
                &["set", "eth0", "3", "--timeout", "soon"],
                "--timeout takes seconds",
            ),
            (&["--json", "set", "eth0", "1"], "belong to list"),
            (&["--root", ""], "needs a path"),
        ];
        for (args, want) in cases {
            let e = run(args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{args:?}");
            assert!(e.to_string().contains(want), "{args:?}: {e}");
        }
    }
}
