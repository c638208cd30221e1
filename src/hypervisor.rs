//! Whether vfnet runs in a VM guest, and under which hypervisor: doctor
//! words its IOMMU advice for a guest (a virtual IOMMU from the host)
//! rather than for a BIOS.

use crate::sysfs::Root;

/// The hypervisor, when this is a VM guest: `/sys/hypervisor/type` (Xen),
/// DMI's system vendor or product (QEMU, KVM, VMware, VirtualBox, Hyper-V),
/// or cpuinfo's `hypervisor` flag. Read under the root, regular files only.
pub fn guest(root: &Root) -> Option<String> {
    let text = |p: &str| {
        crate::files::read_regular(&root.real(p), 1 << 20)
            .ok()
            .map(|(b, _)| String::from_utf8_lossy(&b).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    if let Some(t) = text("/sys/hypervisor/type") {
        return Some(crate::text::quote(&t));
    }
    for p in [
        "/sys/class/dmi/id/sys_vendor",
        "/sys/class/dmi/id/product_name",
    ] {
        if let Some(v) = text(p).filter(|v| VMS.iter().any(|vm| v.contains(vm))) {
            return Some(crate::text::quote(&v));
        }
    }
    let cpu = text("/proc/cpuinfo")?;
    cpu.lines()
        .any(|l| l.starts_with("flags") && l.split_whitespace().any(|w| w == "hypervisor"))
        .then(|| crate::msg!("cpuinfo's hypervisor flag"))
}

/// What DMI calls the common hypervisors' virtual machines.
const VMS: [&str; 7] = [
    "QEMU",
    "KVM",
    "VMware",
    "VirtualBox",
    "innotek",
    "Microsoft Corporation",
    "Xen",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> (tempfile::TempDir, Root) {
        let dir = tempfile::tempdir().unwrap();
        for (p, text) in files {
            let path = dir.path().join(p.trim_start_matches('/'));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let root = Root::new(Some(dir.path().to_path_buf()));
        (dir, root)
    }

    #[test]
    fn a_guest_is_told_by_dmi_xen_or_the_cpu_flag_and_a_host_is_not() {
        let (_d, r) = tree(&[("/sys/class/dmi/id/sys_vendor", "QEMU\n")]);
        assert_eq!(guest(&r).as_deref(), Some("QEMU"));
        let (_d, r) = tree(&[("/sys/hypervisor/type", "xen\n")]);
        assert_eq!(guest(&r).as_deref(), Some("xen"));
        let (_d, r) = tree(&[(
            "/proc/cpuinfo",
            "processor : 0\nflags : fpu vme hypervisor lm\n",
        )]);
        assert_eq!(guest(&r).as_deref(), Some("cpuinfo's hypervisor flag"));
        let (_d, r) = tree(&[
            ("/sys/class/dmi/id/sys_vendor", "Supermicro\n"),
            ("/proc/cpuinfo", "flags : fpu vme lm\n"),
        ]);
        assert_eq!(guest(&r), None);
    }
}
