//! Changing one PF: its VF count and its eswitch mode, decided purely.
//!
//! `set` and `apply` both ask [`plan`] what to do with a PF, and both a dry
//! run and the run act on the same answer: a dry run prints it
//! ([`Plan::dry_run`]) and exits as the run would, the run carries it out
//! (`sriov::set`, `eswitch::change`). So the two never disagree.
//!
//! The order: is there anything to change; is the count one the device
//! takes; does the change destroy VFs (a nonzero count goes through 0, and
//! drivers change the eswitch mode only with none); if so, who uses them
//! ([`Users`], looked for only then). VFs in use, or users that could not be
//! looked for, refuse the change unless forced.

use crate::devlink::Mode;
use crate::eswitch::mode_name;
use crate::guard::{InUse, Users};

/// The PF as it is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// `sriov_numvfs`.
    pub count: u32,
    /// `sriov_totalvfs`.
    pub total: u32,
    /// Its eswitch mode as devlink reports it (`None`: unknown or none);
    /// read only when a mode is asked for.
    pub mode: Option<Mode>,
    /// Its driver creates VFs only on an up PF and it is down
    /// (`crate::drivers::needs_up`): `Some(true)` when vfnet can bring it
    /// up (live), `Some(false)` when it cannot (under --root).
    pub down: Option<bool>,
}

/// What is asked of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ask {
    /// The VF count.
    pub count: u32,
    /// The eswitch mode, when one is asked for.
    pub mode: Option<Mode>,
    /// `--force`: destroy VFs in use all the same.
    pub force: bool,
    /// The change recreates every VF even at the same count: a
    /// ConnectX-3's, made by reloading mlx4_core (its ports' split may
    /// change at the same total).
    pub reload: bool,
}

/// What to do with the PF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// It already is as asked.
    Keep,
    /// The count is not one the device takes.
    Invalid(crate::sriov::PlanError),
    /// The driver needs the PF up, and it cannot be brought up here.
    Down,
    /// Refused: the change destroys VFs in use (each named), or VFs whose
    /// users could not be looked for (`why`).
    InUse {
        /// The change refused.
        change: Change,
        /// The VFs in use.
        users: Vec<InUse>,
        /// Why users could not be looked for, when they could not.
        unknown: Option<String>,
    },
    /// Change it.
    Change(Change),
}

/// A change to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The count now.
    pub from: u32,
    /// The count wanted.
    pub to: u32,
    /// The eswitch mode change (from, to), when the mode changes.
    pub mode: Option<(Option<Mode>, Mode)>,
    /// The VFs destroyed on the way (forced: the users of some of them).
    pub destroys: u32,
    /// The VFs in use that `--force` destroys.
    pub forced: Vec<InUse>,
    /// The PF is brought up first (its driver needs it up).
    pub bring_up: bool,
}

/// Whether the mode changes.
fn mode_change(now: &Now, ask: &Ask) -> Option<(Option<Mode>, Mode)> {
    ask.mode
        .filter(|want| now.mode != Some(*want))
        .map(|want| (now.mode, want))
}

/// Whether the change destroys the VFs there are: a nonzero count that
/// changes goes through 0, and a mode changes only with no VFs. Users are
/// looked for only then.
pub fn destroys(now: &Now, ask: &Ask) -> bool {
    now.count > 0 && (ask.reload || now.count != ask.count || mode_change(now, ask).is_some())
}

/// Decides what to do. `users` is who uses the VFs (asked only when
/// [`destroys`] says so; `None` otherwise).
pub fn plan(now: &Now, ask: &Ask, users: Option<&Users>) -> Plan {
    let mode = mode_change(now, ask);
    if now.count == ask.count && mode.is_none() && !ask.reload {
        return Plan::Keep;
    }
    if let Err(e) = crate::sriov::check(ask.count, now.total) {
        return Plan::Invalid(e);
    }
    let bring_up = ask.count > 0 && now.down.is_some();
    if bring_up && now.down == Some(false) {
        return Plan::Down;
    }
    let destroys = if destroys(now, ask) { now.count } else { 0 };
    let (users, unknown) = match users {
        Some(Users::Found(u)) if destroys > 0 => (u.clone(), None),
        Some(Users::Unknown(why)) if destroys > 0 => (Vec::new(), Some(why.clone())),
        _ => (Vec::new(), None),
    };
    let change = Change {
        from: now.count,
        to: ask.count,
        mode,
        destroys,
        forced: Vec::new(),
        bring_up,
    };
    if (!users.is_empty() || unknown.is_some()) && !ask.force {
        return Plan::InUse {
            change,
            users,
            unknown,
        };
    }
    Plan::Change(Change {
        forced: users,
        ..change
    })
}

