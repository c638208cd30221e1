//! apply's VF-settings phase, once the counts are right: each VF of the
//! plan ([`super::plan::plan_vfs`]) brought to what its lines ask through
//! the VF engine, or (dry run) what would change, one record each.

use super::exec::Run;
use super::plan::{self, Action, VfPlan};
use super::report::{Record, Status, Values};
use crate::config::Line;
use crate::device::PfDev;
use crate::error::{Error, Result};
use crate::inventory::Inventory;
use crate::pci::{DevKey, PciAddr};
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
        for (pf, group) in plan::group_by_pf(&plans) {
            self.vf_group(s, &mut session, pf, group);
        }
        Ok(())
    }

    /// The VFs of one PF: its view read once, each VF set (or said), and
    /// each record's after read once more at the end.
    fn vf_group(
        &mut self,
        s: &System,
        session: &mut crate::engine::Session,
        pf: PciAddr,
        group: &[VfPlan],
    ) {
        let mut lines: Vec<usize> = group.iter().flat_map(|p| p.lines.iter().copied()).collect();
        lines.sort_unstable();
        lines.dedup();
        let dev = s
            .sys()
            .and_then(|sys| crate::device::resolve(sys, &DevKey::Pci(pf)));
        let dev = match dev {
            Ok(d) => d,
            Err(e) => return self.group_failed(&lines, group, &e),
        };
        let link = match group.iter().any(|p| p.want.needs_netlink()) {
            false => None,
            // Without the kernel's view (under --root, a PF without a
            // netdev) the run cannot set them: a dry run says so too.
            true => match session.link(&dev) {
                Ok(l) => Some(l),
                Err(e) => return self.group_failed(&lines, group, &e),
            },
        };
        let first = self.records.len();
        for p in group {
            let have = link
                .as_ref()
                .and_then(|l| l.vfs.iter().find(|v| v.vf == p.vf));
            let before = have.map(|h| p.want.current(h));
            if self.opts.dry_run {
                let pf_mac = link.as_ref().and_then(|l| l.perm_address.or(l.address));
                self.vf_would(&dev, p, have, before, pf_mac);
            } else if self.budget.remaining().is_zero() {
                let msg = format!("{} VF {}: {}", dev.label(), p.vf, self.spent());
                self.fail(&p.lines, &msg);
                let v = vf_values(p, Vec::new(), before.clone(), before);
                self.record(
                    &p.lines,
                    Some(pf),
                    Some(p.vf),
                    v,
                    Status::Skipped,
                    Some(msg),
                );
            } else {
                let done = crate::engine::configure(session, &dev, link.as_ref(), p.vf, &p.want);
                self.vf_done(&dev, p, before, done);
            }
        }
        // What the kernel reports now, once per PF: each record's after.
        if !self.opts.dry_run && link.is_some() && self.records.len() > first {
            if let Ok(now) = session.link(&dev) {
                fill_after(&mut self.records[first..], group, &now);
            }
        }
    }

    /// A dry run's VF: the changes from what the kernel reports (once),
    /// else everything asked for.
    fn vf_would(
        &mut self,
        dev: &PfDev,
        p: &VfPlan,
        have: Option<&crate::netlink::VfInfo>,
        before: Option<Vec<String>>,
        pf_mac: Option<crate::mac::Mac>,
    ) {
        let sets = have.map(|h| (h, p.want.changes(h, pf_mac)));
        let changes = match &sets {
            Some((_, s)) => crate::engine::summary(s, &p.want),
            None => plan::wanted(p),
        };
        let after = sets.as_ref().map(|(h, s)| plan::planned(h, s, &p.want));
        let what = match changes.is_empty() {
            true => "nothing".to_string(),
            false => changes.join("; "),
        };
        self.say(format!("{} VF {}: would set {what}.\n", dev.label(), p.vf));
        let status = if changes.is_empty() {
            Status::Unchanged
        } else {
            Status::Changed
        };
        let v = vf_values(p, changes, before, after);
        self.record(&p.lines, Some(p.pf), Some(p.vf), v, status, None);
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
