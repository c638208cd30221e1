//! `vfnet list`: the PF and VF tables, or JSON.

use crate::args::{self, Globals, Parsed};
use crate::error::Result;
use crate::survey::{Want, survey};
use crate::system::System;
use crate::{out, render};
use lexopt::prelude::*;

/// `vfnet list -h`.
pub const USAGE: crate::packed::Packed = crate::packed::texts::HELP_LIST_TXT;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
/// `vfnet list`'s arguments.
pub struct Args {
    /// `--all`: SR-IOV devices that are not network functions too.
    pub all: bool,
    /// `--json`: one JSON document.
    pub json: bool,
    /// `--brief`: one line per PF and VF, no header.
    pub brief: bool,
    /// `--no-headers`: the table rows only.
    pub no_headers: bool,
    /// `--stats`: each VF's traffic counters.
    pub stats: bool,
    /// `DEV`: only this PF (with its VFs) or VF (with its PF).
    pub dev: Option<crate::pci::DevKey>,
}

/// Parses `vfnet list`'s arguments into `args` (or returns its help).
#[inline(never)]
pub fn parse(p: &mut lexopt::Parser, g: &mut Globals, mut args: Args) -> Result<Parsed<Args>> {
    while let Some(arg) = p.next()? {
        crate::prologue!(arg, p, g, USAGE);
        match arg {
            Long("all") | Short('a') => args.all = true,
            Long("json") | Short('j') => args.json = true,
            Long("stats") => args.stats = true,
            Long("brief") | Short('b') => args.brief = true,
            Long("no-headers") => args.no_headers = true,
            Value(v) if args.dev.is_none() => args.dev = Some(args::dev("list", v)?),
            _ => return Err(args::unexpected("list", USAGE, arg)),
        }
    }
    if args.json && (args.brief || args.no_headers) {
        return Err(crate::error::Error::usage(
            "list: --json is one document; --brief and --no-headers shape the text (pick one)",
        ));
    }
    Ok(Parsed::Run(args))
}

/// Runs `vfnet list` on the system `s`.
#[inline(never)]
pub fn run(s: &System, args: &Args) -> Result<()> {
    let mut inv = survey(s, &Want::list(args.all, args.stats))?;
    if let Some(key) = &args.dev {
        let addr = crate::device::addr_of(s.sys()?, key)?;
        if !inv.keep_only(addr) {
            return Err(crate::error::Error::fail(crate::msg!(
                "{} is neither a PF nor a VF vfnet lists (vfnet list --all lists more)",
                key
            )));
        }
    }
    if args.json {
        render::json_to(&inv, &mut |chunk| out::print(chunk));
        return Ok(());
    }
    if args.brief {
        out::print(&render::brief(&inv, out::width()));
        return Ok(());
    }
    let layout = crate::table::Layout {
        width: out::width(),
        headers: !args.no_headers,
    };
    let mut text = render::text(&inv, layout);
    if args.no_headers {
        out::print(&text);
        return Ok(());
    }
    if !inv.settings_known && inv.vfs().next().is_some() {
        text.push('\n');
        let counters = match args.stats {
            true => " and traffic counters (--stats)",
            false => "",
        };
        render::note(
            &mut text,
            &crate::msg!(
                "VF settings (admin MAC, VLAN, trust, spoof check, link state, rate){} \
                 come from the kernel over rtnetlink: not shown under --root.",
                counters
            ),
            layout.width,
            0,
        );
    } else if args.stats && !s.live() && inv.vfs().next().is_some() {
        text.push('\n');
        render::note(
            &mut text,
            "Traffic counters (--stats) come from the kernel over rtnetlink: a capture \
             does not record them.",
            layout.width,
            0,
        );
    }
    out::print(&text);
    Ok(())
}
