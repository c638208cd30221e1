//! Intel GPUs' VFs: what their drivers need when they load, and doctor's
//! checks of a GPU PF. Pure: doctor gathers the facts, `modprobe` writes
//! vfnet's file.
//!
//! | driver | parameters at load | VFs then | source |
//! | --- | --- | --- | --- |
//! | `i915` with SR-IOV (i915-sriov-dkms; the kernel's own has no `max_vfs`) | `enable_guc=3` (GuC submission and HuC), `max_vfs=N` (default 0: none) | `sriov_numvfs`, up to N | i915-sriov-dkms's `i915_params.h`, `i915_sriov.c` |
//! | `xe` | `max_vfs=N` (0: none) | `sriov_numvfs`, up to N | `drivers/gpu/drm/xe/xe_module.c`, `xe_pci_sriov.c` |
//!
//! The driver caps `sriov_totalvfs` at `max_vfs`, so a GPU loaded without
//! it looks like a device whose firmware has SR-IOV off. VFs need the GuC
//! firmware; the driver logs the one it loaded (`GuC firmware
//! i915/adlp_guc_70.bin version 70.36.0`) or why it could not.

use crate::pci::PciAddr;

/// vfnet's modprobe.d file for the GPU drivers' parameters.
pub const MODPROBE_FILE: &str = "/etc/modprobe.d/vfnet-gpu.conf";

/// The parameters vfnet sets, each with the value it needs (`N`: the
/// count).
fn needs(driver: &str) -> &'static [(&'static str, &'static str)] {
    match driver {
        "i915" => &[("enable_guc", "3"), ("max_vfs", "N")],
        _ => &[("max_vfs", "N")],
    }
}

/// Whether `driver` is one of the GPU drivers with SR-IOV.
pub fn is_gpu(driver: Option<&str>) -> bool {
    matches!(driver, Some("i915" | "xe"))
}

/// The names of the parameters vfnet sets for `driver`.
pub fn params(driver: &str) -> Vec<&'static str> {
    needs(driver).iter().map(|p| p.0).collect()
}