impl Plan {
    /// What a dry run says of it, for the PF named `label`, one line each:
    /// the change and who uses the VFs it destroys (the command adds how
    /// it refuses them).
    pub fn dry_run(&self, label: &str, now: &Now) -> Vec<String> {
        match self {
            Plan::Keep => vec![crate::msg!(
                "{} has {}: nothing would change.",
                label,
                crate::out::vfs(now.count)
            )],
            Plan::Invalid(e) => vec![crate::sriov::plan_error(label, *e).to_string()],
            Plan::Down => vec![crate::msg!(
                "{} is down, and {}: under --root it cannot be brought up",
                label,
                crate::drivers::NEEDS_UP
            )],
            Plan::InUse {
                change,
                users,
                unknown,
            } => {
                let mut lines = vec![change.describe(label)];
                lines.extend(crate::guard::lines(label, users));
                if let Some(why) = unknown {
                    lines.push(crate::msg!(
                        "{}: cannot tell who uses its VFs: {}",
                        label,
                        why
                    ));
                }
                lines
            }
            Plan::Change(c) => {
                let mut lines = vec![c.describe(label)];
                if c.bring_up {
                    lines.insert(
                        0,
                        crate::msg!(
                            "{}: would bring it up first: {}",
                            label,
                            crate::drivers::NEEDS_UP
                        ),
                    );
                }
                for l in crate::guard::lines(label, &c.forced) {
                    lines.push(crate::msg!("--force: would destroy {}", l));
                }
                lines
            }
        }
    }

    /// Why the change is refused, for [`Plan::InUse`]: `N VFs in use:
    /// changing the VF count destroys every VF (the kernel goes through
    /// 0)`, or that their users could not be looked for.
    pub fn refusal(&self) -> Option<String> {
        let Plan::InUse {
            change,
            users,
            unknown,
        } = self
        else {
            return None;
        };
        let what = match change.mode {
            Some(_) => {
                "changing the eswitch mode destroys every VF (drivers change it only with 0 VFs)"
            }
            None => "changing the VF count destroys every VF (the kernel goes through 0)",
        };
        Some(match unknown {
            Some(why) if users.is_empty() => {
                crate::msg!(
                    "cannot tell whether its VFs are in use ({}), and {}",
                    why,
                    what
                )
            }
            _ => crate::msg!("{} in use: {}", crate::out::vfs(users.len() as u32), what),
        })
    }
}

