//! The command line: global options, the command name, and the hand-off to
//! each command's own parser (one `while let Some(arg)` loop per command,
//! in `commands/`). Global options are accepted before or after the command.

use crate::commands::{apply, capture, doctor, install, list, persist, set, vf};
use crate::error::{Error, Result};
use crate::sysfs::Root;
use lexopt::prelude::*;
use lexopt::{Arg, Parser};
use std::ffi::OsString;
use std::path::PathBuf;

pub const USAGE: &str = "\
Usage: vfnet [OPTIONS] [COMMAND] [ARGS]

Manage SR-IOV virtual functions (VFs) of network cards.

Commands:
  list [--all] [--json]      list PFs and their VFs (the default command)
  set DEV N                  make DEV have N VFs now (0 removes them)
  vf DEV INDEX [SETTINGS]    show or change one VF: mac, vlan, trust, spoofchk,
                             state, rate, driver (vfio-pci)
  persist [DEV [N]]          record VF counts in the config file
  apply [--dry-run]          make the VF counts match the config file
  install [--init INIT]      install vfnet and its boot glue (systemd, OpenRC,
                             initramfs-tools, dracut, TrueNAS)
  uninstall                  remove what install added (keeps the config)
  doctor [DEV]               check the set-up (IOMMU, vfio-pci, firmware, BARs,
                             IOMMU groups, config drift, boot service)
  capture [FILE]             write what vfnet reads here as one tar archive
                             (for a bug report; vfnet --root replays it)
  help [COMMAND]             show help for a command

DEV is an interface name (enp1s0f0) or a PCI address (0000:01:00.0).

Options:
  --root DIR       use DIR as / for sysfs, /etc and /run (env VFNET_ROOT)
  --config FILE    config file (env VFNET_CONFIG; default /etc/vfnet/vfnet.conf)
  -h, --help       show this help; vfnet COMMAND -h shows a command's
  -V, --version    show the version

Exit status: 0 success, 1 failure, 2 usage error.
";

/// Options every command accepts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Globals {
    pub root: Option<PathBuf>,
    pub config: Option<PathBuf>,
}

/// A global option's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobalOpt {
    Root,
    Config,
}

impl Globals {
    /// Which global option `arg` is, if it is one.
    pub fn option(arg: &Arg) -> Option<GlobalOpt> {
        match arg {
            Long("root") => Some(GlobalOpt::Root),
            Long("config") => Some(GlobalOpt::Config),
            _ => None,
        }
    }

    /// Takes the global option's value.
    pub fn set(&mut self, opt: GlobalOpt, p: &mut Parser) -> Result<()> {
        match opt {
            GlobalOpt::Root => self.root = Some(nonempty("--root", p.value()?)?),
            GlobalOpt::Config => self.config = Some(nonempty("--config", p.value()?)?),
        }
        Ok(())
    }

    pub fn root(&self) -> Root {
        Root::new(self.root.clone())
    }

    pub fn config(&self, root: &Root) -> PathBuf {
        crate::config::path(root, self.config.clone())
    }
}

fn nonempty(opt: &str, v: OsString) -> Result<PathBuf> {
    if v.is_empty() {
        return Err(Error::usage(format!(
            "{opt} needs a path, not an empty string"
        )));
    }
    Ok(PathBuf::from(v))
}

#[derive(Debug, PartialEq)]
pub enum Command {
    List(list::Args),
    Set(set::Args),
    Persist(persist::Args),
    Apply(apply::Args),
    Vf(vf::Args),
    Doctor(doctor::Args),
    Capture(capture::Args),
    /// `install` and `uninstall`.
    Install(install::Args),
    /// Print this usage text.
    Help(&'static str),
    Version,
}

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
            Short('h') | Long("help") => return Ok((g, Command::Help(USAGE))),
            Short('V') | Long("version") => return Ok((g, Command::Version)),
            Long("json") => listing.json = true,
            Long("all") => listing.all = true,
            Value(cmd) => {
                let cmd = cmd.string()?;
                if listing != list::Args::default() && cmd != "list" {
                    return Err(Error::usage(format!(
                        "--json and --all belong to list, not {cmd}"
                    )));
                }
                let command = match cmd.as_str() {
                    "list" => list::parse(&mut p, &mut g, listing)?,
                    "set" => set::parse(&mut p, &mut g)?,
                    "vf" => vf::parse(&mut p, &mut g)?,
                    "doctor" => doctor::parse(&mut p, &mut g)?,
                    "capture" => capture::parse(&mut p, &mut g)?,
                    "persist" => persist::parse(&mut p, &mut g)?,
                    "apply" => apply::parse(&mut p, &mut g)?,
                    "install" => install::parse(&mut p, &mut g, false)?,
                    "uninstall" => install::parse(&mut p, &mut g, true)?,
                    "help" => help(&mut p)?,
                    _ => {
                        return Err(Error::usage(format!(
                            "unknown command '{}' (commands: list, set, vf, persist, apply, install, uninstall, doctor, capture; see vfnet -h)",
                            crate::text::quote(&cmd)
                        )));
                    }
                };
                return Ok((g, command));
            }
            _ => return Err(unexpected("vfnet", arg)),
        }
    }
    Ok((g, Command::List(listing)))
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
            "persist" => persist::USAGE,
            "apply" => apply::USAGE,
            "install" | "uninstall" => install::USAGE,
            other => {
                return Err(Error::usage(format!(
                    "help: no command '{}' (see vfnet -h)",
                    crate::text::quote(other)
                )));
            }
        },
        Some(arg) => return Err(unexpected("help", arg)),
    };
    Ok(Command::Help(usage))
}

