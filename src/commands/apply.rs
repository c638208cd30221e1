//! `vfnet apply`: make the live VF counts match the config file.
//!
//! [`plan`] is pure: the config and an inventory in, one [`Action`] per
//! config line out. `--dry-run` prints it; otherwise each action runs in
//! order and a failed one does not stop the others.

use crate::args::{self, Globals, Parsed};
use crate::config::{self, Config, Line, Source, VfSel};
use crate::error::{Error, Result};
use crate::inventory::Inventory;
use crate::pci::{DevKey, PciAddr};
use crate::sysfs::Dir;
use crate::system::System;
use crate::uevent::Uevents;
use crate::vf::Wanted;
use crate::wait::{Deadline, secs, until_woken};
use crate::{out, sriov};
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
  -n, --dry-run        print what would change and change nothing
  -w, --wait SECS      first wait up to SECS for every configured PF to appear
                       with its driver (at boot, drivers bind while apply
                       starts); PFs still missing then are reported, the
                       others applied
  -t, --timeout SECS   time for the kernel to make the changes (default 30)

One budget bounds the whole run: --wait plus --timeout (60 s for --wait 30).
Every wait (for PFs, the lock, the kernel, VF drivers) draws from it; what
is left undone when it runs out is reported, and apply exits 1.
  -q, --quiet          print errors only
  -j, --json           print one JSON document instead of the lines: every
                       config entry with its key and device, the value before, the
                       one wanted and the one after (with --dry-run: what
                       it would be), its status (changed, unchanged,
                       failed, skipped, in_use) and error, and the totals.
                       The document has the same shape when apply cannot
                       run at all (its \"error\" says why); errors still go
                       to stderr as well

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
}

/// Parses `vfnet apply`'s arguments (or returns its help).
pub fn parse(p: &mut lexopt::Parser, g: &mut Globals) -> Result<Parsed<Args>> {
    let mut args = Args {
        dry_run: false,
        timeout: args::DEFAULT_TIMEOUT,
        wait: None,
        quiet: false,
        json: false,
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
            _ => return Err(args::unexpected("apply", arg)),
        }
    }
    Ok(Parsed::Run(args))
}

/// What to do about one config line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The PF already has the count.
    Keep {
        /// Its config line (1-based).
        line: usize,
        /// The PF.
        pf: PciAddr,
        /// The count it has and keeps.
        count: u32,
    },
    /// The PF needs to go from one count to another.
    Set {
        /// Its config line (1-based).
        line: usize,
        /// The PF.
        pf: PciAddr,
        /// The count it has.
        from: u32,
        /// The count the entry asks for.
        to: u32,
    },
    /// The line cannot be applied, and why.
    Fail {
        /// Its config line (1-based).
        line: usize,
        /// Why.
        error: String,
    },
}

/// One action per entry or bad line of `cfg`, in file order.
pub fn plan(cfg: &Config, inv: &Inventory) -> Vec<Action> {
    let mut claimed: Vec<(usize, usize)> = Vec::new(); // (pf, line)
    let mut actions = Vec::new();
    for (i, l) in cfg.lines.iter().enumerate() {
        let line = i + 1;
        let fail = |error: String| Action::Fail { line, error };
        let (key, count) = match l {
            Line::Count { key, count, .. } => (key, *count),
            Line::Bad { error, .. } => {
                actions.push(fail(error.clone()));
                continue;
            }
            // VF settings are applied once the counts are right; probe_vf
            // goes to modprobe.d (persist), read when mlx4_core loads.
            // unmanaged_vfs is install's.
            // eswitch goes with its PF's count (Run::counts).
            Line::Other(_)
            | Line::Vf { .. }
            | Line::Probe { .. }
            | Line::Unmanaged { .. }
            | Line::Eswitch { .. } => {
                continue;
            }
        };
        let found = inv.pf_by_key(key);
        let Some(p) = found else {
            actions.push(fail(missing(key, inv)));
            continue;
        };
        let pf = &inv.pfs[p];
        let label = pf.label();
        if !pf.sriov {
            actions.push(fail(format!("{label} does not support SR-IOV")));
            continue;
        }
        if let Some(&(_, first)) = claimed.iter().find(|c| c.0 == p) {
            actions.push(fail(format!(
                "{label} already has an entry on line {first}; this one is ignored"
            )));
            continue;
        }
        claimed.push((p, line));
        let (Some(total), Some(num)) = (pf.total_vfs, pf.num_vfs) else {
            actions.push(fail(format!(
                "{label}: cannot read its sriov_totalvfs or sriov_numvfs"
            )));
            continue;
        };
        if !pf.count_at_load() && matches!(l, Line::Count { ports: Some(_), .. }) {
            actions.push(fail(format!(
                "{label}: X,Y,Z counts are for a ConnectX-3 (mlx4_core), whose ports share one function; \
                 its driver is {}: write one number",
                pf.driver.as_deref().unwrap_or("none")
            )));
        } else if num == count {
            actions.push(Action::Keep {
                line,
                pf: pf.addr,
                count,
            });
        } else if pf.count_at_load() {
            actions.push(fail(drift(pf, num, l)));
        } else if let Err(e) = sriov::check(count, total) {
            actions.push(fail(sriov::plan_error(&label, e).to_string()));
        } else {
            actions.push(Action::Set {
                line,
                pf: pf.addr,
                from: num,
                to: count,
            });
        }
    }
    actions
}

/// A ConnectX-3 whose count is not the entry's: mlx4_core takes it only
/// when it loads, so apply says so and how to fix it, and writes nothing.
fn drift(pf: &crate::inventory::Pf, num: u32, line: &Line) -> String {
    let wanted = match line {
        Line::Count {
            count, ports: None, ..
        } => count.to_string(),
        Line::Count {
            ports: Some([x, y, z]),
            ..
        } => format!("{x},{y},{z}"),
        _ => String::new(),
    };
    let dev = pf.addr;
    format!(
        "{}: {} now, the config asks for {wanted}; its driver mlx4_core takes the count only when it loads \
         (from {}): vfnet persist {dev} {wanted} writes it there, then reboot or run vfnet set {dev} {wanted} \
         --reload (which reloads mlx4_core: every ConnectX-3 port of the host goes down for a moment)",
        pf.label(),
        out::vfs(num),
        crate::mlx4::MODPROBE_FILE
    )
}