/// vfnet's `options` lines for `wants` (driver, count of one configured
/// GPU): per driver, the largest count, since the parameters are the
/// module's, for every GPU it drives. `None`: no GPU wants VFs.
pub fn options(wants: &[(&str, u32)]) -> Option<String> {
    let mut lines = Vec::new();
    for driver in ["i915", "xe"] {
        let Some(n) = wants.iter().filter(|w| w.0 == driver).map(|w| w.1).max() else {
            continue;
        };
        if n == 0 {
            continue;
        }
        let values: Vec<String> = needs(driver)
            .iter()
            .map(|(p, v)| format!("{p}={}", v.replace('N', &n.to_string())))
            .collect();
        lines.push(format!("options {driver} {}", values.join(" ")));
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// The value the kernel command line gives `module`'s `param`
/// (`i915.max_vfs=7`; `-` and `_` alike, the last one wins), if any.
pub fn cmdline(cmdline: &str, module: &str, param: &str) -> Option<String> {
    let want = format!("{module}.{param}").replace('-', "_");
    cmdline
        .split_whitespace()
        .filter_map(|w| w.split_once('='))
        .filter(|(k, _)| k.replace('-', "_") == want)
        .map(|(_, v)| v.to_string())
        .next_back()
}

/// What doctor knows of one GPU PF.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The PF.
    pub addr: PciAddr,
    /// Its driver (`i915`, `xe`).
    pub driver: String,
    /// `sriov_totalvfs`.
    pub total_vfs: Option<u32>,
    /// The count the config asks for.
    pub wanted: Option<u32>,
    /// Each parameter vfnet sets, as `/sys/module/DRIVER/parameters` reads
    /// (`None`: the driver has no such parameter).
    pub in_force: Vec<(&'static str, Option<String>)>,
    /// `/proc/cmdline`.
    pub cmdline: String,
    /// Where modprobe.d sets them: (file:line, parameter, value).
    pub modprobe: Vec<(String, String, String)>,
    /// The kernel log's GuC lines about this PF (`None`: unreadable, and
    /// not checked).
    pub guc: Option<Vec<String>>,
}

/// One check's outcome: passed, or a problem and its fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Which check (`gpu-params`, `gpu-guc`).
    pub check: &'static str,
    /// What was found.
    pub message: String,
    /// The fix (problems only).
    pub fix: Option<String>,
}

/// Doctor's checks of a GPU PF: each parameter in force against what VFs
/// need and where it is set, then the GuC firmware.
pub fn check(f: &Facts) -> Vec<Check> {
    let mut out = Vec::new();
    let d = f.driver.as_str();
    let n = f.wanted.unwrap_or(7).max(1);
    // `enable_guc=3 max_vfs=4`, and the same as `i915.enable_guc=3 ...`.
    let (mut opts, mut cmd) = (String::new(), String::new());
    for (p, v) in needs(d) {
        let v = if *v == "N" {
            n.to_string()
        } else {
            v.to_string()
        };
        opts += &format!(" {p}={v}");
        cmd += &format!(" {d}.{p}={v}");
    }
    let fix = crate::msg!(
        "vfnet persist {} N writes options {}{} to {}: then rebuild the initramfs and reboot \
         (or set them on the kernel command line:{})",
        f.addr,
        d,
        opts,
        MODPROBE_FILE,
        cmd
    );
    for (p, have) in &f.in_force {
        let need = needs(d).iter().find(|x| x.0 == *p).map_or("", |x| x.1);
        let mut set = String::new();
        for m in f.modprobe.iter().filter(|m| m.1 == *p) {
            set += &format!("; {p}={} in {}", m.2, m.0);
        }
        if let Some(v) = cmdline(&f.cmdline, d, p) {
            set += &format!("; {d}.{p}={v} on the kernel command line");
        }
        let set = match set.strip_prefix("; ") {
            Some(s) => s.to_string(),
            None => crate::msg!("set nowhere (the driver's default)"),
        };
        let have = match have {
            None => {
                out.push(Check {
                    check: "gpu-params",
                    message: crate::msg!(
                        "{} has no {} parameter: this {} makes no VFs (the kernel's own i915 has none)",
                        d,
                        p,
                        d
                    ),
                    fix: Some(crate::msg!(
                        "install an i915 with SR-IOV (i915-sriov-dkms), or use xe where it drives this GPU"
                    )),
                });
                continue;
            }
            Some(v) => v.trim(),
        };
        let good = match need {
            "N" => {
                crate::text::parse_u32_max(have, 255).is_some_and(|v| v >= f.wanted.unwrap_or(1))
            }
            need => have == need,
        };
        let message = crate::msg!("{} {}={} in force; {}", d, p, have, set);
        out.push(Check {
            check: "gpu-params",
            message: match good {
                true => message,
                false if need == "N" => {
                    message
                        + &crate::msg!(": VFs need max_vfs of at least {}", f.wanted.unwrap_or(1))
                }
                false => message + &crate::msg!(": VFs need {}={}", p, need),
            },
            fix: (!good).then(|| fix.clone()),
        });
    }
    out.extend(guc(f));
    out
}

/// The GuC firmware, as the kernel log shows it.
fn guc(f: &Facts) -> Option<Check> {
    // An unreadable log (not root) says nothing either way.
    let lines = f.guc.as_ref()?;
    let last = lines.iter().rev().find(|l| l.contains("GuC"));
    let failed = |l: &str| {
        let l = l.to_ascii_lowercase();
        l.contains("fail") || l.contains("error")
    };
    Some(match last {
        Some(l) if !failed(l) => Check {
            check: "gpu-guc",
            message: crate::msg!("the kernel log: {}", crate::text::quote(l)),
            fix: None,
        },
        Some(l) => Check {
            check: "gpu-guc",
            message: crate::msg!("the kernel log: {}", crate::text::quote(l)),
            fix: Some(crate::msg!(
                "install the firmware it names (linux-firmware: /lib/firmware/i915 or /lib/firmware/xe), \
                 rebuild the initramfs and reboot"
            )),
        },
        None => Check {
            check: "gpu-guc",
            message: crate::msg!("the kernel log shows no GuC firmware loaded for {}", f.addr),
            fix: Some(crate::msg!(
                "VFs need the GuC: install linux-firmware and load the driver with its GuC on (i915: enable_guc=3)"
            )),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(driver: &str) -> Facts {
        Facts {
            addr: PciAddr::parse("0000:00:02.0").unwrap(),
            driver: driver.into(),
            total_vfs: Some(7),
            wanted: Some(4),
            in_force: params(driver)
                .into_iter()
                .map(|p| (p, Some(if p == "max_vfs" { "7\n" } else { "3\n" }.into())))
                .collect(),
            cmdline: "BOOT_IMAGE=/vmlinuz root=/dev/sda1 i915.enable_guc=3 i915.max-vfs=7".into(),
            modprobe: Vec::new(),
            guc: Some(vec![
                "i915 0000:00:02.0: [drm] GuC firmware i915/adlp_guc_70.bin version 70.36.0".into(),
            ]),
        }
    }

    #[test]
    fn the_options_are_the_drivers_and_take_the_largest_count() {
        assert_eq!(
            options(&[("i915", 4), ("xe", 2), ("i915", 7)]).unwrap(),
            "options i915 enable_guc=3 max_vfs=7\noptions xe max_vfs=2"
        );
        assert_eq!(options(&[("xe", 0)]), None);
        assert_eq!(options(&[]), None);
        assert_eq!(params("i915"), ["enable_guc", "max_vfs"]);
        assert!(is_gpu(Some("xe")) && !is_gpu(Some("igb")) && !is_gpu(None));
    }

    #[test]
    fn the_command_line_sets_module_parameters_last_one_winning() {
        let c = "quiet i915.max_vfs=2 xe.max_vfs=3 i915.max-vfs=7 i915x.max_vfs=9";
        assert_eq!(cmdline(c, "i915", "max_vfs").as_deref(), Some("7"));
        assert_eq!(cmdline(c, "xe", "max_vfs").as_deref(), Some("3"));
        assert_eq!(cmdline(c, "i915", "enable_guc"), None);
    }

    #[test]
    fn a_gpu_ready_for_vfs_passes_every_check() {
        let c = check(&facts("i915"));
        assert!(c.iter().all(|c| c.fix.is_none()), "{c:?}");
        assert_eq!(
            c[1].message,
            "i915 max_vfs=7 in force; i915.max_vfs=7 on the kernel command line"
        );
        assert!(c[2].message.contains("GuC firmware i915/adlp_guc_70.bin"));
    }

    #[test]
    fn each_missing_piece_is_named_with_its_fix() {
        let mut f = facts("i915");
        f.in_force = vec![
            ("enable_guc", Some("-1".into())),
            ("max_vfs", Some("0".into())),
        ];
        f.cmdline.clear();
        f.modprobe = vec![(
            "/etc/modprobe.d/i915.conf:2".into(),
            "max_vfs".into(),
            "0".into(),
        )];
        f.guc = Some(vec!["i915 0000:00:02.0: [drm] *ERROR* GuC firmware i915/adlp_guc_70.bin: fetch failed -ENOENT".into()]);
        let c = check(&f);
        assert_eq!(
            c[0].message,
            "i915 enable_guc=-1 in force; set nowhere (the driver's default): VFs need enable_guc=3"
        );
        assert_eq!(
            c[1].message,
            "i915 max_vfs=0 in force; max_vfs=0 in /etc/modprobe.d/i915.conf:2: VFs need max_vfs of at least 4"
        );
        let fix = c[1].fix.as_deref().unwrap();
        assert!(fix.starts_with("vfnet persist 0000:00:02.0 N writes options i915 enable_guc=3 max_vfs=4 to /etc/modprobe.d/vfnet-gpu.conf"), "{fix}");
        assert!(
            fix.ends_with(
                "(or set them on the kernel command line: i915.enable_guc=3 i915.max_vfs=4)"
            ),
            "{fix}"
        );
        assert!(c[2].fix.as_deref().unwrap().contains("linux-firmware"));
        // The kernel's own i915: no max_vfs at all.
        f.in_force = vec![("enable_guc", Some("3".into())), ("max_vfs", None)];
        let c = check(&f);
        assert_eq!(
            c[1].message,
            "i915 has no max_vfs parameter: this i915 makes no VFs (the kernel's own i915 has none)"
        );
        // No GuC line, and an unreadable log.
        f.guc = Some(Vec::new());
        assert!(
            check(&f)[2]
                .message
                .contains("shows no GuC firmware loaded for 0000:00:02.0")
        );
        f.guc = None;
        assert_eq!(check(&f).len(), 2, "an unreadable log is not a finding");
        // xe needs max_vfs only.
        let c = check(&facts("xe"));
        assert_eq!(c.len(), 2);
    }
}
