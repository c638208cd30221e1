//! Binding a VF to vfio-pci or back to its own driver, and rebinding it so
//! that its driver reads what the PF set (a MAC, GUIDs): through the PCI
//! core's `driver_override`, `unbind`, `bind` and `drivers_probe`, each wait
//! drawn from the command's deadline.

use super::Driver;
use crate::error::{Error, Result};
use crate::pci::PciAddr;
use crate::sysfs::Dir;
use crate::wait::{Deadline, until};

/// The VF's `driver_override`, when one is set.
fn driver_override(vf: &Dir) -> Option<String> {
    let mut buf: crate::sysfs::AttrBuf = [0; crate::sysfs::ATTR_MAX];
    vf.read("driver_override", &mut buf)
        .ok()
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .filter(|v| v != "(null)" && !v.is_empty())
}

/// Waits until the VF is on vfio-pci (`want_vfio`) or on another driver:
/// that driver, or `None` at the deadline.
fn bound(vf: &Dir, want_vfio: bool, deadline: &Deadline) -> Option<Option<String>> {
    until(deadline, || {
        let d = current_driver(vf);
        let ok = if want_vfio {
            d.as_deref() == Some("vfio-pci")
        } else {
            d.as_deref() != Some("vfio-pci") && d.is_some()
        };
        ok.then_some(d)
    })
}

/// Binds a VF to vfio-pci or back to its default driver, through
/// `driver_override`, `unbind` and `drivers_probe`, and waits until the
/// PCI core shows the result. `vf` is the VF's PCI directory, `bus` is
/// `/sys/bus/pci`. Returns the driver it ended with (`None`: no driver) and
/// whether it changed. A VF already where it should be is left alone: a VF
/// on vfio-pci may be in a VM's hands, and unbinding it would block until
/// the VM lets go.
///
/// It completes or is undone: when a step fails, or vfio-pci does not take
/// the VF by the deadline, `driver_override` is cleared (or put back), the
/// driver the VF had is bound again, and the error says what happened and
/// where the VF is now. Back to the default driver with none available
/// (no module) leaves the VF without a driver: that is not vfio-pci, which
/// is what was asked.
pub fn bind(
    bus: &Dir,
    vf: &Dir,
    addr: PciAddr,
    driver: Driver,
    deadline: &Deadline,
) -> std::result::Result<(Option<String>, bool), BindError> {
    let unchanged = |error: Error| BindError {
        error,
        changed: false,
    };
    let name = addr.name();
    let current = current_driver(vf);
    let want_vfio = driver == Driver::VfioPci;
    if want_vfio && !bus.exists("drivers/vfio-pci") {
        return Err(unchanged(Error::fail(crate::msg!(
            "VF {}: the vfio-pci driver is not loaded (modprobe vfio-pci), so it cannot take the VF",
            addr
        ))));
    }
    let on_vfio = current.as_deref() == Some("vfio-pci");
    if want_vfio == on_vfio && (on_vfio || current.is_some()) {
        if !want_vfio {
            // On its own driver already; drop an override left behind.
            let _ = vf.write("driver_override", b"\n");
        }
        return Ok((current, false));
    }
    let old_override = driver_override(vf);
    let override_ = if want_vfio { "vfio-pci" } else { "\n" };
    let undo = |what: String| -> BindError {
        let (back, whole) = restore(
            bus,
            vf,
            addr,
            old_override.as_deref(),
            current.as_deref(),
            deadline,
        );
        BindError {
            error: Error::fail(crate::msg!("VF {}: {}; {}", addr, what, back)),
            changed: !whole,
        }
    };
    let fail = |what: &str, e| crate::msg!("cannot {}: {}", what, crate::error::strerror(e));
    if let Err(e) = vf.write("driver_override", override_.as_bytes()) {
        // Nothing was changed.
        return Err(unchanged(Error::fail(crate::msg!(
            "VF {}: {}; nothing changed",
            addr,
            fail("write driver_override", e)
        ))));
    }
    if current.is_some() {
        if let Err(e) = vf.write("driver/unbind", name.as_bytes()) {
            return Err(undo(fail("unbind its driver", e)));
        }
    }
    if let Err(e) = bus.write("drivers_probe", name.as_bytes()) {
        return Err(undo(fail("probe a driver", e)));
    }
    match bound(vf, want_vfio, deadline) {
        Some(d) => Ok((d, true)),
        None if want_vfio => Err(undo(crate::msg!(
            "vfio-pci did not take the VF by the deadline (dmesg may say why)"
        ))),
        // No default driver claimed it (module not available): that is
        // still "not on vfio-pci".
        None => Ok((current_driver(vf), true)),
    }
}

