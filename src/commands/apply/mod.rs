//! `vfnet apply`: make the live VF counts match the config file.
//!
//! Its face is here (usage, arguments, the run and its exit); the rest is
//! one file each: [`plan`] (pure: config and inventory to actions),
//! `exec` (the run, entry by entry, a PF's change planned by
//! `crate::change`), [`report`] (failures and the `--json` document).

mod exec;
mod fdb;
pub mod plan;

mod vfs;

pub use crate::report::{Failures, Record, Report, Status, Values};
pub use plan::{Action, VfPlan, plan, plan_vfs};

use crate::args::{self, Globals, Parsed};
use crate::config::{Line, Source};
use crate::error::{Error, Result};
use crate::out;
use crate::system::System;
use crate::wait::Deadline;
use exec::{Opts, Run};
use lexopt::prelude::*;
use std::time::Duration;

/// `vfnet apply -h`.
pub const USAGE: crate::packed::Packed = crate::packed::texts::HELP_APPLY_TXT;

#[derive(Debug, Clone, PartialEq, Eq)]
/// `vfnet apply`'s arguments.
pub struct Args {
    /// `--dry-run`: say what would change, change nothing.
    pub dry_run: bool,
    /// `--timeout SECS`: the budget for the changes, after `--wait`.
    pub timeout: Duration,
    /// How long to wait for configured PFs to appear; `None`: not at all.
    pub wait: Option<Duration>,
    /// `--quiet`: print only errors.
    pub quiet: bool,
    /// `--json`: one document of records on stdout.
    pub json: bool,
    /// `--deadline SECS` (or `VFNET_DEADLINE`): the hard cap of the run.
    pub deadline: Duration,
}

/// Parses `vfnet apply`'s arguments (or returns its help).
#[inline(never)]
pub fn parse(p: &mut lexopt::Parser, g: &mut Globals) -> Result<Parsed<Args>> {
    let mut args = Args {
        dry_run: false,
        timeout: args::DEFAULT_TIMEOUT,
        wait: None,
        quiet: false,
        json: false,
        deadline: default_deadline(),
    };
    while let Some(arg) = p.next()? {
        crate::prologue!(arg, p, g, USAGE);
        match arg {
            Short('n') | Long("dry-run") => args.dry_run = true,
            Short('t') | Long("timeout") => args.timeout = args::timeout("apply", p.value()?)?,
            Short('w') | Long("wait") => {
                args.wait = Some(args::seconds("apply", "--wait", p.value()?, true)?)
            }
            Short('q') | Long("quiet") => args.quiet = true,
            Short('j') | Long("json") => args.json = true,
            Long("deadline") => args.deadline = args::timeout("apply", p.value()?)?,
            _ => return Err(args::unexpected("apply", USAGE, arg)),
        }
    }
    Ok(Parsed::Run(args))
}

/// The hard cap without `--deadline`: `VFNET_DEADLINE` seconds (the boot
/// glue's environment can set it), else [`args::DEFAULT_CAP`].
fn default_deadline() -> Duration {
    std::env::var("VFNET_DEADLINE")
        .ok()
        .and_then(|v| args::parse_secs(&v))
        .filter(|d| !d.is_zero())
        .unwrap_or(args::DEFAULT_CAP)
}

/// Runs `vfnet apply` on the system `s`.
#[inline(never)]
pub fn run(s: &System, args: &Args) -> Result<()> {
    let mut done = Outcome {
        state: "not_read",
        lines: Vec::new(),
        records: Vec::new(),
    };
    let result = run_entries(s, args, &mut done);
    if args.json {
        // Entries that failed are told in the entries; "error" is what
        // stopped apply as a whole.
        let error = match &result {
            Err(Stop::Whole(e)) => Some(e.to_string()),
            _ => None,
        };
        let config = s.config.display().to_string();
        let report = Report {
            config: Some(&config),
            config_state: Some(done.state),
            entries: &done.lines,
            dry_run: args.dry_run,
            records: &done.records,
            error: error.as_deref(),
            exit_status: i32::from(result.is_err()),
        };
        out::print(&report.to_json());
    }
    result.map_err(|(Stop::Whole(e) | Stop::Entries(e))| e)
}

/// What [`run_entries`] found, for `--json`.
struct Outcome {
    /// `read`, `missing` or `not_read` (apply stopped first).
    state: &'static str,
    lines: Vec<Line>,
    records: Vec<Record>,
}

/// Why apply exits 1: entries failed, or apply as a whole stopped.
enum Stop {
    Entries(Error),
    Whole(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Stop {
        Stop::Whole(e)
    }
}

/// Applies the config, with one record per entry in `done`.
fn run_entries(s: &System, args: &Args, done: &mut Outcome) -> std::result::Result<(), Stop> {
    // One budget for the whole run: the wait for PFs, the locks, every
    // kernel change and every driver wait draw from it.
    let budget =
        Deadline::after(args.wait.unwrap_or_default() + args.timeout).capped(args.deadline);
    if !args.dry_run {
        out::set_changing();
    }
    if args.quiet {
        out::set_quiet();
    }
    let sys = s.sys()?;
    let cfg = crate::conffile::load(&s.root, &s.config)?;
    crate::conffile::check_trusted(&cfg)?;
    let opts = Opts {
        dry_run: args.dry_run,
        quiet: args.quiet,
        json: args.json,
        wait: args.wait,
    };
    let mut run = Run::new(opts, &cfg, budget);
    if cfg.source == Source::Missing {
        done.state = "missing";
        run.say(crate::msg!(
            "no config file at {}: nothing to apply.\n",
            s.config.display()
        ));
        return Ok(());
    }
    done.state = "read";
    done.lines = cfg.lines.clone();
    let result = run.entries(s, sys);
    done.records.append(&mut run.records);
    result?;
    let entries = cfg
        .lines
        .iter()
        .filter(|l| !matches!(l, Line::Other(_)))
        .count();
    if entries == 0 {
        run.say(crate::msg!(
            "{}: nothing configured (no entries): nothing to apply.\n",
            s.config.display()
        ));
    }
    match run.failures.summary(entries, args.dry_run) {
        Some(msg) => Err(Stop::Entries(Error::fail(msg))),
        None => Ok(()),
    }
}
