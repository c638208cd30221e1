//! Who uses each VF: a VM or another program holding it through vfio (or
//! uio), a container (its netdev in another network namespace), or the host
//! itself (its netdev in a bridge or bond, or up with an address). Found
//! cheaply and without new dependencies: one pass over /proc, only when
//! some VF is on vfio-pci or uio, reading open files as links; sysfs for
//! the rest. What a VF's users mean for a change is the guard's business
//! (`set`, `vf`, `apply`): this module only finds them.

use crate::inventory::{Inventory, Kind, UsedBy, Vf};
use crate::pci::PciAddr;
use crate::procfs::{self, Process};
use crate::sysfs::{Dir, LINK_MAX, Root};

/// The name a VMM's command line gives its VM: Proxmox's `-id VMID`, else
/// QEMU's `-name guest=NAME,...` (libvirt) or `-name NAME`.
pub fn vm_name(cmdline: &[String]) -> Option<String> {
    let after = |flag: &str| {
        cmdline
            .iter()
            .position(|a| a == flag)
            .and_then(|i| cmdline.get(i + 1))
    };
    if let Some(id) =
        after("-id").filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some(id.clone());
    }
    let v = after("-name")?;
    // QEMU's option syntax: `,` separates, `,,` is a comma in a value
    // (libvirt writes the VM `web,prod` as `guest=web,,prod,...`).
    let mut first = String::new();
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ',' {
            if chars.peek() == Some(&',') {
                chars.next();
            } else {
                break;
            }
        }
        first.push(c);
    }
    let name = first.strip_prefix("guest=").unwrap_or(&first);
    (!name.is_empty()).then(|| crate::text::quote(name))
}

/// Whether a process is a virtual machine monitor.
pub fn is_vmm(p: &Process) -> bool {
    let argv0 = p
        .cmdline
        .first()
        .map(|a| a.rsplit('/').next().unwrap_or(a))
        .unwrap_or("");
    [p.comm.as_str(), argv0].iter().any(|n| {
        n.starts_with("qemu")
            || *n == "kvm"
            || n.starts_with("cloud-hypervis")
            || *n == "firecracker"
            || *n == "crosvm"
    })
}

/// What a process that holds a VF is: a VM (named as its manager names it)
/// or a userspace driver (named by its program).
pub fn holder(p: &Process) -> UsedBy {
    if p.comm.is_empty() && p.cmdline.is_empty() {
        // Nothing of it could be read (it vanished, or its files are not
        // ours): a holder all the same, most likely a VM; its name unknown.
        return UsedBy {
            kind: Kind::Vm,
            name: Some("?".into()),
            pid: Some(p.pid),
        };
    }
    if is_vmm(p) {
        UsedBy {
            kind: Kind::Vm,
            name: vm_name(&p.cmdline).or_else(|| Some(crate::text::quote(&p.comm))),
            pid: Some(p.pid),
        }
    } else {
        let name = match p.comm.is_empty() {
            true => "?".to_string(),
            false => crate::text::quote(&p.comm),
        };
        UsedBy {
            kind: Kind::Dpdk,
            name: Some(name),
            pid: Some(p.pid),
        }
    }
}

/// Drivers that hand a device to userspace.
const USERSPACE: [&str; 3] = ["vfio-pci", "uio_pci_generic", "igb_uio"];

/// Who uses each VF of `inv` (the VFs in use only). Reads sysfs under
/// `sys` and /proc under the root; nothing when /proc cannot be read and
/// no VF has a netdev to judge.
///
/// Also says whether the search was complete: not when some process's open
/// files could not be read (an unprivileged user) while a VF on vfio-pci or
/// uio was left with no holder found (it may be held all the same).
pub fn find(root: &Root, sys: &Dir, inv: &Inventory) -> (Vec<(PciAddr, UsedBy)>, bool) {
    let mut out = Vec::new();
    if inv.vfs().next().is_none() {
        return (out, true);
    }
    let Ok(bus) = sys.open_dir("bus/pci/devices") else {
        return (out, true);
    };
    let mut complete = true;
    let proc_dir = root.open("proc").ok();
    // The device files through which each userspace-bound VF can be held.
    let mut wanted: Vec<(PciAddr, String)> = Vec::new();
    let mut netns_vfs = Vec::new();
    let mut addressed: Option<Vec<String>> = None;
    for (_, vf) in inv.vfs() {
        let name = vf.addr.name();
        match vf.driver.as_deref() {
            Some(d) if USERSPACE.contains(&d) => {
                for t in device_files(&bus, &name, vf, d) {
                    wanted.push((vf.addr, t));
                }
            }
            Some(_) => match &vf.interface {
                Some(iface) => {
                    let addressed = addressed.get_or_insert_with(|| procfs::addressed(root));
                    if let Some(u) = host_use(&bus, &name, iface.as_str(), addressed) {
                        out.push((vf.addr, u));
                    }
                }
                // A network VF with its driver but no netdev here: the
                // netdev lives in another network namespace.
                None if is_network(&bus, &name) => netns_vfs.push(vf.addr),
                None => {}
            },
            None => {}
        }
    }
    if let Some(proc_dir) = &proc_dir {
        let targets: Vec<String> = wanted.iter().map(|(_, t)| t.clone()).collect();
        let (held, all_read) = procfs::holders(proc_dir, &targets);
        for (addr, target) in &wanted {
            if out.iter().any(|(a, _)| a == addr) {
                continue;
            }
            if let Some((_, pid)) = held.iter().find(|(t, _)| t == target) {
                // Whatever can be read of it: a holder is a user.
                out.push((*addr, holder(&procfs::process(proc_dir, *pid))));
            }
        }
        complete &= all_read || wanted.iter().all(|(a, _)| out.iter().any(|(o, _)| o == a));
    } else {
        complete &= wanted.is_empty();
    }
    if !netns_vfs.is_empty() {
        let owner = proc_dir.as_ref().and_then(|d| {
            let ours = procfs::netns(d, "self")?;
            procfs::lone_foreign_netns(d, &ours)
        });
        for addr in netns_vfs {
            out.push((
                addr,
                UsedBy {
                    kind: Kind::Netns,
                    name: None,
                    pid: owner,
                },
            ));
        }
    }
    (out, complete)
}

