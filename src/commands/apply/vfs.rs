//! apply's VF-settings phase, once the counts are right: each VF of the
//! plan ([`super::plan::plan_vfs`]) brought to what its lines ask through
//! the VF engine, or (dry run) what would change, one record each.

use super::exec::Run;
use super::plan::{self, Action, VfPlan};
use crate::config::Line;
use crate::device::PfDev;
use crate::error::{Error, Result};
use crate::inventory::Inventory;
use crate::pci::{DevKey, PciAddr};
use crate::report::{Record, Status, Values};
use crate::system::System;

impl Run<'_> {
    /// The VF-settings phase, once the counts are right: each VF brought
    /// to what its lines ask, or (dry run) what would change.
    pub(super) fn vf_settings(
        &mut self,
        s: &System,
        inv: &Inventory,
        actions: &[Action],
    ) -> Result<()> {
        let dry_run = self.opts.dry_run;
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
        let (plans, errors) = plan::plan_vfs(self.cfg, inv, &will);
        for (line, error) in &errors {
            self.fail(&[*line], error);
            let device = match &self.cfg.lines[line - 1] {
                Line::Vf { key, .. } => plan::find(inv, key),
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
        let mut ready = Vec::new();
        for (pf, group) in plan::group_by_pf(&plans) {
            ready.extend(self.vf_prepare(s, &mut session, pf, group));
        }
        if self.opts.dry_run {
            for g in &ready {
                for p in g.group {
                    let have = g.have(p);
                    let before = have.map(|h| p.want.current(h));
                    let pf = g.link.as_ref().map(|l| l.ids()).unwrap_or_default();
                    self.vf_would(&g.dev, p, have, before, &pf);
                }
            }
            return Ok(());
        }
        let outcomes = self.vf_run(s, &ready);
        for (g, outs) in ready.iter().zip(outcomes) {
            self.vf_record(&mut session, g, outs);
        }
        if let Some(sig) = crate::signals::stopping() {
            crate::out::error(format_args!(
                "stopped by {} while setting VFs: the lines above say what was done",
                sig.as_str()
            ));
            std::process::exit(crate::signals::exit_status(sig));
        }
        Ok(())
    }

    /// One PF's VFs, ready to set: its device and its rtnetlink view, read
    /// once; `None` (its records failed) when either cannot be had.
    fn vf_prepare<'p>(
        &mut self,
        s: &System,
        session: &mut crate::engine::Session,
        pf: PciAddr,
        group: &'p [VfPlan],
    ) -> Option<Group<'p>> {
        let mut lines: Vec<usize> = group.iter().flat_map(|p| p.lines.iter().copied()).collect();
        lines.sort_unstable();
        lines.dedup();
        let dev = s
            .sys()
            .and_then(|sys| crate::device::resolve(sys, &DevKey::Pci(pf)));
        let dev = match dev {
            Ok(d) => d,
            Err(e) => {
                self.group_failed(&lines, group, &e);
                return None;
            }
        };
        let link = match group.iter().any(|p| p.want.needs_netlink()) {
            false => None,
            // Without the kernel's view (under --root, a PF without a
            // netdev) the run cannot set them: a dry run says so too.
            true => match session.link(&dev) {
                Ok(l) => Some(l),
                Err(e) => {
                    self.group_failed(&lines, group, &e);
                    return None;
                }
            },
        };
        Some(Group {
            pf,
            dev,
            link,
            group,
        })
    }

    /// Sets every PF's VFs, the PFs at the same time (one thread each, as
    /// the counts): each PF's VFs one after another, in order. What each
    /// VF gave comes back in order, to be said and recorded here.
    fn vf_run(&self, s: &System, ready: &[Group]) -> Vec<Vec<Outcome>> {
        let root = &s.root;
        let budget = self.budget;
        let jobs: Vec<(PciAddr, Option<&crate::netlink::Link>, &[VfPlan])> = ready
            .iter()
            .map(|g| (g.pf, g.link.as_ref(), g.group))
            .collect();
        match &jobs[..] {
            [] => Vec::new(),
            [(pf, link, group)] => vec![configure_group(root, budget, *pf, *link, group)],
            _ => {
                let deferred = crate::signals::defer();
                let work = jobs
                    .iter()
                    .map(|&(pf, link, group)| {
                        Box::new(move || configure_group(root, budget, pf, link, group))
                            as Box<dyn FnOnce() -> Vec<Outcome> + Send + '_>
                    })
                    .collect();
                crate::parallel::all(work, || {
                    deferred.wait(std::time::Duration::from_millis(50));
                })
            }
        }
    }

    /// One PF's VFs set: each said and recorded, then each record's after
    /// read once more, from what the kernel reports now.
    fn vf_record(&mut self, session: &mut crate::engine::Session, g: &Group, outs: Vec<Outcome>) {
        let first = self.records.len();
        for (p, out) in g.group.iter().zip(outs) {
            let before = g.have(p).map(|h| p.want.current(h));
            match out {
                Outcome::Done(done) => self.vf_done(&g.dev, p, before, done),
                Outcome::Skipped => {
                    let msg = format!("{} VF {}: {}", g.dev.label(), p.vf, self.spent());
                    self.fail(&p.lines, &msg);
                    let v = vf_values(p, Vec::new(), before.clone(), before);
                    self.record(
                        &p.lines,
                        Some(g.pf),
                        Some(p.vf),
                        v,
                        Status::Skipped,
                        Some(msg),
                    );
                }
            }
        }
        if g.link.is_some() && self.records.len() > first {
            if let Ok(now) = session.link(&g.dev) {
                fill_after(&mut self.records[first..], g.group, &now);
            }
        }
    }

    /// A dry run's VF: the changes from what the kernel reports (once),
    /// else everything asked for; what the run would refuse (the same
    /// [`Wanted::refused`](crate::vf::Wanted::refused)) fails its lines.
    fn vf_would(
        &mut self,
        dev: &PfDev,
        p: &VfPlan,
        have: Option<&crate::netlink::VfInfo>,
        before: Option<Vec<String>>,
        pf: &crate::netlink::PfIds,
    ) {
        // As the run words them (engine::configure).
        let refused: Vec<String> = match have {
            Some(_) => p.want.refused(pf, p.vf),
            None => Vec::new(),
        };
        let refused: Vec<String> = refused
            .iter()
            .map(|why| format!("{} VF {}: {why}", dev.label(), p.vf))
            .collect();
        for e in &refused {
            self.fail(&p.lines, e);
        }
        let sets = have.map(|h| (h, p.want.changes(h, pf)));
        let changes = match &sets {
            Some((_, s)) => crate::engine::summary(s, &p.want),
            None => plan::wanted(p),
        };
        let after = sets.as_ref().map(|(h, s)| plan::planned(h, s, &p.want));
        let what = match changes.is_empty() {
            true => "nothing".to_string(),
            false => changes.join("; "),
        };
        self.say(crate::msg!(
            "{} VF {}: would set {}.\n",
            dev.label(),
            p.vf,
            what
        ));
        let status = match (refused.is_empty(), changes.is_empty()) {
            (false, _) => Status::Failed,
            (true, true) => Status::Unchanged,
            (true, false) => Status::Changed,
        };
        let error = (!refused.is_empty()).then(|| refused.join("; "));
        let v = vf_values(p, changes, before, after);
        self.record(&p.lines, Some(p.pf), Some(p.vf), v, status, error);
    }

    /// A VF configured: said, its errors failures of its lines, recorded.
    fn vf_done(
        &mut self,
        dev: &PfDev,
        p: &VfPlan,
        before: Option<Vec<String>>,
        done: crate::engine::Done,
    ) {
        self.say(crate::engine::report(dev, p.vf, &done));
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
        let v = vf_values(p, done.changes, before, None);
        self.record(&p.lines, Some(p.pf), Some(p.vf), v, status, error);
    }

    /// Every VF of `group` failed with `e`.
    fn group_failed(&mut self, lines: &[usize], group: &[VfPlan], e: &Error) {
        self.fail(lines, e);
        for p in group {
            let v = vf_values(p, Vec::new(), None, None);
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

/// The values of a VF's record.
fn vf_values(
    p: &VfPlan,
    changes: Vec<String>,
    before: Option<Vec<String>>,
    after: Option<Vec<String>>,
) -> Values {
    Values::Vf {
        wanted: plan::wanted(p),
        changes,
        before,
        after,
    }
}

/// Each record's after, from what the kernel reports now.
fn fill_after(records: &mut [Record], group: &[VfPlan], now: &crate::netlink::Link) {
    for r in records {
        let have = now.vfs.iter().find(|v| Some(v.vf) == r.vf);
        let plan = group.iter().find(|p| Some(p.vf) == r.vf);
        if let (Values::Vf { after, .. }, Some(h), Some(p)) = (&mut r.values, have, plan) {
            if after.is_none() {
                *after = Some(p.want.current(h));
            }
        }
    }
}

/// One PF's VFs to set, with what was read of it first.
struct Group<'p> {
    pf: PciAddr,
    dev: PfDev,
    /// The PF's rtnetlink view, when a VF's settings need it.
    link: Option<crate::netlink::Link>,
    group: &'p [VfPlan],
}

impl Group<'_> {
    /// What the kernel reported of VF `p` before anything was set.
    fn have(&self, p: &VfPlan) -> Option<&crate::netlink::VfInfo> {
        self.link
            .as_ref()
            .and_then(|l| l.vfs.iter().find(|v| v.vf == p.vf))
    }
}