/// One VF to configure, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VfPlan {
    /// Its PF.
    pub pf: PciAddr,
    /// The VF's index.
    pub vf: u32,
    /// The settings its lines ask for.
    pub want: Wanted,
    /// The config lines that asked for it (a failure counts against them).
    pub lines: Vec<usize>,
}

/// What the VF setting lines ask of each VF that exists, and the lines that
/// cannot be applied (unknown device, no such VF) with why. A `vfN` line
/// wins over a `vfs` line of the same setting, wherever it stands.
/// `vfs` gives the VF indices each PF has, or will have once the counts are
/// applied (for `--dry-run`).
pub fn plan_vfs(
    cfg: &Config,
    inv: &Inventory,
    vfs: &dyn Fn(PciAddr) -> Vec<u32>,
) -> (Vec<VfPlan>, Vec<(usize, String)>) {
    let mut errors = Vec::new();
    let mut entries = Vec::new();
    for e in cfg.vf_entries() {
        let found = find(inv, e.key);
        let Some(pf) = found else {
            errors.push((e.line, missing(e.key, inv)));
            continue;
        };
        let indices = vfs(pf);
        let count = indices.len();
        // A VF or range with no VF present is an error; a range partly
        // present applies to the VFs there are.
        if !matches!(e.vf, VfSel::All) && !indices.iter().any(|&i| e.vf.contains(i)) {
            let n = e.vf.to_string().trim_start_matches("vf").to_string();
            errors.push((
                e.line,
                format!(
                    "{} has no VF {n} (it has {})",
                    label_of(inv, pf),
                    out::vfs(count as u32)
                ),
            ));
            continue;
        }
        entries.push((pf, e));
    }
    let mut plans = Vec::new();
    let mut pfs: Vec<PciAddr> = entries.iter().map(|(pf, _)| *pf).collect();
    pfs.sort_unstable();
    pfs.dedup();
    for pf in pfs {
        for index in vfs(pf) {
            let mut want = Wanted::default();
            let mut lines = Vec::new();
            // Broader lines first, so that narrower ones (and, among equal
            // ones, later ones) win: vfs < vfA-B < vfN.
            let mut mine: Vec<&crate::config::VfEntry> = entries
                .iter()
                .filter(|(p, e)| *p == pf && e.vf.contains(index))
                .map(|(_, e)| e)
                .collect();
            mine.sort_by_key(|e| (std::cmp::Reverse(e.vf.width()), e.line));
            for e in mine {
                want.add(e.setting);
                lines.push(e.line);
            }
            if want != Wanted::default() {
                lines.sort_unstable();
                plans.push(VfPlan {
                    pf,
                    vf: index,
                    want,
                    lines,
                });
            }
        }
    }
    (plans, errors)
}

/// How messages name the PF at `addr`.
fn label_of(inv: &Inventory, addr: PciAddr) -> String {
    inv.pf_by_addr(addr)
        .map_or_else(|| addr.to_string(), |i| inv.pfs[i].label())
}

/// Consecutive plans of the same PF.
fn group_by_pf(plans: &[VfPlan]) -> Vec<(PciAddr, &[VfPlan])> {
    plans
        .chunk_by(|a, b| a.pf == b.pf)
        .map(|g| (g[0].pf, g))
        .collect()
}

/// Why a key matches no PF: it names a VF, or nothing present.
fn missing(key: &DevKey, inv: &Inventory) -> String {
    let vf = inv.vfs().find(|(_, v)| match key {
        DevKey::Pci(a) => v.addr == *a,
        DevKey::Name(n) => v.interface.as_ref() == Some(n),
    });
    match vf {
        Some((pf, v)) => format!(
            "{key} is VF {} of {}: VF counts are set on PFs",
            v.index.map_or("?".to_string(), |i| i.to_string()),
            pf.label()
        ),
        None => match key {
            DevKey::Pci(a) => format!("no SR-IOV device {a} on this system now"),
            DevKey::Name(n) => format!("no network interface {n} on this system now"),
        },
    }
}

/// What went wrong in a run, counted per config entry (a line), plus the
/// failures that belong to no line.
#[derive(Debug, Default)]
pub struct Failures {
    /// The failed lines, sorted, each once.
    lines: Vec<usize>,
    other: usize,
}

impl Failures {
    /// The closing sentence, given how many entries the file has: `1 of 2
    /// config entries failed (line 3); the others were applied`.
    pub fn summary(&self, total: usize, dry_run: bool) -> Option<String> {
        let n = self.lines.len();
        if n == 0 && self.other == 0 {
            return None;
        }
        let mut msg = if n == 0 {
            format!("{} failure(s) outside the config entries", self.other)
        } else {
            let which: Vec<String> = self.lines.iter().map(|l| l.to_string()).collect();
            format!(
                "{n} of {total} config entries failed (line{} {})",
                if n == 1 { "" } else { "s" },
                which.join(", ")
            )
        };
        if !dry_run && n < total {
            msg.push_str(if n == 0 {
                "; the config entries were applied"
            } else {
                "; the others were applied"
            });
        }
        Some(msg)
    }
}

/// What became of one config entry (or of the entries one VF draws from).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Changed (with `--dry-run`: would change).
    Changed,
    /// Already as configured.
    Unchanged,
    /// Tried and failed (the record's `error` says why).
    Failed,
    /// Not tried: the time budget ran out first.
    Skipped,
    /// Not done: the change would destroy VFs in use (the guard).
    InUse,
}

impl Status {
    /// Its name in `apply --json`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Changed => "changed",
            Status::Unchanged => "unchanged",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::InUse => "in_use",
        }
    }

    const ALL: [Status; 5] = [
        Status::Changed,
        Status::Unchanged,
        Status::Failed,
        Status::Skipped,
        Status::InUse,
    ];
}

/// The values of one record: a VF count, or one VF's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Values {
    /// `KEY=N`: the count before, wanted, and after (or would be after).
    Count {
        /// The count before apply.
        before: Option<u32>,
        /// The count the entry asks for.
        wanted: Option<u32>,
        /// The count after apply (with `--dry-run`: would be).
        after: Option<u32>,
    },
    /// The settings a VF's lines ask for, and those that changed (or
    /// would change). `before` and `after` are the VF's rtnetlink settings
    /// among them as the kernel reported them before and after (with
    /// `--dry-run`, `after` is what they would be); `None` when the PF's
    /// view could not be read.
    Vf {
        /// The settings asked for (`mac auto`, `vlan 7`).
        wanted: Vec<String>,
        /// What changed (or would change).
        changes: Vec<String>,
        /// The settings as the kernel reported them before.
        before: Option<Vec<String>>,
        /// The settings after (with `--dry-run`: would be).
        after: Option<Vec<String>>,
    },
    /// `KEY.eswitch=MODE`: the PF's eswitch mode before, wanted, after
    /// (`None`: not reported, or not known).
    Eswitch {
        /// As devlink reported it before.
        before: Option<crate::devlink::Mode>,
        /// The mode the line asks for.
        wanted: crate::devlink::Mode,
        /// After apply (with `--dry-run`: would be).
        after: Option<crate::devlink::Mode>,
    },
    /// A line that names no device apply could act on.
    None,
}

