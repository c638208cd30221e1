//! `vfnet persist [DEV [N]]`: record VF counts in the config file.

use crate::args::{self, Globals, Parsed};
use crate::config::{self, Config, Line, Source, VfSel};
use crate::error::Result;
use crate::ifname::IfName;
use crate::netlink::Link;
use crate::pci::{self, DevKey};
use crate::sysfs::Dir;
use crate::system::System;
use crate::vf::{MacSpec, Setting};
use crate::{out, sriov};
use lexopt::prelude::*;

pub const USAGE: &str = "\
Usage: vfnet persist [--timeout SECS] [DEV [N]]

Record VF counts in the config file, for vfnet apply at boot. The VFs that
exist now are not changed (vfnet set does that).

  vfnet persist          record the current count of every PF that has VFs
                         (and update entries of PFs that have none now)
  vfnet persist DEV      record DEV's current count
  vfnet persist DEV N    record N for DEV, checked against its sriov_totalvfs

Entries are written by PCI address, which survives interface renames and
exists before udev names interfaces, with the interface name in a comment
above. An entry for the same PF is replaced in place; every other line of
the file is kept as it is. A config file that is a symlink (to a pool) is
followed: the link's target is replaced, the link stays.

Options:
  -t, --timeout SECS   give up waiting for another vfnet's edit after SECS
                       (default 30)
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub dev: Option<DevKey>,
    pub count: Option<u32>,
    pub timeout: std::time::Duration,
}

pub fn parse(p: &mut lexopt::Parser, g: &mut Globals) -> Result<Parsed<Args>> {
    let mut args = Args {
        dev: None,
        count: None,
        timeout: args::DEFAULT_TIMEOUT,
    };
    while let Some(arg) = p.next()? {
        crate::prologue!(arg, p, g, USAGE);
        match arg {
            Short('t') | Long("timeout") => args.timeout = args::timeout("persist", p.value()?)?,
            Value(v) if args.dev.is_none() => args.dev = Some(args::dev("persist", v)?),
            Value(v) if args.count.is_none() => args.count = Some(args::count("persist", v)?),
            _ => return Err(args::unexpected("persist", arg)),
        }
    }
    Ok(Parsed::Run(args))
}

/// One recorded count, for the report.
struct Recorded {
    label: String,
    count: u32,
    changed: bool,
}

