//! Drivers' preconditions (`src/drivers.rs`), on fake trees of the X550T
//! with its first port's driver swapped: bnxt_en creates VFs only on an up
//! PF; mlx5_core's total is the firmware's NUM_OF_VFS.

mod support;

use support::*;

const PF: &str = "0000:01:00.0";

fn with_driver(driver: &str, up: bool, total: u32) -> Tree {
    let mut m = x550t();
    let f = m.pci_fn_mut(PF);
    f.driver = Some(driver.to_string());
    for n in &mut f.netdevs {
        n.up = up;
    }
    let s = f.sriov.as_mut().unwrap();
    s.total = total;
    s.num = 0;
    Tree::build(&m)
}

#[test]
fn a_down_bnxt_pf_is_refused_under_root_alike_by_set_apply_and_their_dry_runs() {
    let tree = with_driver("bnxt_en", false, 8);
    let before = snapshot(tree.root());
    let want = "enp1s0f0 (0000:01:00.0) is down, and bnxt_en creates VFs only on an up PF (bnxt_sriov.c, bnxt_sriov_configure";
    for args in [
        &["set", "enp1s0f0", "2"][..],
        &["set", "enp1s0f0", "2", "--dry-run"],
    ] {
        vfnet(tree.root(), args).code(1).err_has(want);
    }
    std::fs::write(tree.path("etc/vfnet/vfnet.conf"), "0000:01:00.0=2\n").unwrap();
    for args in [&["apply"][..], &["apply", "--dry-run"]] {
        vfnet(tree.root(), args).code(1).err_has(want);
    }
    let changed = diff(&before, &snapshot(tree.root()));
    assert!(
        changed
            .iter()
            .all(|c| c.contains("etc/vfnet") || c.contains("run")),
        "only the config and the state lock were written: {changed:?}"
    );
    assert_eq!(tree.numvfs(PF), Some(0));
    // Up, it goes ahead.
    let tree = with_driver("bnxt_en", true, 8);
    let _k = FakeKernel::start(&tree, KernelOpts::default());
    vfnet(tree.root(), &["set", "enp1s0f0", "2"])
        .code(0)
        .out_has("0 -> 2 VFs");
}

#[test]
fn mlx5_over_its_total_names_the_firmware_setting_and_the_tool() {
    let tree = with_driver("mlx5_core", true, 8);
    let fix = "mstconfig -d 0000:01:00.0 set SRIOV_EN=1 NUM_OF_VFS=16 (mstflint), then power the host off and on";
    vfnet(tree.root(), &["set", "enp1s0f0", "16"])
        .code(1)
        .one_error("enp1s0f0 (0000:01:00.0): 16 VFs is more than the device allows (at most 8)")
        .err_has(fix);
    std::fs::write(tree.path("etc/vfnet/vfnet.conf"), "0000:01:00.0=16\n").unwrap();
    vfnet(tree.root(), &["apply", "--dry-run"])
        .code(1)
        .err_has(fix);
    // doctor says the same of the config.
    let r = vfnet(tree.root(), &["doctor", "enp1s0f0"]);
    r.code(1)
        .out_has("asks for 16 VFs, more than the device allows (8)")
        .out_has("mstconfig -d 0000:01:00.0 set SRIOV_EN=1 NUM_OF_VFS=16");
    // An Intel card is not sent to a Mellanox tool.
    let tree = with_driver("ixgbe", true, 8);
    let r = vfnet(tree.root(), &["set", "enp1s0f0", "16"]);
    r.code(1);
    assert!(!r.stderr.contains("mstconfig"), "{}", r.stderr);
}