/// One entry of `apply --json`'s document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The config lines it stems from (1-based).
    pub lines: Vec<usize>,
    /// The PF it acts on, when one was found.
    pub device: Option<PciAddr>,
    /// The VF index, for a VF's settings.
    pub vf: Option<u32>,
    /// The values before, wanted and after.
    pub values: Values,
    /// What became of it.
    pub status: Status,
    /// Why it failed or was not done.
    pub error: Option<String>,
}

/// The whole `apply --json` document. `error` is what stopped apply as a
/// whole (no document without it is ever partial).
pub struct Report<'a> {
    /// The config file's path, as shown.
    pub config: &'a str,
    /// `read`, `missing` or `not_read` (apply stopped first).
    pub config_state: &'a str,
    /// The config file's lines, to quote each record's entries.
    pub entries: &'a [Line],
    /// Whether this was a `--dry-run`.
    pub dry_run: bool,
    /// One record per entry (or per VF), in file order.
    pub records: &'a [Record],
    /// What stopped apply as a whole, if anything.
    pub error: Option<&'a str>,
    /// vfnet's exit status: 0, or 1 when an entry failed (a dry run: would
    /// fail), was skipped or is in use (not a dry run), or apply could not run.
    pub exit_status: i32,
}

impl Report<'_> {
    /// The document as one line of JSON.
    pub fn to_json(&self) -> String {
        use crate::json::Obj;
        let mut out = String::new();
        let mut o = Obj::new(&mut out);
        o.str("config", self.config)
            .str("config_state", self.config_state)
            .bool("dry_run", self.dry_run)
            .raw("entries", |out| {
                crate::json::lines(out, self.records, |out, r| self.record(out, r))
            })
            .raw("totals", |out| {
                let mut t = Obj::new(out);
                for s in Status::ALL {
                    let n = self.records.iter().filter(|r| r.status == s).count();
                    t.num(s.name(), Some(n as u32));
                }
                t.end();
            })
            .opt_str("error", self.error)
            .num("exit_status", Some(self.exit_status as u32))
            .str(
                "exit_status_means",
                match (self.exit_status, self.dry_run) {
                    (0, false) => "every entry is as configured",
                    (0, true) => "every entry can be applied (in_use ones would be skipped)",
                    _ if self.error.is_some() => "apply could not run (see error)",
                    _ => "an entry failed, was skipped or is in use (see each entry's error)",
                },
            );
        o.end();
        out.push('\n');
        out
    }

    fn record(&self, out: &mut String, r: &Record) {
        use crate::json::Obj;
        let mut o = Obj::new(out);
        o.raw("lines", |out| {
            let lines: Vec<String> = r.lines.iter().map(|l| l.to_string()).collect();
            out.push('[');
            out.push_str(&lines.join(","));
            out.push(']');
        });
        let texts: Vec<String> = r
            .lines
            .iter()
            .filter_map(|l| self.entries.get(l.wrapping_sub(1)))
            // Quoted as every echo of input is: controls escaped, cut at 80 bytes.
            .map(|l| crate::text::quote_bytes(crate::sysfs::trim(l.raw())))
            .collect();
        o.strs("entries", texts.iter().map(String::as_str));
        // Each line's key: what stands before its '='.
        let keys: Vec<&str> = texts
            .iter()
            .map(|t| t.split('=').next().unwrap_or_default().trim())
            .collect();
        o.strs("keys", keys);
        let kind = match r.values {
            Values::Count { .. } => "count",
            Values::Vf { .. } => "vf",
            Values::Eswitch { .. } => "eswitch",
            Values::None => "unknown",
        };
        o.str("kind", kind)
            .opt_str("device", r.device)
            .num("vf", r.vf);
        match &r.values {
            Values::Count {
                before,
                wanted,
                after,
            } => {
                o.num("before", *before)
                    .num("wanted", *wanted)
                    .num("after", *after);
            }
            Values::Vf {
                wanted,
                changes,
                before,
                after,
            } => {
                o.opt_strs("before", before.as_deref())
                    .strs("wanted", wanted.iter().map(String::as_str))
                    .opt_strs("after", after.as_deref())
                    .strs("changes", changes.iter().map(String::as_str));
            }
            Values::Eswitch {
                before,
                wanted,
                after,
            } => {
                o.opt_str("before", before.map(|m| m.name()))
                    .str("wanted", wanted.name())
                    .opt_str("after", after.map(|m| m.name()));
            }
            Values::None => {}
        }
        o.str("status", r.status.name())
            .opt_str("error", r.error.as_deref());
        o.end();
    }
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
            config: &config,
            config_state: done.state,
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
    let budget = Deadline::after(args.wait.unwrap_or_default() + args.timeout);
    if !args.dry_run {
        out::set_changing();
    }
    if args.quiet {
        out::set_quiet();
    }
    let sys = s.sys()?;
    let cfg = config::load(&s.root, &s.config)?;
    config::check_trusted(&cfg)?;
    let mut run = Run::new(args, &cfg, budget);
    if cfg.source == Source::Missing {
        done.state = "missing";
        run.say(format!(
            "No config file at {}: nothing to apply.\n",
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
    match run.failures.summary(entries, args.dry_run) {
        Some(msg) => Err(Stop::Entries(Error::fail(msg))),
        None => Ok(()),
    }
}

impl Run<'_> {
    /// Both phases: the counts, then the VF settings.
    fn entries(&mut self, s: &System, sys: &Dir) -> Result<()> {
        let (args, cfg) = (self.args, self.cfg);
        let budget = self.budget;
        if let Some(wait) = args.wait {
            self.wait_for_pfs(sys, wait);
        }
        // The plan comes from a scan taken under the lock: another vfnet's
        // change is seen, never reported as this one's.
        let _lock = if args.dry_run {
            None
        } else {
            Some(s.state_lock(&budget)?)
        };
        let inv = crate::survey::survey(s, &crate::survey::Want::scan())?;
        let actions = plan(cfg, &inv);
        self.counts(s, &inv, &actions)?;
        if cfg.vf_entries().next().is_some() {
            // A dry run changed no count: it plans for the VFs the counts will give.
            let inv = if args.dry_run {
                inv
            } else {
                crate::survey::survey(s, &crate::survey::Want::scan())?
            };
            self.vf_settings(s, &inv, &actions)?;
        }
        Ok(())
    }
}

/// One run of apply: what it says, what failed, its budget.
struct Run<'a> {
    args: &'a Args,
    cfg: &'a Config,
    budget: Deadline,
    failures: Failures,
    /// Keys that `--wait` waited for in vain.
    missing: Vec<DevKey>,
    /// What became of each entry, for `--json`.
    records: Vec<Record>,
}

