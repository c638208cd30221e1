//! apply's last phase: a one-shot bridge FDB sync (`crate::fdbsync`) for
//! each PF whose config says `KEY.fdb_sync=yes`, once its VFs and their
//! settings are in place; one line and one record each. The `vfnet fdb
//! --watch` service keeps them in step afterwards.

use super::exec::Run;
use super::plan::Action;
use crate::config::{Flag, Line};
use crate::fdbsync::{Macs, Outcome, Refused, Target};
use crate::inventory::{Inventory, Pf};
use crate::netlink::Socket;
use crate::pci::DevKey;
use crate::report::{Status, Values};
use crate::system::System;

impl Run<'_> {
    /// Syncs the PFs with `fdb_sync=yes` (the last line for a PF wins).
    /// A dry run counts the VFs the count phase would give (`actions`).
    #[inline(never)]
    pub(super) fn fdb_sync(&mut self, s: &System, inv: &Inventory, actions: &[Action]) {
        let flagged = self.cfg.flagged(Flag::FdbSync);
        let lines: Vec<(usize, &DevKey)> = self
            .cfg
            .lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| match l {
                Line::Flag {
                    key,
                    flag: Flag::FdbSync,
                    on: true,
                    ..
                } if flagged.contains(&key) => Some((i + 1, key)),
                _ => None,
            })
            .collect();
        let why = match s.bridges() {
            Some(Ok(mut route)) => {
                for (line, key) in lines {
                    self.fdb_line(s, &mut route, inv, actions, line, key);
                }
                return;
            }
            Some(Err(e)) => crate::msg!("cannot open rtnetlink: {}", crate::error::strerror(e)),
            // Under --root there are no bridges to read: the line is for
            // the host the tree becomes.
            None => String::new(),
        };
        for (line, key) in lines {
            let pf = inv.pf_by_key(key).map(|i| inv.pfs[i].addr);
            if why.is_empty() {
                let skip = "fdb_sync: no running kernel's bridges under --root";
                self.record(
                    &[line],
                    pf,
                    None,
                    Values::None,
                    Status::Skipped,
                    Some(skip.into()),
                );
            } else {
                self.fdb_failed(line, pf, &why);
            }
        }
    }

    /// A line that could not be synced at all: its record and its error.
    fn fdb_failed(&mut self, line: usize, pf: Option<crate::pci::PciAddr>, why: &str) {
        self.record(
            &[line],
            pf,
            None,
            Values::None,
            Status::Failed,
            Some(why.into()),
        );
        self.fail(&[line], &why);
    }

    /// One `fdb_sync=yes` line: its PF synced (or, dry run, planned).
    #[inline(never)]
    fn fdb_line(
        &mut self,
        s: &System,
        route: &mut Socket,
        inv: &Inventory,
        actions: &[Action],
        line: usize,
        key: &DevKey,
    ) {
        let pf = inv.pf_by_key(key).map(|i| &inv.pfs[i]);
        let target = pf
            .ok_or_else(|| super::plan::missing(key, inv))
            .and_then(|pf| {
                self.fdb_target(pf, actions).ok_or_else(|| {
                    crate::msg!(
                        "{}: fdb_sync needs the PF's network interface; it has none",
                        pf.label()
                    )
                })
            });
        let dry = self.opts.dry_run;
        let done = target.and_then(|t| {
            crate::fdbsync::sync(route, &s.root, std::slice::from_ref(&t), dry)
                .map(|mut o| o.remove(0))
                .map_err(|e| e.to_string())
        });
        let (pf, o) = match (pf, done) {
            (Some(pf), Ok(o)) => (pf, o),
            (pf, Err(e)) => {
                self.fdb_failed(line, pf.map(|p| p.addr), &e);
                return;
            }
            (None, Ok(_)) => return,
        };
        let (values, status, error) = summary(&o);
        let Values::Fdb {
            after,
            wanted,
            changes,
            ..
        } = &values
        else {
            return;
        };
        let on = match o.bridges.is_empty() {
            true => String::from("no bridge"),
            false => crate::text::quote(&o.bridges.join(", ")),
        };
        let label = pf.label();
        self.say(match changes.is_empty() {
            true => crate::msg!(
                "{}: fdb in step with {} ({} of {} MACs)\n",
                label,
                on,
                after.unwrap_or(0),
                wanted.unwrap_or(0)
            ),
            false => crate::msg!(
                "{}: fdb {} with {}: {}\n",
                label,
                if dry { "would sync" } else { "synced" },
                on,
                changes.join(", ")
            ),
        });
        match (status, &error) {
            (Status::Failed, Some(e)) => self.fail(&[line], e),
            (_, Some(e)) => crate::out::warn(format_args!("{label}: {e}")),
            _ => {}
        }
        self.record(&[line], Some(pf.addr), None, values, status, error);
    }

    /// The PF as fdbsync's target; in a dry run with the VFs the count
    /// phase would give it.
    fn fdb_target(&self, pf: &Pf, actions: &[Action]) -> Option<Target> {
        let will = actions.iter().find_map(|a| match a {
            Action::Set { pf: p, to, .. } if self.opts.dry_run && *p == pf.addr => Some(*to),
            _ => None,
        });
        Some(Target {
            pci: pf.addr,
            interface: pf.interface()?.to_string(),
            vfs: will.unwrap_or(pf.num_vfs.unwrap_or(0)),
        })
    }
}

/// A sync's record: the MACs in the table before and after of those
/// wanted, each change, the status, and what went wrong (a full filter
/// table is a warning; a refusal fails the line).
fn summary(o: &Outcome) -> (Values, Status, Option<String>) {
    let wanted = o.behind.len() as u32;
    let missing = o.did_not_fit.len() + o.failed.iter().filter(|f| f.1).count();
    let after = wanted.saturating_sub(missing as u32);
    let before = after.saturating_sub(o.plan.add.len() as u32);
    let mut changes: Vec<String> = o.plan.add.iter().map(|m| format!("add {m}")).collect();
    changes.extend(o.plan.remove.iter().map(|m| format!("remove {m}")));
    let mut why: Vec<String> = o
        .failed
        .iter()
        .map(|f| format!("cannot {}", Refused(f)))
        .collect();
    if !o.did_not_fit.is_empty() {
        why.push(crate::msg!(
            "the NIC's filter table is full: {} did not fit",
            Macs(&o.did_not_fit)
        ));
    }
    let status = match (o.failed.is_empty() && o.error.is_none(), changes.is_empty()) {
        (false, _) => Status::Failed,
        (true, true) => Status::Unchanged,
        (true, false) => Status::Changed,
    };
    let error = o
        .error
        .clone()
        .or((!why.is_empty()).then(|| why.join("; ")));
    let values = Values::Fdb {
        before: Some(before),
        wanted: Some(wanted),
        after: Some(after),
        changes,
    };
    (values, status, error)
}