/// What setting one VF gave.
enum Outcome {
    Done(crate::engine::Done),
    /// The budget was spent before its turn.
    Skipped,
}

/// Sets one PF's VFs in order, on this thread: its own view of the tree,
/// its own rtnetlink socket, the run's budget.
fn configure_group(
    root: &crate::sysfs::Root,
    budget: crate::wait::Deadline,
    pf: PciAddr,
    link: Option<&crate::netlink::Link>,
    group: &[VfPlan],
) -> Vec<Outcome> {
    let failed = |e: Error| {
        let mut done = crate::engine::Done::default();
        done.errors.push(e);
        Outcome::Done(done)
    };
    let opened = root
        .sys()
        .map_err(|e| Error::io("open", &root.join("/sys"), e))
        .and_then(|sys| {
            let dev = crate::device::resolve(&sys, &DevKey::Pci(pf))?;
            Ok((
                crate::engine::Session::open(&sys, root.is_live(), budget)?,
                dev,
            ))
        });
    let (mut session, dev) = match opened {
        Ok(v) => v,
        Err(e) => return group.iter().map(|_| failed(e.clone())).collect(),
    };
    group
        .iter()
        .map(|p| match budget.remaining().is_zero() {
            true => Outcome::Skipped,
            false => Outcome::Done(crate::engine::configure(
                &mut session,
                &dev,
                link,
                p.vf,
                &p.want,
            )),
        })
        .collect()
}