impl<'a> Run<'a> {
    fn new(args: &'a Args, cfg: &'a Config, budget: Deadline) -> Run<'a> {
        Run {
            args,
            cfg,
            budget,
            failures: Failures::default(),
            missing: Vec::new(),
            records: Vec::new(),
        }
    }

    /// One line of what apply does (not with `--quiet` or `--json`).
    fn say(&self, line: String) {
        if !self.args.quiet && !self.args.json {
            out::print(&line);
        }
    }

    /// Adds a record of `lines`.
    fn record(
        &mut self,
        lines: &[usize],
        device: Option<PciAddr>,
        vf: Option<u32>,
        values: Values,
        status: Status,
        error: Option<String>,
    ) {
        self.records.push(Record {
            lines: lines.to_vec(),
            device,
            vf,
            values,
            status,
            error,
        });
    }

    /// A failure of the config lines `lines` (none: of no line).
    fn fail(&mut self, lines: &[usize], error: &dyn std::fmt::Display) {
        let Some(&line) = lines.first() else {
            self.failures.other += 1;
            out::error(error);
            return;
        };
        for l in lines {
            if let Err(at) = self.failures.lines.binary_search(l) {
                self.failures.lines.insert(at, *l);
            }
        }
        let waited = match (&self.cfg.lines[line - 1], self.args.wait) {
            (Line::Count { key, .. } | Line::Vf { key, .. }, Some(w))
                if self.missing.contains(key) =>
            {
                format!(" (waited {} for it)", secs(w))
            }
            _ => String::new(),
        };
        let at = lines
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join(",");
        out::error(format_args!(
            "{}:{at}: {error}{waited}",
            self.cfg.read_from()
        ));
    }

    /// What is said of work the budget left no time for.
    fn spent(&self) -> String {
        format!(
            "not applied: apply's time budget ({}: --wait plus --timeout) ran out before this entry",
            secs(self.budget.timeout())
        )
    }

    /// `--wait`: every configured PF there with its driver, or reported.
    fn wait_for_pfs(&mut self, sys: &Dir, wait: Duration) {
        let mut keys: Vec<&DevKey> = self.cfg.entries().map(|e| e.key).collect();
        keys.extend(
            self.cfg
                .vf_entries()
                .map(|e| e.key)
                .filter(|k| !keys.contains(k))
                .collect::<Vec<_>>(),
        );
        for (key, took) in wait_for(sys, &keys, wait.min(self.budget.remaining())) {
            match took {
                Some(t) => self.say(format!("{key}: appeared after {}.\n", secs(t))),
                None => self.missing.push(key.clone()),
            }
        }
    }

    /// The count phase: each entry kept, set, or reported. An entry that
    /// would destroy VFs in use is skipped (the guard; at boot nothing is in
    /// use), and a dry run names their users.
    fn counts(&mut self, s: &System, inv: &Inventory, actions: &[Action]) -> Result<()> {
        let sys = s.sys()?;
        let mut devlink = None;
        for action in actions {
            if self.eswitch(s, inv, action, &mut devlink) {
                continue;
            }
            let users = match action {
                Action::Set { pf, from, .. } if *from > 0 => crate::guard::users(s, *pf)?,
                _ => Vec::new(),
            };
            if let (Action::Set { line, pf, .. }, false) = (action, users.is_empty()) {
                let label = label_of(inv, *pf);
                let (from, to) = match action {
                    Action::Set { from, to, .. } => (*from, *to),
                    _ => unreachable!(),
                };
                let msg = format!(
                    "skipped: {} in use, and changing the count destroys every VF (stop what uses them, or vfnet set --force)",
                    out::vfs(users.len() as u32)
                );
                let v = Values::Count {
                    before: Some(from),
                    wanted: Some(to),
                    after: Some(from),
                };
                self.record(
                    &[*line],
                    Some(*pf),
                    None,
                    v,
                    Status::InUse,
                    Some(msg.clone()),
                );
                if self.args.dry_run {
                    for l in crate::guard::lines(&label, &users) {
                        self.say(format!(
                            "{l} (the change would destroy it: apply skips it)\n"
                        ));
                    }
                } else {
                    for l in crate::guard::lines(&label, &users) {
                        out::error(l);
                    }
                    self.fail(&[*line], &msg);
                    continue;
                }
            }
            let count = |before, wanted, after| Values::Count {
                before: Some(before),
                wanted: Some(wanted),
                after,
            };
            match action {
                Action::Keep { line, pf, count: n } => {
                    let v = count(*n, *n, Some(*n));
                    self.record(&[*line], Some(*pf), None, v, Status::Unchanged, None);
                    self.say(format!(
                        "{}: {}, as configured.\n",
                        label_of(inv, *pf),
                        out::vfs(*n)
                    ));
                }
                Action::Set { line, pf, from, to } if self.args.dry_run => {
                    if users.is_empty() {
                        let v = count(*from, *to, Some(*to));
                        self.record(&[*line], Some(*pf), None, v, Status::Changed, None);
                    }
                    self.say(format!(
                        "{}: would change {from} -> {to} VFs.\n",
                        label_of(inv, *pf)
                    ));
                }
                Action::Set { line, pf, from, to } if self.budget.remaining().is_zero() => {
                    let spent = self.spent();
                    self.fail(&[*line], &spent);
                    let v = count(*from, *to, Some(*from));
                    self.record(&[*line], Some(*pf), None, v, Status::Skipped, Some(spent));
                }
                Action::Set { line, pf, from, to } => {
                    let dev = crate::device::resolve(sys, &DevKey::Pci(*pf));
                    let result = dev
                        .as_ref()
                        .map_err(Clone::clone)
                        .and_then(|dev| sriov::set(dev, *to, &self.budget));
                    match result {
                        Ok(done) => {
                            self.say(format!(
                                "{}: {} -> {} VFs in {}.\n",
                                label_of(inv, *pf),
                                done.from,
                                done.to,
                                secs(done.took)
                            ));
                            let v = count(done.from, *to, Some(done.to));
                            self.record(&[*line], Some(*pf), None, v, Status::Changed, None);
                        }
                        Err(e) => {
                            self.fail(&[*line], &e);
                            // Where it stopped, as the kernel says now.
                            let after = dev.ok().and_then(|d| sriov::read(&d, "sriov_numvfs").ok());
                            let v = count(*from, *to, after);
                            let e = Some(e.to_string());
                            self.record(&[*line], Some(*pf), None, v, Status::Failed, e);
                        }
                    }
                }
                Action::Fail { line, error } => {
                    self.fail(&[*line], error);
                    let device = match &self.cfg.lines[line - 1] {
                        Line::Count { key, .. } => find(inv, key),
                        _ => None,
                    };
                    let before = device
                        .and_then(|d| inv.pf_by_addr(d))
                        .and_then(|i| inv.pfs[i].num_vfs);
                    let v = match &self.cfg.lines[line - 1] {
                        Line::Count { count: n, .. } => Values::Count {
                            before,
                            wanted: Some(*n),
                            after: before,
                        },
                        _ => Values::None,
                    };
                    let e = Some(error.clone());
                    self.record(&[*line], device, None, v, Status::Failed, e);
                }
            }
        }
        Ok(())
    }

    /// A PF's `eswitch` line, before its count: the mode set over devlink
    /// with no VFs (drivers refuse it with VFs). A PF that has VFs goes
    /// through 0 for it, unless they are in use; then `true`: the count
    /// was made too. A refusal is one failed line; the count goes ahead.
    fn eswitch(
        &mut self,
        s: &System,
        inv: &Inventory,
        action: &Action,
        devlink: &mut Option<std::result::Result<crate::devlink::Devlink, nix::errno::Errno>>,
    ) -> bool {
        use crate::devlink::Devlink;
        use crate::eswitch::{mode_name as name, refused};
        let (line, pf, from, to) = match *action {
            Action::Keep { line, pf, count } => (line, pf, count, count),
            Action::Set { line, pf, from, to } => (line, pf, from, to),
            Action::Fail { .. } => return false,
        };
        let Some(p) = inv.pf_by_addr(pf).map(|i| &inv.pfs[i]) else {
            return false;
        };
        let Some((at, want)) = self.cfg.eswitch(pf, &p.interfaces) else {
            return false;
        };
        let label = p.label();
        let record = |run: &mut Run, before, after, status, error: Option<String>| {
            let v = Values::Eswitch {
                before,
                wanted: want,
                after,
            };
            if let Some(e) = &error {
                run.fail(&[at], e);
            }
            run.record(&[at], Some(pf), None, v, status, error);
        };
        let why = |e| refused(&label, want, e, p.driver.as_deref());
        if !s.live() {
            record(self, None, None, Status::Failed, Some(why(None)));
            return false;
        }
        let why = |e| why(Some(e));
        let dl = match devlink.get_or_insert_with(Devlink::open) {
            Ok(dl) => dl,
            Err(e) => {
                record(self, None, None, Status::Failed, Some(why(*e)));
                return false;
            }
        };
        let mode = match dl.mode(pf) {
            Ok(m) => m,
            Err(e) => {
                record(self, None, None, Status::Failed, Some(why(e)));
                return false;
            }
        };
        if mode == Some(want) {
            record(self, mode, mode, Status::Unchanged, None);
            return false;
        }
        if self.args.dry_run {
            self.say(format!(
                "{label}: would change eswitch {} -> {} with 0 VFs.\n",
                name(mode),
                want.name()
            ));
            record(self, mode, Some(want), Status::Changed, None);
            return false;
        }
        if from == 0 {
            match dl.set_mode(pf, want) {
                Ok(()) => {
                    self.say(format!(
                        "{label}: eswitch {} -> {}.\n",
                        name(mode),
                        want.name()
                    ));
                    record(self, mode, Some(want), Status::Changed, None);
                }
                Err(e) => record(self, mode, mode, Status::Failed, Some(why(e))),
            }
            return false;
        }
        // Users that cannot be looked for are not taken for none.
        let users = match crate::guard::users(s, pf) {
            Ok(users) => users,
            Err(e) => {
                let e = format!("{label}: eswitch {}: skipped: {e}", want.name());
                record(self, mode, mode, Status::Failed, Some(e));
                return false;
            }
        };
        if !users.is_empty() {
            let e = format!(
                "{label}: eswitch {}: skipped: {} in use, and changing the mode destroys every VF",
                want.name(),
                out::vfs(users.len() as u32)
            );
            record(self, mode, mode, Status::InUse, Some(e));
            return false;
        }
        let Ok(sys) = s.sys() else { return false };
        let mut set_mode = |m| dl.set_mode(pf, m);
        let changed = crate::device::resolve(sys, &DevKey::Pci(pf)).and_then(|dev| {
            crate::eswitch::change(&dev, &mut set_mode, mode, to, want, &self.budget)
        });
        match changed {
            Ok(c) => {
                self.say(format!(
                    "{label}: eswitch {} -> {}, {from} -> {to} VFs in {}.\n",
                    name(mode),
                    want.name(),
                    secs(c.took)
                ));
                record(self, mode, Some(want), Status::Changed, None);
                let v = Values::Count {
                    before: Some(from),
                    wanted: Some(to),
                    after: Some(c.to),
                };
                let status = if from == to {
                    Status::Unchanged
                } else {
                    Status::Changed
                };
                self.record(&[line], Some(pf), None, v, status, None);
                true
            }
            // The VFs it had were put back; the count goes ahead.
            Err(e) => {
                record(self, mode, mode, Status::Failed, Some(e.to_string()));
                false
            }
        }
    }

    /// The VF-settings phase, once the counts are right: each VF brought
    /// to what its lines ask, or (dry run) what would change.
    fn vf_settings(&mut self, s: &System, inv: &Inventory, actions: &[Action]) -> Result<()> {
        let sys = s.sys()?;
        let dry_run = self.args.dry_run;
        let will = |pf: PciAddr| -> Vec<u32> {
            let set = actions.iter().find_map(|a| match a {
                Action::Set { pf: p, to, .. } if dry_run && *p == pf => Some(*to),
                _ => None,
            });
            match set {
                Some(to) => (0..to).collect(),
                None => inv
                    .pf_by_addr(pf)
                    .map(|i| inv.pfs[i].vfs.iter().filter_map(|v| v.index).collect())
                    .unwrap_or_default(),
            }
        };
        let (plans, errors) = plan_vfs(self.cfg, inv, &will);
        for (line, error) in &errors {
            self.fail(&[*line], error);
            let device = match &self.cfg.lines[line - 1] {
                Line::Vf { key, .. } => find(inv, key),
                _ => None,
            };
            self.record(
                &[*line],
                device,
                None,
                Values::None,
                Status::Failed,
                Some(error.clone()),
            );
        }
        let mut session = crate::engine::Session::new(s, self.budget)?;
        for (pf, group) in group_by_pf(&plans) {
            let mut lines: Vec<usize> =
                group.iter().flat_map(|p| p.lines.iter().copied()).collect();
            lines.sort_unstable();
            lines.dedup();
            let dev = match crate::device::resolve(sys, &DevKey::Pci(pf)) {
                Ok(d) => d,
                Err(e) => {
                    self.fail(&lines, &e);
                    self.group_failed(group, &e);
                    continue;
                }
            };
            let link = if group.iter().any(|p| p.want.needs_netlink()) {
                match session.link(&dev) {
                    Ok(l) => Some(l),
                    // A dry run says what it would set without the kernel's view.
                    Err(_) if dry_run => None,
                    Err(e) => {
                        self.fail(&lines, &e);
                        self.group_failed(group, &e);
                        continue;
                    }
                }
            } else {
                None
            };
            let first = self.records.len();
            for p in group {
                let have = link
                    .as_ref()
                    .and_then(|l| l.vfs.iter().find(|v| v.vf == p.vf));
                let before = have.map(|h| p.want.current(h));
                let values = |changes, after| Values::Vf {
                    wanted: wanted(p),
                    changes,
                    before: before.clone(),
                    after,
                };
                if dry_run {
                    // The changes from what the kernel reports (once), else
                    // everything asked for.
                    let pf_mac = link.as_ref().and_then(|l| l.perm_address.or(l.address));
                    let sets = have.map(|h| (h, p.want.changes(h, pf_mac)));
                    let changes = match &sets {
                        Some((_, s)) => crate::engine::summary(s, &p.want),
                        None => wanted(p),
                    };
                    let after = sets.as_ref().map(|(h, s)| planned(h, s, &p.want));
                    let what = match changes.is_empty() {
                        true => "nothing".to_string(),
                        false => changes.join("; "),
                    };
                    self.say(format!("{} VF {}: would set {what}.\n", dev.label(), p.vf));
                    let status = match changes.is_empty() {
                        true => Status::Unchanged,
                        false => Status::Changed,
                    };
                    self.record(
                        &p.lines,
                        Some(pf),
                        Some(p.vf),
                        values(changes, after),
                        status,
                        None,
                    );
                    continue;
                }
                if self.budget.remaining().is_zero() {
                    let msg = format!("{} VF {}: {}", dev.label(), p.vf, self.spent());
                    self.fail(&p.lines, &msg);
                    let v = values(Vec::new(), before.clone());
                    self.record(
                        &p.lines,
                        Some(pf),
                        Some(p.vf),
                        v,
                        Status::Skipped,
                        Some(msg),
                    );
                    continue;
                }
                let done =
                    crate::engine::configure(&mut session, &dev, link.as_ref(), p.vf, &p.want);
                self.say(crate::engine::report(&dev, p.vf, &done));
                for e in &done.errors {
                    self.fail(&p.lines, e);
                }
                let status = match (done.errors.is_empty(), done.changes.is_empty()) {
                    (false, _) => Status::Failed,
                    (true, true) => Status::Unchanged,
                    (true, false) => Status::Changed,
                };
                let errors: Vec<String> = done.errors.iter().map(|e| e.to_string()).collect();
                let error = (!errors.is_empty()).then(|| errors.join("; "));
                let v = values(done.changes, None);
                self.record(&p.lines, Some(pf), Some(p.vf), v, status, error);
            }
            // What the kernel reports now, once per PF: each record's after.
            let now = match (dry_run || link.is_none(), self.records.len() > first) {
                (false, true) => session.link(&dev).ok(),
                _ => None,
            };
            if let Some(now) = now {
                for r in &mut self.records[first..] {
                    let have = now.vfs.iter().find(|v| Some(v.vf) == r.vf);
                    let plan = group.iter().find(|p| Some(p.vf) == r.vf);
                    if let (Values::Vf { after, .. }, Some(h), Some(p)) =
                        (&mut r.values, have, plan)
                    {
                        if after.is_none() {
                            *after = Some(p.want.current(h));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

impl Run<'_> {
    /// Every VF of `group` failed with `e`.
    fn group_failed(&mut self, group: &[VfPlan], e: &Error) {
        for p in group {
            let v = Values::Vf {
                wanted: wanted(p),
                changes: Vec::new(),
                before: None,
                after: None,
            };
            self.record(
                &p.lines,
                Some(p.pf),
                Some(p.vf),
                v,
                Status::Failed,
                Some(e.to_string()),
            );
        }
    }
}

/// The PF `key` names, if there is one.
fn find(inv: &Inventory, key: &DevKey) -> Option<PciAddr> {
    let i = inv.pf_by_key(key)?;
    Some(inv.pfs[i].addr)
}

/// What `have` would be once `changes` (what `want` asks of it) are made,
/// as [`Wanted::current`](crate::vf::Wanted::current) says it.
fn planned(
    have: &crate::netlink::VfInfo,
    changes: &[crate::netlink::VfSet],
    want: &crate::vf::Wanted,
) -> Vec<String> {
    use crate::netlink::VfSet;
    let mut h = have.clone();
    for &c in changes {
        match c {
            VfSet::Mac(m) => h.mac = Some(m),
            VfSet::Vlan { vlan, qos } => (h.vlan, h.qos) = (Some(vlan), Some(qos)),
            VfSet::VlanProto { vlan, qos, proto } => {
                (h.vlan, h.qos, h.vlan_proto) = (Some(vlan), Some(qos), Some(proto))
            }
            VfSet::SpoofChk(b) => h.spoofchk = Some(b),
            VfSet::Trust(b) => h.trust = Some(b),
            VfSet::QueryRss(b) => h.query_rss = Some(b),
            VfSet::LinkState(s) => h.link_state = Some(s),
            VfSet::Rate { min, max } => (h.min_tx_rate, h.max_tx_rate) = (Some(min), Some(max)),
        }
    }
    want.current(&h)
}

/// Every setting `p` asks for, as `NAME VALUE`.
fn wanted(p: &VfPlan) -> Vec<String> {
    p.want
        .settings()
        .iter()
        .map(|s| format!("{} {s}", s.name()))
        .collect()
}

/// Waits up to `wait` for each key's device to be there with its driver
/// (see [`crate::device::ready`]), woken by kernel uevents, polling as a fallback.
/// Returns each key that was not there at first, with how long it took to
/// appear, or `None` if it never did.
fn wait_for<'k>(
    sys: &Dir,
    keys: &[&'k DevKey],
    wait: Duration,
) -> Vec<(&'k DevKey, Option<Duration>)> {
    let deadline = Deadline::after(wait);
    let mut late: Vec<(&DevKey, Option<Duration>)> = keys
        .iter()
        .filter(|k| !crate::device::ready(sys, k))
        .map(|k| (*k, None))
        .collect();
    if late.is_empty() {
        return late;
    }
    let events = Uevents::open();
    // With uevents, a change wakes the wait at once; the pauses only bound
    // how long a change without an event (a fake tree) goes unseen.
    let max_pause = Duration::from_millis(if events.active() { 250 } else { 100 });
    until_woken(
        &deadline,
        max_pause,
        |d| events.sleep(d),
        || {
            for (key, took) in late.iter_mut().filter(|(_, t)| t.is_none()) {
                if crate::device::ready(sys, key) {
                    *took = Some(deadline.elapsed());
                }
            }
            late.iter().all(|(_, t)| t.is_some()).then_some(())
        },
    );
    late
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ifname::IfName;
    use crate::inventory::{Pf, Vf};
    use crate::pci::PciAddr;
    use std::path::PathBuf;

    fn a(s: &str) -> PciAddr {
        PciAddr::parse(s).unwrap()
    }

    fn pf(addr: &str, name: &str, sriov: bool, total: u32, num: u32) -> Pf {
        Pf {
            addr: PciAddr::parse(addr).unwrap(),
            interfaces: vec![IfName::parse(name).unwrap()],
            subsystem: None,
            vendor: None,
            device: None,
            description: None,
            driver: None,
            sriov,
            total_vfs: sriov.then_some(total),
            num_vfs: sriov.then_some(num),
            iommu_group: None,
            configured: None,
            eswitch: None,
            vfs: Vec::new(),
        }
    }

    fn inv() -> Inventory {
        let mut eth1 = pf("0000:01:00.1", "eth1", true, 7, 2);
        eth1.vfs.push(Vf {
            addr: PciAddr::parse("0000:01:10.1").unwrap(),
            index: Some(0),
            interface: Some(IfName::parse("eth1v0").unwrap()),
            mac: None,
            driver: None,
            iommu_group: None,
            settings: None,
            used_by: None,
            representor: None,
        });
        Inventory {
            pfs: vec![
                pf("0000:01:00.0", "eth0", true, 7, 0),
                eth1,
                pf("0000:05:00.0", "eth5", false, 0, 0),
            ],
            usage_known: false,
            settings_known: false,
        }
    }

    fn plan_of(text: &str) -> Vec<Action> {
        plan(&Config::parse(PathBuf::from("/c"), text), &inv())
    }

    #[test]
    fn vf_lines_give_each_vf_its_settings_and_one_vf_lines_win() {
        let mut inv = inv();
        for i in 1..3 {
            let mut v = inv.pfs[1].vfs[0].clone();
            v.index = Some(i);
            inv.pfs[1].vfs.push(v);
        }
        let cfg = Config::parse(
            PathBuf::from("/c"),
            "eth1.vf1.vlan=7\neth1.vfs.mac=auto\neth1.vfs.vlan=5\n0000:01:00.1.vf2.driver=vfio-pci\neth1.vf9.trust=on\neth9.vfs.trust=on\n",
        );
        let vfs = |pf: PciAddr| {
            let i = inv.pf_by_addr(pf).unwrap();
            inv.pfs[i].vfs.iter().filter_map(|v| v.index).collect()
        };
        let (plans, errors) = plan_vfs(&cfg, &inv, &vfs);
        let errors: Vec<(usize, &str)> = errors.iter().map(|(l, e)| (*l, e.as_str())).collect();
        assert_eq!(
            errors,
            [
                (5, "eth1 (0000:01:00.1) has no VF 9 (it has 3 VFs)"),
                (6, "no network interface eth9 on this system now")
            ]
        );
        let want = |vlan, driver| Wanted {
            mac: Some(crate::vf::MacSpec::Auto),
            vlan: Some(vlan),
            driver,
            ..Wanted::default()
        };
        assert_eq!(
            plans,
            [
                VfPlan {
                    pf: a("0000:01:00.1"),
                    vf: 0,
                    want: want(5, None),
                    lines: vec![2, 3],
                },
                VfPlan {
                    pf: a("0000:01:00.1"),
                    vf: 1,
                    want: want(7, None),
                    lines: vec![1, 2, 3],
                },
                VfPlan {
                    pf: a("0000:01:00.1"),
                    vf: 2,
                    want: want(5, Some(crate::vf::Driver::VfioPci)),
                    lines: vec![2, 3, 4],
                },
            ]
        );
    }

    #[test]
    fn narrower_lines_win_over_broader_ones_and_ranges_make_pools() {
        let mut inv = inv();
        for i in 1..8 {
            let mut v = inv.pfs[1].vfs[0].clone();
            v.index = Some(i);
            inv.pfs[1].vfs.push(v);
        }
        let cfg = Config::parse(
            PathBuf::from("/c"),
            "eth1.vf2.vlan=9\neth1.vf0-3.driver=vfio-pci\neth1.vf0-7.vlan=5\neth1.vfs.vlan=1\neth1.vf0-1.vlan=7\neth1.vf8-9.trust=on\n",
        );
        let vfs = |pf: PciAddr| {
            let i = inv.pf_by_addr(pf).unwrap();
            inv.pfs[i].vfs.iter().filter_map(|v| v.index).collect()
        };
        let (plans, errors) = plan_vfs(&cfg, &inv, &vfs);
        assert_eq!(
            errors,
            [(
                6,
                "eth1 (0000:01:00.1) has no VF 8-9 (it has 8 VFs)".to_string()
            )]
        );
        let got: Vec<(u32, Option<u32>, bool)> = plans
            .iter()
            .map(|p| (p.vf, p.want.vlan, p.want.driver.is_some()))
            .collect();
        assert_eq!(
            got,
            [
                (0, Some(7), true),
                (1, Some(7), true),
                (2, Some(9), true),
                (3, Some(5), true),
                (4, Some(5), false),
                (5, Some(5), false),
                (6, Some(5), false),
                (7, Some(5), false),
            ]
        );
    }

    #[test]
    fn the_json_report_quotes_each_entry_and_counts_statuses() {
        let cfg = Config::parse(
            PathBuf::from("/c"),
            "eth0=4\neth0.vf1.vlan=7 \neth0.vfs.trust=on\nbad\"\x01\n",
        );
        let records = [
            Record {
                lines: vec![1],
                device: Some(a("0000:01:00.0")),
                vf: None,
                values: Values::Count {
                    before: Some(0),
                    wanted: Some(4),
                    after: Some(4),
                },
                status: Status::Changed,
                error: None,
            },
            Record {
                lines: vec![2, 3],
                device: Some(a("0000:01:00.0")),
                vf: Some(1),
                values: Values::Vf {
                    wanted: vec!["vlan 7".into(), "trust on".into()],
                    changes: vec!["vlan 7".into()],
                    before: Some(vec!["vlan 0".into(), "trust on".into()]),
                    after: None,
                },
                status: Status::Changed,
                error: None,
            },
            Record {
                lines: vec![4],
                device: None,
                vf: None,
                values: Values::None,
                status: Status::Failed,
                error: Some("expected KEY=N".into()),
            },
        ];
        let report = Report {
            config: "/c",
            config_state: "read",
            entries: &cfg.lines,
            dry_run: false,
            records: &records,
            error: None,
            exit_status: 1,
        };
        let doc: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        let e = &doc["entries"];
        assert_eq!(e[0]["kind"], "count");
        assert_eq!((&e[0]["before"], &e[0]["after"]), (&0.into(), &4.into()));
        assert_eq!(
            e[1]["entries"],
            serde_json::json!(["eth0.vf1.vlan=7", "eth0.vfs.trust=on"])
        );
        assert_eq!(e[1]["changes"], serde_json::json!(["vlan 7"]));
        assert_eq!(e[1]["before"], serde_json::json!(["vlan 0", "trust on"]));
        assert_eq!(e[1]["after"], serde_json::Value::Null);
        assert_eq!(
            e[1]["keys"],
            serde_json::json!(["eth0.vf1.vlan", "eth0.vfs.trust"])
        );
        assert_eq!(e[0]["keys"], serde_json::json!(["eth0"]));
        assert_eq!(e[1]["vf"], 1);
        assert_eq!(e[2]["entries"], serde_json::json!(["bad\"\\x01"]));
        assert_eq!(e[2]["kind"], "unknown");
        assert_eq!(
            doc["totals"],
            serde_json::json!({"changed": 2, "unchanged": 0, "failed": 1, "skipped": 0, "in_use": 0})
        );
        assert_eq!(doc["exit_status"], 1);
    }

    #[test]
    fn a_dry_run_says_what_each_vf_would_have_after() {
        use crate::netlink::VfInfo;
        let have = VfInfo {
            vf: 1,
            mac: Some(crate::mac::Mac([0; 6])),
            vlan: Some(0),
            qos: Some(0),
            trust: Some(false),
            spoofchk: Some(true),
            ..VfInfo::default()
        };
        let mut want = Wanted::default();
        for (k, v) in [
            ("mac", "auto"),
            ("vlan", "7"),
            ("trust", "off"),
            ("rate", "0,100"),
        ] {
            want.add(crate::vf::Setting::parse(k, v).unwrap());
        }
        let p = VfPlan {
            pf: a("0000:01:00.0"),
            vf: 1,
            want,
            lines: vec![1],
        };
        assert_eq!(
            p.want.current(&have),
            ["mac 00:00:00:00:00:00", "vlan 0", "trust off", "rate ?"]
        );
        let pf_mac = crate::mac::Mac::parse(b"02:00:00:00:00:10");
        assert_eq!(
            planned(&have, &p.want.changes(&have, pf_mac), &p.want),
            [
                format!("mac {}", crate::vf::auto_mac(pf_mac.unwrap(), 1)),
                "vlan 7".to_string(),
                "trust off".to_string(),
                "rate 0,100".to_string()
            ]
        );
    }

    #[test]
    fn entries_that_match_are_kept_and_others_set() {
        assert_eq!(
            plan_of("# x\n0000:01:00.0=4\neth1=2\n"),
            [
                Action::Set {
                    line: 2,
                    pf: a("0000:01:00.0"),
                    from: 0,
                    to: 4
                },
                Action::Keep {
                    line: 3,
                    pf: a("0000:01:00.1"),
                    count: 2
                }
            ]
        );
    }

    #[test]
    fn bad_entries_fail_alone_in_file_order() {
        let got = plan_of(
            "junk\neth9=1\neth1v0=1\neth1=8\neth5=1\n0000:01:00.0=3\neth0=1\n0000:01:10.1=1\n",
        );
        let errors: Vec<(usize, &str)> = got
            .iter()
            .filter_map(|a| match a {
                Action::Fail { line, error } => Some((*line, error.as_str())),
                _ => None,
            })
            .collect();
        let wants = [
            (1, "expected KEY=N"),
            (2, "no network interface eth9"),
            (3, "eth1v0 is VF 0 of eth1 (0000:01:00.1)"),
            (4, "at most 7"),
            (5, "does not support SR-IOV"),
            (7, "already has an entry on line 6"),
            (8, "0000:01:10.1 is VF 0"),
        ];
        assert_eq!(errors.len(), wants.len(), "{got:?}");
        for ((line, error), (want_line, want)) in errors.iter().zip(wants) {
            assert_eq!(*line, want_line);
            assert!(error.contains(want), "line {line}: {error}");
        }
        assert!(got.contains(&Action::Set {
            line: 6,
            pf: a("0000:01:00.0"),
            from: 0,
            to: 3
        }));
    }
}
