//! A PF's eswitch mode changes in the order drivers require, against the
//! fake kernel: the VFs go to 0, the mode is set with none, then the VFs
//! come back; a mode the driver refuses puts the VFs it had back. The
//! mode setter stands in for devlink (which a fake tree has not).

mod support;

use nix::errno::Errno;
use std::cell::RefCell;
use support::*;
use vfnet::devlink::Mode;
use vfnet::pci::{DevKey, PciAddr};
use vfnet::wait::Deadline;

const PF: &str = "0000:01:00.0";

fn pf(tree: &Tree) -> vfnet::device::PfDev {
    let root = vfnet::sysfs::Root::new(Some(tree.root().to_path_buf()));
    let sys = root.sys().unwrap();
    let key = DevKey::Pci(PciAddr::parse(PF).unwrap());
    vfnet::device::resolve(&sys, &key).unwrap()
}

fn writes(k: &FakeKernel) -> Vec<String> {
    k.writes().into_iter().map(|(_, v)| v).collect()
}

#[test]
fn the_mode_is_set_with_no_vfs_and_the_vfs_come_back() {
    let tree = Tree::build(&igb_qemu());
    let k = FakeKernel::start(&tree, KernelOpts::default());
    vfnet(tree.root(), &["set", "eth0", "3"]).code(0);
    let seen = RefCell::new(Vec::new());
    let mut set_mode = |m: Mode| {
        // What the driver sees when asked: no VF left.
        seen.borrow_mut().push((m, tree.vfs(PF).len()));
        Ok(())
    };
    let deadline = Deadline::after(std::time::Duration::from_secs(10));
    let dev = pf(&tree);
    let c = vfnet::eswitch::change(
        &dev,
        &mut set_mode,
        Some(Mode::Legacy),
        3,
        Mode::Switchdev,
        &deadline,
    )
    .unwrap();
    assert_eq!(seen.borrow().as_slice(), [(Mode::Switchdev, 0)]);
    assert_eq!((c.from, c.to, c.mode_from), (3, 3, Some(Mode::Legacy)));
    assert_eq!(writes(&k), ["3", "0", "3"]);
    assert_eq!(tree.vfs(PF).len(), 3);

    // From no VFs: the mode first, then the count; nothing written before.
    vfnet(tree.root(), &["set", "eth0", "0"]).code(0);
    let mut order = Vec::new();
    let mut set_mode = |m: Mode| {
        order.push(format!("mode {} with {} VFs", m.name(), tree.vfs(PF).len()));
        Ok(())
    };
    let dev = pf(&tree);
    vfnet::eswitch::change(
        &dev,
        &mut set_mode,
        Some(Mode::Switchdev),
        2,
        Mode::Legacy,
        &deadline,
    )
    .unwrap();
    assert_eq!(order, ["mode legacy with 0 VFs"]);
    assert_eq!(writes(&k), ["3", "0", "3", "0", "2"]);
    assert_eq!(k.violations(), []);
}

#[test]
fn a_refused_mode_puts_the_vfs_back_and_says_so() {
    let tree = Tree::build(&igb_qemu());
    let k = FakeKernel::start(&tree, KernelOpts::default());
    vfnet(tree.root(), &["set", "eth0", "3"]).code(0);
    let mut refuse = |_: Mode| Err(Errno::EOPNOTSUPP);
    let deadline = Deadline::after(std::time::Duration::from_secs(10));
    let dev = pf(&tree);
    let e = vfnet::eswitch::change(
        &dev,
        &mut refuse,
        Some(Mode::Legacy),
        5,
        Mode::Switchdev,
        &deadline,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "eth0 (0000:01:00.0): eswitch switchdev: its driver igb has devlink but cannot switch eswitch modes; its 3 VFs were put back"
    );
    // Never left at 0: the 3 it had, not the 5 asked for.
    assert_eq!(writes(&k), ["3", "0", "3"]);
    assert_eq!(tree.vfs(PF).len(), 3);
    assert_eq!(k.violations(), []);
}