impl Change {
    /// `eth0: would change eswitch legacy -> switchdev with 0 VFs, then 3
    /// -> 3 VFs: VFs 0-2 are destroyed.`
    pub fn describe(&self, label: &str) -> String {
        let destroyed = match self.destroys {
            0 => String::new(),
            1 => crate::msg!(": VF 0 is destroyed"),
            n => crate::msg!(": VFs 0-{} are destroyed", n - 1),
        };
        match self.mode {
            Some((from, to)) => crate::msg!(
                "{}: would change eswitch {} -> {} with 0 VFs, then {} -> {} VFs{}.",
                label,
                mode_name(from),
                to.name(),
                self.from,
                self.to,
                destroyed
            ),
            None if self.destroys > 0 => crate::msg!(
                "{}: would change {} -> {} VFs, through 0{}.",
                label,
                self.from,
                self.to,
                destroyed
            ),
            None => crate::msg!("{}: would change {} -> {} VFs.", label, self.from, self.to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Kind, UsedBy};
    use crate::pci::PciAddr;

    const L: &str = "eth0 (0000:01:00.0)";

    fn now(count: u32) -> Now {
        Now {
            count,
            total: 7,
            mode: None,
            down: None,
        }
    }

    fn ask(count: u32) -> Ask {
        Ask {
            count,
            mode: None,
            force: false,
            reload: false,
        }
    }

    fn vm(index: u32) -> InUse {
        InUse {
            index: Some(index),
            addr: PciAddr::parse(&format!("0000:01:10.{index}")).unwrap(),
            by: UsedBy {
                kind: Kind::Vm,
                name: Some("win11".into()),
                pid: Some(2211),
            },
        }
    }

    #[test]
    fn the_same_count_and_mode_is_nothing_to_do() {
        assert_eq!(plan(&now(3), &ask(3), None), Plan::Keep);
        let n = Now {
            mode: Some(Mode::Legacy),
            ..now(3)
        };
        let a = Ask {
            mode: Some(Mode::Legacy),
            ..ask(3)
        };
        assert!(!destroys(&n, &a));
        assert_eq!(plan(&n, &a, None), Plan::Keep);
        assert_eq!(
            plan(&n, &a, None).dry_run(L, &n),
            [format!("{L} has 3 VFs: nothing would change.")]
        );
    }

    #[test]
    fn from_zero_nothing_is_destroyed_and_users_are_not_asked() {
        assert!(!destroys(&now(0), &ask(4)));
        let p = plan(&now(0), &ask(4), None);
        let Plan::Change(c) = &p else { panic!("{p:?}") };
        assert_eq!((c.from, c.to, c.destroys), (0, 4, 0));
        assert_eq!(
            p.dry_run(L, &now(0)),
            [format!("{L}: would change 0 -> 4 VFs.")]
        );
    }

    #[test]
    fn a_count_over_the_total_is_refused_before_anything() {
        let p = plan(&now(0), &ask(8), None);
        assert_eq!(
            p,
            Plan::Invalid(crate::sriov::PlanError::OverTotal { want: 8, total: 7 })
        );
        assert_eq!(
            p.dry_run(L, &now(0)),
            [format!(
                "{L}: 8 VFs is more than the device allows (at most 7)"
            )]
        );
    }

    #[test]
    fn a_nonzero_change_destroys_every_vf_and_vfs_in_use_refuse_it() {
        assert!(destroys(&now(3), &ask(2)));
        let free = plan(&now(3), &ask(2), Some(&Users::Found(Vec::new())));
        let Plan::Change(c) = &free else {
            panic!("{free:?}")
        };
        assert_eq!(c.destroys, 3);
        assert_eq!(
            free.dry_run(L, &now(3)),
            [format!(
                "{L}: would change 3 -> 2 VFs, through 0: VFs 0-2 are destroyed."
            )]
        );
        let held = plan(&now(3), &ask(2), Some(&Users::Found(vec![vm(1)])));
        assert!(matches!(&held, Plan::InUse { users, unknown: None, .. } if users == &[vm(1)]));
        assert_eq!(
            held.dry_run(L, &now(3)),
            [
                format!("{L}: would change 3 -> 2 VFs, through 0: VFs 0-2 are destroyed."),
                format!("{L} VF 1 (0000:01:10.1): used by vm:win11 (pid 2211)"),
            ]
        );
        assert_eq!(
            held.refusal().unwrap(),
            "1 VF in use: changing the VF count destroys every VF (the kernel goes through 0)"
        );
    }

    #[test]
    fn users_that_cannot_be_looked_for_are_not_taken_for_none() {
        let p = plan(&now(3), &ask(0), Some(&Users::Unknown("no /proc".into())));
        assert!(matches!(&p, Plan::InUse { users, unknown: Some(_), .. } if users.is_empty()));
        let why = p.refusal().unwrap();
        assert!(
            why.starts_with("cannot tell whether its VFs are in use (no /proc)"),
            "{why}"
        );
    }

    #[test]
    fn force_destroys_them_and_says_so() {
        let a = Ask {
            force: true,
            ..ask(0)
        };
        let p = plan(&now(3), &a, Some(&Users::Found(vec![vm(1)])));
        let Plan::Change(c) = &p else { panic!("{p:?}") };
        assert_eq!(c.forced, [vm(1)]);
        let lines = p.dry_run(L, &now(3));
        assert_eq!(lines.len(), 2);
        assert!(lines[1].starts_with("--force: would destroy "), "{lines:?}");
        let p = plan(&now(3), &a, Some(&Users::Unknown("why".into())));
        assert!(matches!(p, Plan::Change(_)));
    }

    #[test]
    fn a_mode_change_goes_through_zero_and_counts_as_destroying() {
        let n = Now {
            mode: Some(Mode::Legacy),
            ..now(3)
        };
        let a = Ask {
            mode: Some(Mode::Switchdev),
            ..ask(3)
        };
        assert!(destroys(&n, &a));
        let held = plan(&n, &a, Some(&Users::Found(vec![vm(0)])));
        assert!(
            held.refusal()
                .unwrap()
                .contains("changing the eswitch mode destroys every VF")
        );
        let p = plan(&n, &a, Some(&Users::Found(Vec::new())));
        let Plan::Change(c) = &p else { panic!("{p:?}") };
        assert_eq!(c.mode, Some((Some(Mode::Legacy), Mode::Switchdev)));
        assert_eq!(
            p.dry_run(L, &n),
            [format!(
                "{L}: would change eswitch legacy -> switchdev with 0 VFs, then 3 -> 3 VFs: VFs 0-2 are destroyed."
            )]
        );
        // A reload (a ConnectX-3) recreates them even at the same count.
        let r = Ask {
            reload: true,
            ..ask(3)
        };
        assert!(destroys(&now(3), &r));
        assert!(matches!(
            plan(&now(3), &r, Some(&Users::Found(vec![vm(0)]))),
            Plan::InUse { .. }
        ));
        // A bnxt_en PF that is down: brought up first live, refused under --root.
        let down = Now {
            down: Some(true),
            ..now(0)
        };
        let Plan::Change(c) = plan(&down, &ask(2), None) else {
            panic!()
        };
        assert!(c.bring_up);
        assert!(
            plan(&down, &ask(2), None).dry_run(L, &down)[0].contains("would bring it up first")
        );
        assert_eq!(
            plan(
                &Now {
                    down: Some(false),
                    ..now(0)
                },
                &ask(2),
                None
            ),
            Plan::Down
        );
        // From no VFs the mode changes first and nothing is destroyed.
        let p = plan(&Now { count: 0, ..n }, &a, None);
        let Plan::Change(c) = &p else { panic!("{p:?}") };
        assert_eq!((c.destroys, c.mode.is_some()), (0, true));
    }
}