/// The usage error for an argument a command does not take.
pub fn unexpected(cmd: &str, arg: Arg) -> Error {
    let help = if cmd == "vfnet" {
        "vfnet -h".to_string()
    } else {
        format!("vfnet {cmd} -h")
    };
    let what = match arg {
        Short(c) if c.is_ascii_digit() => {
            return usage(
                cmd,
                "negative numbers are not allowed (counts and indices are 0 or more)",
            );
        }
        Short(c) => format!("invalid option '-{}'", crate::text::quote(&c.to_string())),
        Long(o) => format!("invalid option '--{}'", crate::text::quote(o)),
        Value(v) => format!(
            "unexpected argument '{}'",
            crate::text::quote(&v.to_string_lossy())
        ),
    };
    usage(cmd, format!("{what} (see {help})"))
}

/// A usage error in command `cmd` (the top level, `vfnet`, adds no prefix:
/// every message already starts with `vfnet: `).
pub fn usage(cmd: &str, msg: impl std::fmt::Display) -> Error {
    if cmd == "vfnet" {
        return Error::usage(msg.to_string());
    }
    Error::usage(format!("{cmd}: {msg}"))
}

/// An argument that must be text.
pub fn text(cmd: &str, what: &str, v: OsString) -> Result<String> {
    v.into_string().map_err(|v| {
        usage(
            cmd,
            format!(
                "{what} is not valid text: '{}'",
                crate::text::quote(&v.to_string_lossy())
            ),
        )
    })
}

/// A device argument: a PCI address or a checked interface name.
pub fn dev(cmd: &str, v: OsString) -> Result<crate::pci::DevKey> {
    crate::pci::DevKey::parse(&text(cmd, "DEV", v)?).map_err(|why| usage(cmd, why))
}

/// A VF count argument.
pub fn count(cmd: &str, v: OsString) -> Result<u32> {
    let s = text(cmd, "N", v)?;
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return crate::config::parse_count(&s).ok_or_else(|| {
            usage(
                cmd,
                format!(
                    "N is too large: {s} (a device has at most {} VFs)",
                    crate::config::MAX_COUNT
                ),
            )
        });
    }
    Err(usage(
        cmd,
        format!(
            "N must be a number of VFs (0 or more), not '{}'",
            crate::text::quote(&s)
        ),
    ))
}

/// `--timeout SECS`: seconds, with up to three decimals, more than 0 and up
/// to a day. 0 would leave nothing to wait for the kernel with.
pub fn timeout(cmd: &str, v: OsString) -> Result<std::time::Duration> {
    seconds(cmd, "--timeout", v, false)
}

/// A duration option named `opt` (`--wait`, `--timeout`): seconds with up
/// to three decimals, up to a day; 0 only when `zero` allows it.
pub fn seconds(cmd: &str, opt: &str, v: OsString, zero: bool) -> Result<std::time::Duration> {
    let s = text(cmd, opt, v)?;
    let lowest = if zero { "0" } else { "more than 0" };
    parse_secs(&s)
        .filter(|d| d.as_secs() <= 86400 && (zero || !d.is_zero()))
        .ok_or_else(|| {
            usage(
                cmd,
                format!(
                    "{opt} takes seconds ({lowest}, up to 86400, e.g. 30 or 2.5), not '{}'",
                    crate::text::quote(&s)
                ),
            )
        })
}

/// `30`, `2.5`, `0.125` → a duration (no floating point: exact, and small).
fn parse_secs(s: &str) -> Option<std::time::Duration> {
    let (whole, frac) = match s.split_once('.') {
        Some((_, "")) => return None,
        Some(parts) => parts,
        None => (s, ""),
    };
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 6 || frac.len() > 3 || !digits(whole) || !digits(frac) {
        return None;
    }
    let millis = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u64, |n, b| n * 10 + (b - b'0') as u64);
    Some(
        std::time::Duration::from_secs(whole.parse().ok()?)
            + std::time::Duration::from_millis(millis),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
                all: false,
                json: true
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
    fn timeouts_are_seconds_with_decimals() {
        use std::time::Duration;
        assert_eq!(parse_secs("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_secs("2.5"), Some(Duration::from_millis(2500)));
        assert_eq!(parse_secs("0.125"), Some(Duration::from_millis(125)));
        for bad in ["", ".5", "1.", "1.2345", "-1", "1e3", "inf", "1234567"] {
            assert_eq!(parse_secs(bad), None, "{bad}");
        }
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
