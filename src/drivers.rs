//! What SR-IOV PF drivers need before a VF count, and the fixes vfnet
//! names when they refuse one, from the drivers' own sources (Linux 6.12):
//!
//! | driver | precondition | source | what vfnet does |
//! | --- | --- | --- | --- |
//! | `bnxt_en` | the PF must be up: on a down PF `sriov_configure` warns "Reject SRIOV config request since if is down!" and returns 0, so the write succeeds and no VF comes | `bnxt_sriov.c`, `bnxt_sriov_configure` | brings the PF up first (live), says so; under `--root` refuses in one line |
//! | `mlx5_core` (ConnectX-4 on) | `sriov_totalvfs` is the firmware's `NUM_OF_VFS` | `mlx5/core/sriov.c`, `mlx5_sriov_init` (`pci_sriov_get_totalvfs` of the firmware's caps) | the over-total message names `mstconfig -d ADDR set SRIOV_EN=1 NUM_OF_VFS=N` and a cold reboot |
//! | `ixgbe` | at most 63 VFs with 1 traffic class, 31 with up to 4, 15 with more (EPERM past it); the X552 (X550EM_x) takes `max_vfs` at module load | `ixgbe_sriov.c`, `ixgbe_pci_sriov_enable` | an EPERM from the write names the limit and `max_vfs`, not permissions |
//! | `mlx4_core` (ConnectX-3) | no `sriov_configure`: the count is the `num_vfs` module parameter | `mlx4/main.c` | `crate::mlx4` (persist, `set --reload`) |
//!
//! Pure: a driver's name in, a sentence out.

use crate::pci::PciAddr;

/// Whether a PF driver is known to have no switchdev eswitch mode (the
/// README's settings table: igb, ixgbe, i40e and mlx4_en have only the
/// legacy one). Unknown drivers are not judged.
pub fn lacks_switchdev(driver: &str) -> bool {
    matches!(driver, "igb" | "ixgbe" | "i40e" | "mlx4_core" | "mlx4_en")
}

/// Whether `driver` creates VFs only on an up PF (`bnxt_en`).
pub fn needs_up(driver: Option<&str>) -> bool {
    driver == Some("bnxt_en")
}

/// What the precondition of [`needs_up`] is, for messages.
pub const NEEDS_UP: &str = "bnxt_en creates VFs only on an up PF (bnxt_sriov.c, bnxt_sriov_configure: \
                            on a down PF it accepts the count and makes no VF)";

/// The fix for a count over the total, when the total is the firmware's
/// (mlx5_core): where to raise it.
pub fn over_total_fix(driver: Option<&str>, addr: PciAddr, want: u32) -> Option<String> {
    match driver? {
        "mlx5_core" => Some(crate::msg!(
            "its total is the firmware's NUM_OF_VFS: raise it with mstconfig -d {} set SRIOV_EN=1 \
             NUM_OF_VFS={} (mstflint), then power the host off and on (a warm reboot keeps the old value)",
            addr,
            want
        )),
        _ => None,
    }
}

/// The fix for SR-IOV off in firmware (`sriov_totalvfs` 0), by driver,
/// else by vendor.
pub fn firmware_fix(driver: Option<&str>, vendor: Option<u16>, addr: PciAddr) -> String {
    match (driver, vendor) {
        (Some(d @ ("i915" | "xe")), _) => crate::msg!(
            "{} makes no VFs unless it loads with max_vfs (i915 also enable_guc=3): vfnet persist {} N \
             writes them to {}, then rebuild the initramfs and reboot (vfnet doctor shows what is in force)",
            d,
            addr,
            crate::gpu::MODPROBE_FILE
        ),
        (Some("mlx5_core"), _) | (_, Some(0x15b3)) => crate::msg!(
            "enable it in the card's firmware: mstconfig -d {} set SRIOV_EN=1 NUM_OF_VFS=8 (mstflint; \
             mlxconfig from NVIDIA's MFT takes the same), then power the host off and on",
            addr
        ),
        (_, Some(0x8086)) => crate::msg!(
            "enable SR-IOV for the card in the BIOS/UEFI setup (and in its NVM settings where Intel's tools offer it), then reboot"
        ),
        (_, Some(0x14e4)) => crate::msg!(
            "enable SR-IOV in the card's NVM (Broadcom niccli or the UEFI device menu), then reboot"
        ),
        _ => crate::msg!(
            "enable SR-IOV in the device's firmware or the BIOS/UEFI setup, then reboot"
        ),
    }
}

/// What a driver's EPERM on a VF count means (run as root, so not
/// permissions): `None` when the driver has no known reason.
pub fn refused_perm(driver: Option<&str>, n: u32) -> Option<String> {
    match driver? {
        "ixgbe" => Some(crate::msg!(
            "ixgbe refused {} VFs: it allows at most 63 with one traffic class, 31 with up to 4, 15 with more \
             (ixgbe_sriov.c, ixgbe_pci_sriov_enable); an X552 (X550EM_x) takes its VFs only at load: \
             options ixgbe max_vfs={} in /etc/modprobe.d, then reload ixgbe or reboot",
            n,
            n
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a() -> PciAddr {
        PciAddr::parse("0000:03:00.0").unwrap()
    }

    #[test]
    fn each_driver_gets_its_own_fix() {
        assert!(needs_up(Some("bnxt_en")) && !needs_up(Some("ixgbe")) && !needs_up(None));
        let m = over_total_fix(Some("mlx5_core"), a(), 16).unwrap();
        assert!(
            m.contains("mstconfig -d 0000:03:00.0 set SRIOV_EN=1 NUM_OF_VFS=16"),
            "{m}"
        );
        assert_eq!(over_total_fix(Some("igb"), a(), 16), None);
        assert!(
            refused_perm(Some("ixgbe"), 40)
                .unwrap()
                .contains("max_vfs=40")
        );
        assert_eq!(refused_perm(Some("i40e"), 40), None);
        // An Intel card's firmware fix is not a Mellanox tool.
        assert!(!firmware_fix(Some("ixgbe"), Some(0x8086), a()).contains("mstconfig"));
        assert!(
            firmware_fix(Some("mlx5_core"), Some(0x15b3), a())
                .contains("mstconfig -d 0000:03:00.0")
        );
    }
}
