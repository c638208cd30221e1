//! apply's executor: runs the plan ([`super::plan`]) entry by entry, one
//! record each ([`super::report`]). A PF's count and its eswitch line are
//! decided by `crate::change`, the same planner `set` uses, so a dry run
//! says exactly what the run does, and both exit alike. A failed entry does
//! not stop the others.

use super::plan::{self, Action};
use crate::change::{self, Ask, Change, Now, Plan};
use crate::config::{Config, Line};
use crate::device::PfDev;
use crate::devlink::{Devlink, Mode};
use crate::error::{Error, Result};
use crate::inventory::{Inventory, Pf};
use crate::pci::{DevKey, PciAddr};
use crate::report::{Failures, Record, Status, Values};
use crate::sysfs::Dir;
use crate::system::System;
use crate::uevent::Uevents;
use crate::wait::{Deadline, secs, until_woken};
use crate::{out, sriov};
use std::time::Duration;

/// What apply's options ask of the executor.
#[derive(Debug, Clone, Copy, Default)]
pub struct Opts {
    /// Say what would change, change nothing.
    pub dry_run: bool,
    /// Print only errors.
    pub quiet: bool,
    /// Records only: no lines on stdout.
    pub json: bool,
    /// How long to wait for configured PFs first.
    pub wait: Option<Duration>,
}

/// A devlink socket, opened when a PF's eswitch line first needs one.
type DevlinkCell = Option<std::result::Result<Devlink, nix::errno::Errno>>;

/// One count entry: its line, its PF, the count it has and the one wanted.
#[derive(Debug, Clone, Copy)]
struct Entry {
    line: usize,
    pf: PciAddr,
    from: u32,
    to: u32,
}

/// A PF's `eswitch` line: where it stands and the mode it asks for.
type EswitchLine = Option<(usize, Mode)>;

/// Why a count cannot be planned, with the fix its driver calls for.
fn invalid(p: &Pf, err: sriov::PlanError) -> String {
    let dev = sriov::Device {
        driver: p.driver.as_deref(),
        vendor: p.vendor,
        addr: Some(p.addr),
    };
    sriov::plan_error_for(&p.label(), err, &dev).to_string()
}

/// A count change to run with the others, and the places its line and
/// record keep among the others' (the config's order).
struct Job {
    e: Entry,
    label: String,
    line_at: usize,
    record_at: usize,
}

/// What a count change did, or why it failed and the count it left.
type JobResult = std::result::Result<sriov::Outcome, (Error, Option<u32>)>;

/// One count change, from its own view of the PF (each thread opens its
/// own: directories are not shared between threads).
fn run_job(root: &crate::sysfs::Root, e: Entry, budget: &Deadline) -> JobResult {
    let sys = root
        .sys()
        .map_err(|err| (Error::io("open", &root.join("/sys"), err), None))?;
    let dev = crate::device::resolve(&sys, &DevKey::Pci(e.pf)).map_err(|err| (err, None))?;
    sriov::set(&dev, e.to, budget).map_err(|err| (err, sriov::read(&dev, "sriov_numvfs").ok()))
}

/// One run of apply: what it says, what failed, its budget.
pub struct Run<'a> {
    pub(super) opts: Opts,
    pub(super) cfg: &'a Config,
    pub(super) budget: Deadline,
    /// What failed, per config line.
    pub failures: Failures,
    /// Keys that `--wait` waited for in vain.
    missing: Vec<DevKey>,
    /// What became of each entry, for `--json`.
    pub records: Vec<Record>,
    /// The count phase's lines, printed once its changes are done.
    lines: Option<Vec<String>>,
    /// Who uses the VFs, surveyed once for every PF, when the first change
    /// that destroys VFs asks (`Err`: the survey could not run).
    users: Option<std::result::Result<Inventory, String>>,
}

