//! Arguments: the options every command takes (`Globals`), the parsers of
//! the values commands share (a device, a count, seconds), the prologue of
//! every command's argument loop, and what a command's parser returns.
//!
//! Commands import this module, never `cli`: `main -> cli -> commands ->
//! args`, with no arrow back up.

use crate::error::{Error, Result};
use crate::sysfs::Root;
use lexopt::prelude::*;
use lexopt::{Arg, Parser};
use std::ffi::OsString;
use std::path::PathBuf;

/// How long a command waits for the kernel (and locks) by default.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The hard cap of a change by default: no wait goes past it, not even one
/// the kernel has started (nmstate's figure: 60+ ixgbe VFs need more than
/// 60 s; it waits up to 300 s).
pub const DEFAULT_CAP: std::time::Duration = std::time::Duration::from_secs(300);

/// What a command's parser found: its arguments, or a request for its help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// The command's arguments: run it.
    Run(T),
    /// `-h`/`--help`: print this usage text.
    Help(crate::packed::Packed),
}

/// The prologue of every command's argument loop: a global option (before
/// or after the command) is taken into `g` and the loop goes on; `-h` or
/// `--help` returns the command's help.
#[macro_export]
macro_rules! prologue {
    ($arg:ident, $p:ident, $g:ident, $usage:expr) => {
        if let Some(opt) = $crate::args::Globals::option(&$arg) {
            $g.set(opt, $p)?;
            continue;
        }
        if matches!($arg, lexopt::Arg::Short('h') | lexopt::Arg::Long("help")) {
            return Ok($crate::args::Parsed::Help($usage));
        }
    };
}

/// Options every command accepts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Globals {
    /// `--root DIR`.
    pub root: Option<PathBuf>,
    /// `--config FILE`.
    pub config: Option<PathBuf>,
}

/// A global option's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobalOpt {
    /// `--root`.
    Root,
    /// `--config`.
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

    /// The root the options name: `--root`, else `$VFNET_ROOT`, else `/`.
    pub fn root(&self) -> Root {
        Root::new(self.root.clone())
    }

    /// The config file the options name under `root`.
    pub fn config(&self, root: &Root) -> PathBuf {
        crate::conffile::path(root, self.config.clone())
    }
}

fn nonempty(opt: &str, v: OsString) -> Result<PathBuf> {
    if v.is_empty() {
        return Err(Error::usage(crate::msg!(
            "{} needs a path, not an empty string",
            opt
        )));
    }
    Ok(PathBuf::from(v))
}

/// The usage error for an argument a command does not take.
pub fn unexpected(cmd: &str, help_text: crate::packed::Packed, arg: Arg) -> Error {
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
        Short(c) => crate::msg!("invalid option '-{}'", crate::text::quote(&c.to_string())),
        Long(o) => {
            // The command's own options (from its usage text) and the global ones.
            let usage_text = help_text.text();
            let mut known = crate::text::long_options(&usage_text);
            known.extend(["root", "config", "help"]);
            let hint = crate::text::did_you_mean(o, &known);
            let hint = hint.replacen(" (did you mean '", " (did you mean '--", 1);
            crate::msg!("invalid option '--{}'{}", crate::text::quote(o), hint)
        }
        Value(v) => crate::msg!(
            "unexpected argument '{}'",
            crate::text::quote(&v.to_string_lossy())
        ),
    };
    usage(cmd, crate::msg!("{} (see {})", what, help))
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
            crate::msg!(
                "{} is not valid text: '{}'",
                what,
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
                crate::msg!(
                    "N is too large: {} (a device has at most {} VFs)",
                    s,
                    crate::config::MAX_COUNT
                ),
            )
        });
    }
    Err(usage(
        cmd,
        crate::msg!(
            "N must be a number of VFs (0 or more), not '{}'",
            crate::text::quote(&s)
        ),
    ))
}

/// N, or `X,Y,Z` (a ConnectX-3's VFs on port 1, on port 2, on both; each
/// 0-255), as `what` on `cmd`'s command line.
pub fn vfs(cmd: &str, what: &str, v: OsString) -> Result<crate::mlx4::Vfs> {
    let s = text(cmd, what, v.clone())?;
    if s.contains(',') {
        return crate::mlx4::Vfs::parse(&s).ok_or_else(|| {
            usage(
                cmd,
                crate::msg!("{} '{}' is not X,Y,Z (a ConnectX-3's VFs on port 1, on port 2 and on both, each 0-255)", what, crate::text::quote(&s)),
            )
        });
    }
    count(cmd, v).map(crate::mlx4::Vfs::Dual)
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
                crate::msg!(
                    "{} takes seconds ({}, up to 86400, e.g. 30 or 2.5), not '{}'",
                    opt,
                    lowest,
                    crate::text::quote(&s)
                ),
            )
        })
}

/// `30`, `2.5`, `0.125` → a duration (no floating point: exact, and small).
pub fn parse_secs(s: &str) -> Option<std::time::Duration> {
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
}