pub fn run(s: &System, args: &Args) -> Result<()> {
    out::set_changing();
    let root = &s.root;
    let sys = s.sys()?;
    let path = s.config.clone();
    let deadline = crate::wait::Deadline::after(args.timeout);
    // Stable MACs are recorded from what the kernel says: live systems only.
    let mut route = s.route().and_then(|r| r.ok());
    let mut macs = |names: &[IfName], count: u32| -> Vec<(VfSel, Setting)> {
        match (&mut route, names.first()) {
            (Some(r), Some(iface)) if count > 0 => r
                .link(iface.as_str())
                .map(|l| mac_records(&l))
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    };
    let mut notes = Vec::new();
    let recorded = match &args.dev {
        None => {
            let inv = pci::scan(sys, true);
            config::edit(root, &path, &deadline, |cfg| {
                let migrated = migrate(cfg, sys);
                let mut rec = Vec::new();
                if let Some((note, pfs)) = migrated {
                    notes.push(note);
                    // What the old file said is what gets recorded for its
                    // PFs, not the live count read now.
                    for (addr, count) in pfs {
                        if let Some(pf) = inv.pfs.iter().find(|p| p.addr == addr) {
                            rec.push(Recorded {
                                label: pf.label(),
                                count,
                                changed: true,
                            });
                        }
                    }
                }
                for pf in inv.pfs.iter().filter(|p| p.sriov) {
                    let Some(n) = pf.num_vfs else { continue };
                    if rec.iter().any(|r| r.label == pf.label()) {
                        continue;
                    }
                    if n > 0 || cfg.find(pf.addr, &pf.interfaces).is_some() {
                        let mut changed = cfg.set(pf.addr, &pf.interfaces, n);
                        changed |=
                            record_macs(cfg, pf.addr, &pf.interfaces, macs(&pf.interfaces, n));
                        rec.push(Recorded {
                            label: pf.label(),
                            count: n,
                            changed,
                        });
                    }
                }
                Ok(rec)
            })?
        }
        Some(dev) => {
            let pf = pci::resolve_for(sys, dev, "persist")?;
            let label = pf.label();
            let total = sriov::read(&pf, "sriov_totalvfs")?;
            let count = match args.count {
                Some(n) => n,
                None => sriov::read(&pf, "sriov_numvfs")?,
            };
            sriov::check(count, total).map_err(|e| sriov::plan_error(&label, e))?;
            let mac_lines = macs(&pf.interfaces, count);
            config::edit(root, &path, &deadline, |cfg| {
                if let Some((note, _)) = migrate(cfg, sys) {
                    notes.push(note);
                }
                let mut changed = cfg.set(pf.addr, &pf.interfaces, count);
                changed |= record_macs(cfg, pf.addr, &pf.interfaces, mac_lines);
                Ok(vec![Recorded {
                    label: label.clone(),
                    count,
                    changed,
                }])
            })?
        }
    };

    let mut text = String::new();
    for n in notes {
        text.push_str(&n);
        text.push('\n');
    }
    let file = path.display();
    if recorded.is_empty() {
        text.push_str(&format!("No PF has VFs: nothing to record in {file}.\n"));
    }
    for r in recorded {
        let verb = if r.changed {
            "recorded"
        } else {
            "already recorded"
        };
        text.push_str(&format!(
            "{}: {} {verb} in {file}\n",
            r.label,
            out::vfs(r.count)
        ));
    }
    out::print(&text);
    Ok(())
}

/// The MACs to record for a PF's VFs: `vfs.mac=auto`, the stable MACs, and
/// the admin MAC of each VF that has one set by hand (not its auto MAC).
///
/// Only what `apply` can apply on this machine is recorded: `mac=auto` needs
/// the PF's MAC (a PF that reports none gets no such line), and an admin MAC
/// is recorded only when it is one a setting may hold (unicast: a multicast
/// one would be a bad line at boot).
pub fn mac_records(link: &Link) -> Vec<(VfSel, Setting)> {
    let pf_mac = link
        .perm_address
        .or(link.address)
        .filter(|m| *m != crate::mac::Mac([0; 6]));
    let mut out = Vec::new();
    if pf_mac.is_some() {
        out.push((VfSel::All, Setting::Mac(MacSpec::Auto)));
    }
    for v in &link.vfs {
        if let Some(s @ Setting::Mac(MacSpec::Addr(m))) =
            crate::engine::mac_setting(pf_mac, v.vf, v.mac)
        {
            let text = m.to_string();
            if Setting::parse("mac", &text) == Ok(s) {
                out.push((VfSel::One(v.vf), s));
            }
        }
    }
    out
}

/// Writes MAC lines, leaving a `vfs.mac` line the user wrote alone.
fn record_macs(
    cfg: &mut Config,
    addr: pci::PciAddr,
    names: &[IfName],
    lines: Vec<(VfSel, Setting)>,
) -> bool {
    let mut changed = false;
    for (sel, setting) in lines {
        let has_own = sel == VfSel::All
            && cfg.vf_entries().any(|e| {
                e.vf == VfSel::All
                    && e.setting.name() == "mac"
                    && match e.key {
                        DevKey::Pci(a) => *a == addr,
                        DevKey::Name(n) => names.contains(n),
                    }
            });
        if !has_own {
            changed |= cfg.set_vf(addr, names, sel, setting);
        }
    }
    changed
}

/// Moves the original vfnet's `iface:count` entries into the new file: by
/// PCI address when the interface exists now, else as they were. Returns
/// the note to print and the PFs it recorded, with their counts.
fn migrate(cfg: &mut Config, sys: &Dir) -> Option<(String, Vec<(pci::PciAddr, u32)>)> {
    let Source::Legacy(old, ..) = cfg.source.clone() else {
        return None;
    };
    let inv = pci::scan(sys, true);
    let named: Vec<(pci::PciAddr, Vec<_>, u32)> = cfg
        .entries()
        .filter_map(|e| match e.key {
            DevKey::Name(n) => inv
                .pf_by_name(n)
                .map(|i| (inv.pfs[i].addr, inv.pfs[i].interfaces.clone(), e.count)),
            DevKey::Pci(_) => None,
        })
        .collect();
    let count = cfg.entries().count();
    let mut recorded = Vec::new();
    for (addr, names, n) in named {
        cfg.set(addr, &names, n);
        recorded.push((addr, n));
    }
    let header = format!(
        "# Migrated from {} by vfnet persist; that file is no longer read.\n",
        old.display()
    );
    cfg.lines.insert(0, Line::Other(header.into_bytes()));
    let note = format!(
        "Migrated {count} entries from {} into {}.",
        old.display(),
        cfg.path.display()
    );
    Some((note, recorded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mac::Mac;
    use crate::netlink::VfInfo;

    #[test]
    fn stable_macs_are_recorded_and_hand_set_ones_kept() {
        let pf = Mac([0x52, 0x54, 0, 0x12, 0x34, 0x56]);
        let vf = |vf, mac: Mac| VfInfo {
            vf,
            mac: Some(mac),
            ..VfInfo::default()
        };
        let link = Link {
            perm_address: Some(pf),
            vfs: vec![
                vf(0, Mac([0; 6])),
                vf(1, crate::vf::auto_mac(pf, 1)),
                vf(2, Mac([2, 0, 0, 0, 0, 9])),
            ],
            ..Link::default()
        };
        let got: Vec<String> = mac_records(&link)
            .iter()
            .map(|(s, v)| format!("{s}.mac={v}"))
            .collect();
        assert_eq!(got, ["vfs.mac=auto", "vf2.mac=02:00:00:00:00:09"]);
        // Without a PF MAC, `auto` could not be applied: not recorded; nor
        // is a multicast admin MAC, which no setting may hold.
        let link = Link {
            perm_address: None,
            address: None,
            vfs: vec![
                vf(0, Mac([1, 0, 0x5e, 0, 0, 1])),
                vf(1, Mac([2, 0, 0, 0, 0, 7])),
            ],
            ..Link::default()
        };
        let got: Vec<String> = mac_records(&link)
            .iter()
            .map(|(s, v)| format!("{s}.mac={v}"))
            .collect();
        assert_eq!(got, ["vf1.mac=02:00:00:00:00:07"]);
    }
}