impl<'a> Run<'a> {
    /// A run of `cfg` within `budget`.
    pub fn new(opts: Opts, cfg: &'a Config, budget: Deadline) -> Run<'a> {
        Run {
            opts,
            cfg,
            budget,
            failures: Failures::default(),
            missing: Vec::new(),
            records: Vec::new(),
            lines: None,
            users: None,
        }
    }

    /// Both phases: the counts, then the VF settings.
    pub fn entries(&mut self, s: &System, sys: &Dir) -> Result<()> {
        if let Some(wait) = self.opts.wait {
            self.wait_for_pfs(sys, wait);
        }
        // The plan comes from a scan taken under the lock: another vfnet's
        // change is seen, never reported as this one's.
        let _lock = match self.opts.dry_run {
            true => None,
            false => Some(s.state_lock(&self.budget)?),
        };
        let inv = crate::survey::survey(s, &crate::survey::Want::scan())?;
        let actions = plan::plan(self.cfg, &inv);
        self.counts(s, &inv, &actions);
        if self.cfg.vf_entries().next().is_some() {
            // A dry run changed no count: it plans for the VFs the counts will give.
            let inv = match self.opts.dry_run {
                true => inv,
                false => crate::survey::survey(s, &crate::survey::Want::scan())?,
            };
            self.vf_settings(s, &inv, &actions)?;
        }
        if !self.cfg.flagged(crate::config::Flag::FdbSync).is_empty() {
            let inv = crate::survey::survey(s, &crate::survey::Want::scan())?;
            self.fdb_sync(s, &inv, &actions);
        }
        Ok(())
    }

    /// One line of what apply does (not with `--quiet` or `--json`).
    pub fn say(&mut self, line: String) {
        if self.opts.quiet || self.opts.json {
            return;
        }
        match &mut self.lines {
            Some(lines) => lines.push(line),
            None => out::print(&line),
        }
    }

    /// Adds a record of `lines`.
    pub(super) fn record(
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
    pub(super) fn fail(&mut self, lines: &[usize], error: &dyn std::fmt::Display) {
        let Some(&line) = lines.first() else {
            self.failures.other += 1;
            out::error(error);
            return;
        };
        for l in lines {
            self.failures.add(*l);
        }
        let waited = match (&self.cfg.lines[line - 1], self.opts.wait) {
            (Line::Count { key, .. } | Line::Vf { key, .. }, Some(w))
                if self.missing.contains(key) =>
            {
                crate::msg!(" (waited {} for it)", secs(w))
            }
            _ => String::new(),
        };
        let at: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        out::error(format_args!(
            "{}:{}: {error}{waited}",
            self.cfg.read_from(),
            at.join(",")
        ));
    }

    /// What is said of work the budget left no time for.
    pub(super) fn spent(&self) -> String {
        crate::msg!(
            "not applied: apply's time budget ({}: --wait plus --timeout) ran out before this entry",
            secs(self.budget.timeout())
        )
    }

    /// `--wait`: every configured PF there with its driver, or reported.
    fn wait_for_pfs(&mut self, sys: &Dir, wait: Duration) {
        let mut keys: Vec<&DevKey> = self.cfg.entries().map(|e| e.key).collect();
        let more: Vec<&DevKey> = self
            .cfg
            .vf_entries()
            .map(|e| e.key)
            .filter(|k| !keys.contains(k))
            .collect();
        keys.extend(more);
        for (key, took) in wait_for(sys, &keys, wait.min(self.budget.remaining())) {
            match took {
                Some(t) => self.say(crate::msg!("{}: appeared after {}.\n", key, secs(t))),
                None => self.missing.push(key.clone()),
            }
        }
    }

    /// The count phase: each PF's entry, with its eswitch line, decided by
    /// `change::plan` and carried out (or, dry, said); a bad entry reported.
    fn counts(&mut self, s: &System, inv: &Inventory, actions: &[Action]) {
        let mut devlink = None;
        let mut jobs = Vec::new();
        self.lines = Some(Vec::new());
        for action in actions {
            let e = match *action {
                Action::Fail { line, ref error } => {
                    self.bad_entry(inv, line, error);
                    continue;
                }
                Action::Keep { line, pf, count } => Entry {
                    line,
                    pf,
                    from: count,
                    to: count,
                },
                Action::Set { line, pf, from, to } => Entry { line, pf, from, to },
            };
            if let Some(i) = inv.pf_by_addr(e.pf) {
                jobs.extend(self.pf(s, &inv.pfs[i], e, &mut devlink));
            }
        }
        self.run_jobs(s, jobs);
        let lines = self.lines.take().unwrap_or_default();
        if !lines.is_empty() {
            out::print(&lines.concat());
        }
    }

    /// A line the plan could not apply: failed, with what it knew.
    fn bad_entry(&mut self, inv: &Inventory, line: usize, error: &str) {
        self.fail(&[line], &error);
        let (device, values) = match &self.cfg.lines[line - 1] {
            Line::Count { key, count, .. } => {
                let device = plan::find(inv, key);
                let before = device
                    .and_then(|d| inv.pf_by_addr(d))
                    .and_then(|i| inv.pfs[i].num_vfs);
                let v = Values::Count {
                    before,
                    wanted: Some(*count),
                    after: before,
                };
                (device, v)
            }
            _ => (None, Values::None),
        };
        self.record(
            &[line],
            device,
            None,
            values,
            Status::Failed,
            Some(error.to_string()),
        );
    }

    /// One PF: the plan for its count and eswitch line, then its outcome;
    /// a change of the count alone is returned, to run with the others.
    fn pf(&mut self, s: &System, p: &Pf, e: Entry, devlink: &mut DevlinkCell) -> Option<Job> {
        let line = self.cfg.eswitch(e.pf, &p.interfaces);
        // A mode devlink cannot tell is a failed eswitch line; the count
        // goes ahead alone.
        let known =
            line.and_then(|(at, want)| Some((at, want, self.mode_now(s, p, at, want, devlink)?)));
        let esw = known.map(|(at, want, _)| (at, want));
        let now = Now {
            count: e.from,
            total: p.total_vfs.unwrap_or(e.to),
            mode: known.and_then(|k| k.2),
            down: (crate::drivers::needs_up(p.driver.as_deref())
                && !p.up
                && !p.interfaces.is_empty())
            .then_some(s.live()),
        };
        let ask = Ask {
            count: e.to,
            mode: esw.map(|(_, want)| want),
            force: false,
            reload: false,
        };
        let users = change::destroys(&now, &ask).then(|| self.users_of(s, e.pf));
        let plan = change::plan(&now, &ask, users.as_ref());
        match &plan {
            Plan::Keep => self.kept(p, e, esw, &now),
            Plan::Invalid(err) => self.refused(e, invalid(p, *err)),
            Plan::InUse { .. } => self.in_use(p, e, esw, &now, &plan),
            Plan::Down => self.refused(
                e,
                crate::msg!(
                    "{} is down, and {}: under --root it cannot be brought up",
                    p.label(),
                    crate::drivers::NEEDS_UP
                ),
            ),
            Plan::Change(c) if self.opts.dry_run => self.would(p, e, esw, &now, &plan, c),
            Plan::Change(_) if self.budget.remaining().is_zero() => {
                let spent = self.spent();
                self.fail(&[e.line], &spent);
                self.count_record(e, Some(e.from), Status::Skipped, Some(spent));
            }
            Plan::Change(c) if c.mode.is_none() => return self.queue(p, e, esw, &now),
            Plan::Change(c) => self.change(s, p, e, esw, &now, c, devlink),
        }
        None
    }

    /// Who uses the VFs of `pf`: one survey for the whole run, made when
    /// the first change that destroys VFs asks.
    fn users_of(&mut self, s: &System, pf: PciAddr) -> crate::guard::Users {
        let want = crate::survey::Want {
            users: true,
            ..crate::survey::Want::scan()
        };
        let inv = self
            .users
            .get_or_insert_with(|| crate::survey::survey(s, &want).map_err(|e| e.to_string()));
        match inv {
            Ok(inv) => crate::guard::of(inv, pf),
            Err(e) => crate::guard::Users::Unknown(e.clone()),
        }
    }

    /// A count entry refused before anything: failed, with `msg`.
    fn refused(&mut self, e: Entry, msg: String) {
        self.fail(&[e.line], &msg);
        self.count_record(e, Some(e.from), Status::Failed, Some(msg));
    }

    /// A change of the count alone, queued to run with the others: its line
    /// and record keep their places.
    fn queue(&mut self, p: &Pf, e: Entry, esw: EswitchLine, now: &Now) -> Option<Job> {
        self.eswitch_unchanged(e, esw, now);
        let line_at = self.lines.as_ref().map_or(0, Vec::len);
        self.say(String::new());
        let record_at = self.records.len();
        self.count_record(e, Some(e.from), Status::Skipped, None);
        Some(Job {
            e,
            label: p.label(),
            line_at,
            record_at,
        })
    }

    /// Runs the count changes: at the same time, one thread each, when
    /// there are several (the kernel's own lock then orders what it must:
    /// README, "apply"), with the stop signals deferred to this thread; then
    /// one line and one record each, in the config's order.
    fn run_jobs(&mut self, s: &System, jobs: Vec<Job>) {
        let budget = self.budget;
        let root = &s.root;
        let results: Vec<JobResult> = match &jobs[..] {
            [] => return,
            [one] => vec![run_job(root, one.e, &budget)],
            _ => {
                let deferred = crate::signals::defer();
                let work = jobs
                    .iter()
                    .map(|j| {
                        let e = j.e;
                        Box::new(move || run_job(root, e, &budget))
                            as Box<dyn FnOnce() -> JobResult + Send + '_>
                    })
                    .collect();
                crate::parallel::all(work, || {
                    deferred.wait(Duration::from_millis(50));
                })
            }
        };
        for (job, result) in jobs.iter().zip(results) {
            self.job_done(job, result);
        }
        if let Some(sig) = crate::signals::stopping() {
            out::error(format_args!(
                "stopped by {}: every change that had written 0 wrote its count first; vfnet list shows the state",
                sig.as_str()
            ));
            std::process::exit(crate::signals::exit_status(sig));
        }
    }

    /// A count change's line and record, in the places kept for them.
    fn job_done(&mut self, job: &Job, result: JobResult) {
        let e = job.e;
        let (line, after, status, error) = match result {
            Ok(done) => {
                let line = crate::msg!(
                    "{}: {} -> {} VFs in {}.\n",
                    job.label,
                    done.from,
                    done.to,
                    secs(done.took)
                );
                (line, Some(done.to), Status::Changed, None)
            }
            Err((err, after)) => {
                self.fail(&[e.line], &err);
                (String::new(), after, Status::Failed, Some(err.to_string()))
            }
        };
        if let Some(slot) = self.lines.as_mut().and_then(|l| l.get_mut(job.line_at)) {
            *slot = line;
        }
        if let Some(r) = self.records.get_mut(job.record_at) {
            r.values = Values::Count {
                before: Some(e.from),
                wanted: Some(e.to),
                after,
            };
            r.status = status;
            r.error = error;
        }
    }

    /// The PF's eswitch mode now, for its line at `at`: `None` (the line
    /// recorded as failed) when devlink cannot tell (under --root, no
    /// devlink, a driver without an eswitch).
    fn mode_now(
        &mut self,
        s: &System,
        p: &Pf,
        at: usize,
        want: Mode,
        devlink: &mut DevlinkCell,
    ) -> Option<Option<Mode>> {
        let label = p.label();
        let why = |e| crate::eswitch::refused(&label, want, e, p.driver.as_deref());
        let error = if !s.live() {
            why(None)
        } else {
            match devlink.get_or_insert_with(Devlink::open) {
                Err(e) => why(Some(*e)),
                Ok(dl) => match dl.mode(p.addr) {
                    Ok(m) => return Some(m),
                    Err(e) => why(Some(e)),
                },
            }
        };
        self.eswitch_record(at, p.addr, (None, want, None), Status::Failed, Some(error));
        None
    }

    /// A record of an eswitch line: (before, wanted, after).
    fn eswitch_record(
        &mut self,
        at: usize,
        pf: PciAddr,
        modes: (Option<Mode>, Mode, Option<Mode>),
        status: Status,
        error: Option<String>,
    ) {
        if let Some(e) = &error {
            self.fail(&[at], e);
        }
        let (before, wanted, after) = modes;
        let v = Values::Eswitch {
            before,
            wanted,
            after,
        };
        self.record(&[at], Some(pf), None, v, status, error);
    }

    /// A record of a count entry, `after` being what it has (or would have).
    fn count_record(
        &mut self,
        e: Entry,
        after: Option<u32>,
        status: Status,
        error: Option<String>,
    ) {
        let v = Values::Count {
            before: Some(e.from),
            wanted: Some(e.to),
            after,
        };
        self.record(&[e.line], Some(e.pf), None, v, status, error);
    }

    /// The PF's eswitch line, when it has one, already as asked.
    fn eswitch_unchanged(&mut self, e: Entry, esw: EswitchLine, now: &Now) {
        if let Some((at, want)) = esw {
            let modes = (now.mode, want, now.mode);
            self.eswitch_record(at, e.pf, modes, Status::Unchanged, None);
        }
    }

    /// Already as configured.
    fn kept(&mut self, p: &Pf, e: Entry, esw: EswitchLine, now: &Now) {
        self.eswitch_unchanged(e, esw, now);
        self.count_record(e, Some(e.from), Status::Unchanged, None);
        self.say(crate::msg!(
            "{}: {}, as configured.\n",
            p.label(),
            out::vfs(e.from)
        ));
    }

    /// The change would destroy VFs in use (or VFs whose users could not
    /// be looked for): skipped, a failure of its lines, dry run or not.
    fn in_use(&mut self, p: &Pf, e: Entry, esw: EswitchLine, now: &Now, plan: &Plan) {
        let label = p.label();
        let Plan::InUse { change, users, .. } = plan else {
            return;
        };
        let msg = crate::msg!(
            "skipped: {} (stop what uses them, or vfnet set --force)",
            plan.refusal().unwrap_or_default()
        );
        if self.opts.dry_run {
            for l in plan.dry_run(&label, now) {
                self.say(l + "\n");
            }
            self.say(crate::msg!("{}: apply would skip it: VFs in use.\n", label));
        } else {
            for l in crate::guard::lines(&label, users) {
                out::error(l);
            }
        }
        if let Some((at, want)) = esw {
            let (status, error) = match change.mode {
                Some(_) => (
                    Status::InUse,
                    Some(crate::msg!("{}: eswitch {}: {}", label, want.name(), msg)),
                ),
                None => (Status::Unchanged, None),
            };
            self.eswitch_record(at, e.pf, (now.mode, want, now.mode), status, error);
        }
        if e.from == e.to {
            self.count_record(e, Some(e.from), Status::Unchanged, None);
        } else {
            self.fail(&[e.line], &msg);
            self.count_record(e, Some(e.from), Status::InUse, Some(msg));
        }
    }

    /// A dry run's change: said, and recorded as it would be after.
    fn would(&mut self, p: &Pf, e: Entry, esw: EswitchLine, now: &Now, plan: &Plan, c: &Change) {
        for l in plan.dry_run(&p.label(), now) {
            self.say(l + "\n");
        }
        if let Some((at, want)) = esw {
            let status = if c.mode.is_some() {
                Status::Changed
            } else {
                Status::Unchanged
            };
            self.eswitch_record(at, e.pf, (now.mode, want, Some(want)), status, None);
        }
        let status = if e.from == e.to {
            Status::Unchanged
        } else {
            Status::Changed
        };
        self.count_record(e, Some(e.to), status, None);
    }

    /// Carries out a change: the eswitch mode (through 0 VFs) and the
    /// count. A mode the driver refuses is one failed line; its VFs were
    /// put back, and the count goes ahead.
    #[allow(clippy::too_many_arguments)]
    fn change(
        &mut self,
        s: &System,
        p: &Pf,
        e: Entry,
        esw: EswitchLine,
        now: &Now,
        c: &Change,
        devlink: &mut DevlinkCell,
    ) {
        let label = p.label();
        let dev = s
            .sys()
            .and_then(|sys| crate::device::resolve(sys, &DevKey::Pci(e.pf)));
        let dev = match dev {
            Ok(d) => d,
            Err(err) => {
                self.fail(&[e.line], &err);
                self.count_record(e, Some(e.from), Status::Failed, Some(err.to_string()));
                return;
            }
        };
        if let (Some((at, want)), Some((from, _))) = (esw, c.mode) {
            let dl = devlink.as_mut().and_then(|d| d.as_mut().ok());
            match self.switch(&dev, dl, from, e.to, want) {
                Ok(ch) => {
                    self.say(crate::msg!(
                        "{}: eswitch {} -> {}, {} -> {} VFs in {}.\n",
                        label,
                        crate::eswitch::mode_name(from),
                        want.name(),
                        e.from,
                        e.to,
                        secs(ch.took)
                    ));
                    self.eswitch_record(at, e.pf, (from, want, Some(want)), Status::Changed, None);
                    let status = if e.from == e.to {
                        Status::Unchanged
                    } else {
                        Status::Changed
                    };
                    self.count_record(e, Some(ch.to), status, None);
                    return;
                }
                Err(err) => self.eswitch_record(
                    at,
                    e.pf,
                    (from, want, from),
                    Status::Failed,
                    Some(err.to_string()),
                ),
            }
        } else {
            self.eswitch_unchanged(e, esw, now);
        }
        self.count(&dev, e);
    }

    /// The eswitch mode change, through 0 VFs (`eswitch::change`).
    fn switch(
        &self,
        dev: &PfDev,
        dl: Option<&mut Devlink>,
        from: Option<Mode>,
        to: u32,
        want: Mode,
    ) -> Result<crate::eswitch::Changed> {
        let dl =
            dl.ok_or_else(|| Error::fail(crate::msg!("{}: no devlink socket", dev.label())))?;
        let mut set_mode = |m| dl.set_mode(dev.addr, m);
        crate::eswitch::change(dev, &mut set_mode, from, to, want, &self.budget)
    }

    /// The count alone, as `set` makes it.
    fn count(&mut self, dev: &PfDev, e: Entry) {
        if e.from == e.to {
            self.count_record(e, Some(e.from), Status::Unchanged, None);
            self.say(crate::msg!(
                "{}: {}, as configured.\n",
                dev.label(),
                out::vfs(e.from)
            ));
            return;
        }
        match sriov::set(dev, e.to, &self.budget) {
            Ok(done) => {
                self.say(crate::msg!(
                    "{}: {} -> {} VFs in {}.\n",
                    dev.label(),
                    done.from,
                    done.to,
                    secs(done.took)
                ));
                let e = Entry {
                    from: done.from,
                    ..e
                };
                self.count_record(e, Some(done.to), Status::Changed, None);
            }
            Err(err) => {
                self.fail(&[e.line], &err);
                // Where it stopped, as the kernel says now.
                let after = sriov::read(dev, "sriov_numvfs").ok();
                self.count_record(e, after, Status::Failed, Some(err.to_string()));
            }
        }
    }
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
