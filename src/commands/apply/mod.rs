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
pub const USAGE: &str = "\
Usage: vfnet apply [--dry-run] [--wait SECS] [--timeout SECS] [--quiet] [--json]

Make the live VF counts match the config file, entry by entry: entries that
already match are left alone, the others are set as vfnet set does. A bad
entry (a line that does not parse, an unknown device, a count over the
device's total, a kernel error) is reported and the other entries still
apply; the exit status is then 1. Boot services run this, with --wait.

Prints one line per action: the device, what changed, how long it took.

Options:
  -n, --dry-run        print what would change and change nothing; exit as
                       the run would (1 when an entry would fail or be skipped)
  -w, --wait SECS      first wait up to SECS for every configured PF to appear
                       with its driver (at boot, drivers bind while apply
                       starts); PFs still missing then are reported, the
                       others applied
  -t, --timeout SECS   the budget for what may never happen, after --wait
                       (default 30)
  --deadline SECS      the hard cap of the whole run (default 300, or the
                       environment's VFNET_DEADLINE)
  -q, --quiet          print errors only
  -j, --json           print one JSON document instead of the lines: a record
                       per entry (before, wanted, after, status, error) and
                       the totals, also when apply cannot run (its \"error\"
                       says why); errors still go to stderr (README: JSON)

How long apply waits, and for what. One budget, --wait plus --timeout (60 s
for the boot services' --wait 30), bounds the waits for what may never
happen: PFs to appear, the state lock, VF drivers to take settings. Once a
VF count is written, the kernel has started: creating the VFs and binding
their drivers gets 10 s plus 1 s per VF from that write (138 s for 128
VFs), whatever an earlier PF left of the budget, and never past the cap.
PFs are changed at the same time (counts, then VF settings), so a boot waits
for its slowest PF. A wait of over a second says every 5 s where it is
(--quiet silences it):
  enp24s0f0 (0000:18:00.0): 61 of 125 VFs, 58 with a driver, 21 s
What is left undone when time runs out is reported, and apply exits 1.

An entry that would change a nonzero count while its VFs are in use (a VM, a
container, the host) is skipped and reported (exit 1); the others apply. At
boot nothing is in use.
";

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
        run.say(format!(
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
        run.say(format!(
            "{}: nothing configured (no entries): nothing to apply.\n",
            s.config.display()
        ));
    }
    match run.failures.summary(entries, args.dry_run) {
        Some(msg) => Err(Stop::Entries(Error::fail(msg))),
        None => Ok(()),
    }
}
