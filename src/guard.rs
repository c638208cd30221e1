//! The guard: changing a PF's VF count destroys every VF (the kernel goes
//! through 0), and rebinding a VF takes it from whoever holds it. Before
//! either, the VFs in use are named (`usage`), and the change is refused
//! unless forced. At boot nothing is in use, so nothing is refused.

use crate::error::Error;
use crate::inventory::Inventory;
use crate::inventory::UsedBy;
use crate::pci::PciAddr;
use crate::system::System;

/// A VF someone uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InUse {
    /// The VF's index.
    pub index: Option<u32>,
    /// The VF's address.
    pub addr: PciAddr,
    /// Who uses it.
    pub by: UsedBy,
}

/// Who uses the VFs a change would destroy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Users {
    /// Looked for: these (none, when empty).
    Found(Vec<InUse>),
    /// Could not be looked for, and why: not taken for none.
    Unknown(String),
}

/// Who uses the VFs of the PF at `pf`, by VF #. A search that could not
/// run, or could not read every process, is [`Users::Unknown`]: "could not
/// tell" is never "free".
pub fn users(s: &System, pf: PciAddr) -> Users {
    match crate::survey::survey(s, &crate::survey::Want::users_of(pf)) {
        Ok(inv) => of(&inv, pf),
        Err(e) => Users::Unknown(e.to_string()),
    }
}

/// [`users`] of the PF at `pf`, from an inventory surveyed with its users
/// (one survey serves every PF of a run). Pure.
pub fn of(inv: &Inventory, pf: PciAddr) -> Users {
    if inv.usage_incomplete {
        return Users::Unknown(crate::msg!(
            "the processes' open files cannot all be read (run vfnet as root)"
        ));
    }
    Users::Found(
        inv.vfs()
            .filter(|(p, _)| p.addr == pf)
            .filter_map(|(_, v)| {
                Some(InUse {
                    index: v.index,
                    addr: v.addr,
                    by: v.used_by.clone()?,
                })
            })
            .collect(),
    )
}

/// One line per VF in use: `eth0 (0000:01:00.0) VF 1 (0000:01:10.2): used
/// by vm:win11 (pid 2211)`.
pub fn lines(label: &str, users: &[InUse]) -> Vec<String> {
    users
        .iter()
        .map(|u| {
            crate::msg!(
                "{} VF {} ({}): used by {}",
                label,
                u.index.map_or("?".to_string(), |i| i.to_string()),
                u.addr,
                u.by
            )
        })
        .collect()
}

/// Refuses `what` (a sentence: "changing the VF count destroys every VF"):
/// prints one line per VF in use on stderr and returns the error that ends
/// the command. Nothing was changed.
pub fn refuse(label: &str, users: &[InUse], what: &str) -> Error {
    for l in lines(label, users) {
        crate::out::error(l);
    }
    Error::fail(crate::msg!(
        "{}: {} in use: {}; nothing was changed (stop what uses {}, or use --force)",
        label,
        crate::out::vfs(users.len() as u32),
        what,
        if users.len() == 1 { "it" } else { "them" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Kind, Pf, Vf};

    fn vf(addr: &str, index: u32, by: Option<UsedBy>) -> Vf {
        Vf {
            index: Some(index),
            used_by: by,
            ..Vf::new(PciAddr::parse(addr).unwrap())
        }
    }

    fn pf(addr: &str, vfs: Vec<Vf>) -> Pf {
        Pf {
            sriov: true,
            total_vfs: Some(7),
            num_vfs: Some(vfs.len() as u32),
            vfs,
            ..Pf::new(PciAddr::parse(addr).unwrap())
        }
    }

    #[test]
    fn one_survey_gives_each_pf_its_own_users_and_a_partial_one_none() {
        let vm = UsedBy {
            kind: Kind::Vm,
            name: Some("a".into()),
            pid: Some(1),
        };
        let mut inv = Inventory {
            pfs: vec![
                pf("0000:01:00.0", vec![vf("0000:01:10.0", 0, None)]),
                pf(
                    "0000:01:00.1",
                    vec![vf("0000:01:10.1", 0, Some(vm.clone()))],
                ),
            ],
            ..Inventory::default()
        };
        let a = PciAddr::parse("0000:01:00.0").unwrap();
        let b = PciAddr::parse("0000:01:00.1").unwrap();
        assert_eq!(of(&inv, a), Users::Found(Vec::new()));
        let Users::Found(found) = of(&inv, b) else {
            panic!()
        };
        assert_eq!(found.iter().map(|u| u.by.clone()).collect::<Vec<_>>(), [vm]);
        inv.usage_incomplete = true;
        assert!(
            matches!(of(&inv, a), Users::Unknown(_)),
            "could not tell is never free"
        );
    }

    #[test]
    fn each_vf_in_use_is_one_line_naming_its_user() {
        let u = InUse {
            index: Some(1),
            addr: PciAddr::parse("0000:01:10.2").unwrap(),
            by: UsedBy {
                kind: Kind::Vm,
                name: Some("win11".into()),
                pid: Some(2211),
            },
        };
        assert_eq!(
            lines("eth0 (0000:01:00.0)", std::slice::from_ref(&u)),
            ["eth0 (0000:01:00.0) VF 1 (0000:01:10.2): used by vm:win11 (pid 2211)"]
        );
        let e = refuse(
            "eth0 (0000:01:00.0)",
            &[u],
            "changing the VF count destroys every VF",
        );
        assert_eq!(
            e.to_string(),
            "eth0 (0000:01:00.0): 1 VF in use: changing the VF count destroys every VF; nothing was changed \
             (stop what uses it, or use --force)"
        );
    }
}