/// Puts a VF back as it was before a bind that did not complete: its old
/// `driver_override`, and its old driver bound again. Says where the VF is.
fn restore(
    bus: &Dir,
    vf: &Dir,
    addr: PciAddr,
    old_override: Option<&str>,
    old: Option<&str>,
    deadline: &Deadline,
) -> (String, bool) {
    let name = addr.name();
    let mut problems = Vec::new();
    let value = old_override.map_or("\n".to_string(), |o| format!("{o}\n"));
    if let Err(e) = vf.write("driver_override", value.as_bytes()) {
        problems.push(crate::msg!(
            "cannot restore driver_override: {}",
            crate::error::strerror(e)
        ));
    }
    let now = current_driver(vf);
    if now.as_deref() != old {
        if now.is_some() {
            let _ = vf.write("driver/unbind", name.as_bytes());
        }
        if let Some(d) = old {
            match bus.write(&crate::msg!("drivers/{}/bind", d), name.as_bytes()) {
                Ok(()) => {
                    // A bind is synchronous; a short wait covers sysfs lag.
                    let short = Deadline::after(
                        deadline.remaining().min(std::time::Duration::from_secs(2)),
                    );
                    let _ = until(&short, || current_driver(vf).filter(|c| c == d));
                }
                Err(e) => problems.push(crate::msg!(
                    "cannot bind {} again: {}",
                    d,
                    crate::error::strerror(e)
                )),
            }
        }
    }
    let now = current_driver(vf);
    let place = now.map_or("no driver".to_string(), |d| format!("driver {d}"));
    if problems.is_empty() && current_driver(vf).as_deref() == old {
        (
            crate::msg!("undone: it is back on {}, as it was", place),
            true,
        )
    } else if problems.is_empty() {
        (
            crate::msg!(
                "undo incomplete: it is on {} now, was on {}",
                place,
                old.unwrap_or("no driver")
            ),
            false,
        )
    } else {
        (
            crate::msg!(
                "undo incomplete ({}): it is on {} now",
                problems.join("; "),
                place
            ),
            false,
        )
    }
}

/// A bind that did not complete: why, and whether the VF was left changed
/// (the undo did not fully succeed).
#[derive(Debug)]
pub struct BindError {
    /// Why.
    pub error: Error,
    /// The VF was left changed.
    pub changed: bool,
}

/// Unbinds a VF from its driver and binds it again, so that the driver
/// picks up the admin MAC the PF set (drivers read it at probe).
pub fn rebind(bus: &Dir, vf: &Dir, addr: PciAddr, driver: &str, deadline: &Deadline) -> Result<()> {
    let name = addr.name();
    let fail = |what: &str, e| {
        Error::fail(crate::msg!(
            "VF {}: cannot {}: {}",
            addr,
            what,
            crate::error::strerror(e)
        ))
    };
    vf.write("driver/unbind", name.as_bytes())
        .map_err(|e| fail("unbind its driver", e))?;
    bus.write(&crate::msg!("drivers/{}/bind", driver), name.as_bytes())
        .map_err(|e| fail(&format!("bind {driver}"), e))?;
    until(deadline, || current_driver(vf).filter(|d| d == driver))
        .map(|_| ())
        .ok_or_else(|| Error::fail(crate::msg!("VF {}: {} did not bind again", addr, driver)))
}

fn current_driver(vf: &Dir) -> Option<String> {
    let mut buf = [0u8; crate::sysfs::LINK_MAX];
    vf.link_name("driver", &mut buf).ok().map(str::to_string)
}