/// The device files a VF bound to `driver` is opened through: its IOMMU
/// group's `/dev/vfio/N` and its vfio cdev (`/dev/vfio/devices/vfioN`), or
/// its `/dev/uioN`.
fn device_files(bus: &Dir, name: &str, vf: &Vf, driver: &str) -> Vec<String> {
    let mut out = Vec::new();
    if driver == "vfio-pci" {
        if let Some(g) = vf.iommu_group {
            out.push(format!("/dev/vfio/{g}"));
        }
        if let Ok(d) = bus.open_dir(&format!("{name}/vfio-dev")) {
            let _ = d.for_each_entry(|e| {
                if e.starts_with("vfio") {
                    out.push(crate::msg!("/dev/vfio/devices/{}", e));
                }
            });
        }
    } else if let Ok(d) = bus.open_dir(&format!("{name}/uio")) {
        let _ = d.for_each_entry(|e| {
            if e.starts_with("uio") {
                out.push(format!("/dev/{e}"));
            }
        });
    }
    out
}

/// The host's use of a VF's netdev: a master (bridge, bond, OVS), or up
/// with an address.
fn host_use(bus: &Dir, name: &str, iface: &str, addressed: &[String]) -> Option<UsedBy> {
    let mut buf = [0u8; LINK_MAX];
    if let Ok(m) = bus.link_name(&crate::msg!("{}/net/{}/master", name, iface), &mut buf) {
        // A bridge's name is the system's: escaped and cut like any echo.
        return Some(UsedBy {
            kind: Kind::Host,
            name: Some(crate::text::quote(m)),
            pid: None,
        });
    }
    // Only an interface with an address can be the host's that way: the
    // flags are read for those alone.
    if !addressed.iter().any(|i| i == iface) {
        return None;
    }
    let mut a = [0u8; crate::sysfs::ATTR_MAX];
    let flags = bus
        .read(&crate::msg!("{}/net/{}/flags", name, iface), &mut a)
        .ok()
        .and_then(|v| {
            let s = std::str::from_utf8(v).ok()?;
            u32::from_str_radix(s.trim_start_matches("0x"), 16).ok()
        })?;
    (flags & 1 == 1).then(|| UsedBy {
        kind: Kind::Host,
        name: Some(iface.to_string()),
        pid: None,
    })
}

/// Whether the function is a network controller (PCI class 0x02).
fn is_network(bus: &Dir, name: &str) -> bool {
    let mut a = [0u8; crate::sysfs::ATTR_MAX];
    bus.read(&format!("{name}/class"), &mut a)
        .is_ok_and(|v| v.starts_with(b"0x02"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn vms_are_named_as_their_managers_name_them() {
        // libvirt
        assert_eq!(
            vm_name(&argv(
                "/usr/bin/qemu-system-x86_64 -name guest=win11,debug-threads=on -S"
            )),
            Some("win11".into())
        );
        // Proxmox: -id wins over -name
        assert_eq!(
            vm_name(&argv("/usr/bin/kvm -id 101 -name web,debug-threads=on")),
            Some("101".into())
        );
        assert_eq!(
            vm_name(&argv("qemu-system-x86_64 -name plain")),
            Some("plain".into())
        );
        assert_eq!(vm_name(&argv("qemu-system-x86_64 -m 512")), None);
        // `,,` is a comma in QEMU's option values.
        assert_eq!(
            vm_name(&argv(
                "qemu-system-x86_64 -name guest=web,,prod,debug-threads=on"
            )),
            Some("web,prod".into())
        );
        assert_eq!(
            vm_name(&argv("qemu-system-x86_64 -name a,,,b")),
            Some("a,".into())
        );
    }

    #[test]
    fn holders_are_vms_or_userspace_drivers() {
        let qemu = Process {
            pid: 2211,
            comm: "qemu-system-x86".into(),
            cmdline: argv("/usr/bin/qemu-system-x86_64 -name guest=win11"),
        };
        assert_eq!(holder(&qemu).to_string(), "vm:win11 (pid 2211)");
        let pve = Process {
            pid: 900,
            comm: "kvm".into(),
            cmdline: argv("/usr/bin/kvm -id 101"),
        };
        assert_eq!(holder(&pve).to_string(), "vm:101 (pid 900)");
        let dpdk = Process {
            pid: 77,
            comm: "dpdk-testpmd".into(),
            cmdline: argv("dpdk-testpmd -l 0-1"),
        };
        assert_eq!(holder(&dpdk).to_string(), "dpdk:dpdk-testpmd (pid 77)");
    }

    #[test]
    fn users_print_briefly() {
        let ns = |pid| UsedBy {
            kind: Kind::Netns,
            name: None,
            pid,
        };
        assert_eq!(ns(Some(3310)).to_string(), "netns:pid 3310");
        assert_eq!(ns(None).to_string(), "netns");
        let br = UsedBy {
            kind: Kind::Host,
            name: Some("br0".into()),
            pid: None,
        };
        assert_eq!(br.to_string(), "host:br0");
    }
}
