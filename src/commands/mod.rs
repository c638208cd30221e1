//! One file per command: its usage text (which is its help), its argument
//! parser, and its `run`.

pub mod apply;
pub mod capture;
pub mod doctor;
pub mod install;
pub mod list;
pub mod persist;
pub mod set;
pub mod vf;

use crate::pci::{self, Inventory};
use crate::sysfs::{Dir, Root};

/// The inventory with descriptions from pci.ids, and VF representors on
/// their VFs rather than among their PF's interfaces.
pub fn inventory(root: &Root, sys: &Dir, all: bool) -> Inventory {
    let mut inv = pci::scan(sys, all);
    crate::pciids::fill(root, &mut inv.pfs);
    crate::eswitch::representors(sys, &mut inv);
    inv
}
