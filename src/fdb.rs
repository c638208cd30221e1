//! Bridge FDB sync, as plain values and pure decisions: which MACs a PF's
//! own forwarding table needs so that its VFs reach the guests behind the
//! bridge the PF is a port of, and what to add and remove.
//!
//! A frame a VF sends goes to the NIC's embedded switch. The switch knows
//! the MACs of the VFs and the PF's own addresses; a VM on a tap in the
//! Linux bridge beside the PF is none of them, so the frame leaves on the
//! wire and never comes back. Adding that VM's MAC to the PF's unicast
//! list (`bridge fdb add MAC dev PF self`: `ndo_fdb_add`, else the
//! kernel's `ndo_dflt_fdb_add`, which is `dev_uc_add_excl`) makes the
//! switch hand such frames to the PF, and so to the bridge.
//!
//! The readers are `netlink` (links and the `AF_BRIDGE` neighbour dump);
//! `commands/fdb` runs the plan and keeps the record of what vfnet added
//! (`/run/vfnet/fdb/PCI`): vfnet never removes an entry it did not add.

use crate::mac::Mac;

/// A network interface, as an rtnetlink link dump gives it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Iface {
    /// Its index.
    pub index: i32,
    /// Its name (as the kernel gave it; escaped where shown).
    pub name: String,
    /// The bridge or bond it is enslaved to (`IFLA_MASTER`).
    pub master: Option<i32>,
    /// The device a VLAN (or macvlan) sits on (`IFLA_LINK`).
    pub lower: Option<i32>,
    /// `IFLA_INFO_KIND`: `bridge`, `bond`, `vlan`, `veth`...; `None` for a
    /// physical device.
    pub kind: Option<String>,
    /// Its MAC.
    pub mac: Option<Mac>,
}

/// One entry of the kernel's `AF_BRIDGE` neighbour dump: a bridge's
/// forwarding table (`master` set) or a device's own (`self`) list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The port (for a bridge's entry) or the device (for `self`).
    pub ifindex: i32,
    /// `NUD_*`: `NUD_PERMANENT` a local address, `NUD_NOARP` a static
    /// entry, `NUD_REACHABLE`/`NUD_STALE` a learned one.
    pub state: u16,
    /// `NTF_*`: `NTF_SELF` a device's own entry.
    pub flags: u8,
    /// The MAC.
    pub mac: Mac,
    /// `NDA_MASTER`: the bridge, for a bridge's entry.
    pub master: Option<i32>,
    /// `NDA_VLAN`.
    pub vlan: Option<u16>,
}

/// `NTF_SELF` (linux/neighbour.h).
pub const NTF_SELF: u8 = 0x02;
/// `NUD_PERMANENT`.
pub const NUD_PERMANENT: u16 = 0x80;

impl Entry {
    fn unicast(&self) -> bool {
        self.mac.0[0] & 1 == 0 && self.mac.0 != [0; 6]
    }
}

/// A PF's way into a bridge: the bridge and the port that leads to the PF
/// (the PF itself, its bond, or a VLAN on either).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port {
    /// The bridge.
    pub bridge: i32,
    /// Its port on the PF's side.
    pub port: i32,
}

/// The bridges the PF `pf` is a port of: directly, through the bond it is
/// a slave of, or through a VLAN on either. Sorted, no repeats.
pub fn ports(links: &[Iface], pf: i32) -> Vec<Port> {
    let by = |i: i32| links.iter().find(|l| l.index == i);
    let kind = |i: i32, k: &str| by(i).and_then(|l| l.kind.as_deref()) == Some(k);
    // The PF and its bond: the devices whose VLANs and bridge ports lead to it.
    let mut below = vec![pf];
    if let Some(b) = by(pf).and_then(|l| l.master).filter(|&b| kind(b, "bond")) {
        below.push(b);
    }
    let mut sides = below.clone();
    for l in links {
        if l.kind.as_deref() == Some("vlan") && l.lower.is_some_and(|x| below.contains(&x)) {
            sides.push(l.index);
        }
    }
    let mut out: Vec<Port> = sides
        .iter()
        .filter_map(|&side| {
            let bridge = by(side)?.master.filter(|&m| kind(m, "bridge"))?;
            Some(Port { bridge, port: side })
        })
        .collect();
    out.sort_unstable_by_key(|p| (p.bridge, p.port));
    out.dedup();
    out
}

/// The MACs behind the bridges of `ports` that the PF's table needs: the
/// entries each bridge has learned or been given on its other ports, and
/// the bridge's own address (the host on the bridge); unicast only, never
/// the PF's own MAC, each once (the NIC's list has no VLANs), sorted.
/// A port's own local address (a tap's host side) is left out: nothing
/// sends to it.
pub fn behind(entries: &[Entry], ports: &[Port], own: Option<Mac>) -> Vec<Mac> {
    let mut out: Vec<Mac> = entries
        .iter()
        .filter(|e| e.unicast() && Some(e.mac) != own)
        .filter(|e| {
            ports.iter().any(|p| {
                e.master == Some(p.bridge)
                    && e.ifindex != p.port
                    && (e.state & NUD_PERMANENT == 0 || e.ifindex == p.bridge)
            })
        })
        .map(|e| e.mac)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The unicast MACs in the device `dev`'s own list (`self` entries),
/// sorted.
pub fn present(entries: &[Entry], dev: i32) -> Vec<Mac> {
    let mut out: Vec<Mac> = entries
        .iter()
        .filter(|e| e.ifindex == dev && e.flags & NTF_SELF != 0 && e.master.is_none())
        .filter(|e| e.unicast())
        .map(|e| e.mac)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// What to do to one PF's table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Behind the bridge, not in the PF's table: add.
    pub add: Vec<Mac>,
    /// Added by vfnet, in the table, no longer behind the bridge: remove.
    pub remove: Vec<Mac>,
    /// Added by vfnet, in the table and still wanted: kept as they are
    /// (and in the record).
    pub keep: Vec<Mac>,
}

impl Plan {
    /// Nothing to change.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }
}

/// The plan for one PF, from what is behind its bridges (`wanted`), what
/// its table holds (`present`) and what vfnet added before (`recorded`).
/// An entry vfnet did not add is never removed; one it added that someone
/// else removed is forgotten (it is in neither list).
pub fn plan(wanted: &[Mac], present: &[Mac], recorded: &[Mac]) -> Plan {
    let has = |v: &[Mac], m: &Mac| v.binary_search(m).is_ok();
    let mut recorded = recorded.to_vec();
    recorded.sort_unstable();
    recorded.dedup();
    Plan {
        add: wanted
            .iter()
            .filter(|m| !has(present, m))
            .copied()
            .collect(),
        remove: recorded
            .iter()
            .filter(|m| has(present, m) && !has(wanted, m))
            .copied()
            .collect(),
        keep: recorded
            .iter()
            .filter(|m| has(present, m) && has(wanted, m))
            .copied()
            .collect(),
    }
}

/// The record of the MACs vfnet added to one PF's table: one MAC a line.
/// A line that is not a MAC is skipped (one bad line spoils only itself).
pub fn parse_record(bytes: &[u8]) -> Vec<Mac> {
    let mut out: Vec<Mac> = bytes
        .split(|&b| b == b'\n')
        .filter_map(|l| Mac::parse(crate::sysfs::trim(l)))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The record's text.
pub fn record_text(macs: &[Mac]) -> String {
    let mut s = String::with_capacity(18 * macs.len());
    for m in macs {
        s.push_str(&m.to_string());
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(s: &str) -> Mac {
        Mac::parse(s.as_bytes()).unwrap()
    }

    fn iface(index: i32, name: &str, kind: Option<&str>, master: Option<i32>) -> Iface {
        Iface {
            index,
            name: name.into(),
            master,
            kind: kind.map(String::from),
            ..Iface::default()
        }
    }

    fn entry(ifindex: i32, master: Option<i32>, state: u16, flags: u8, m: &str) -> Entry {
        Entry {
            ifindex,
            state,
            flags,
            mac: mac(m),
            master,
            vlan: None,
        }
    }

    #[test]
    fn a_pf_reaches_a_bridge_directly_through_its_bond_or_a_vlan() {
        // 2 enp1s0f0 (PF) in vmbr0 (10); 3 enp1s0f1 (PF) in bond0 (20),
        // whose VLAN bond0.7 (21) is in vmbr7 (11); 4 enp2s0 has nothing.
        let mut vlan = iface(21, "bond0.7", Some("vlan"), Some(11));
        vlan.lower = Some(20);
        let links = [
            iface(2, "enp1s0f0", None, Some(10)),
            iface(3, "enp1s0f1", None, Some(20)),
            iface(4, "enp2s0", None, None),
            iface(10, "vmbr0", Some("bridge"), None),
            iface(11, "vmbr7", Some("bridge"), None),
            iface(20, "bond0", Some("bond"), None),
            vlan,
        ];
        assert_eq!(
            ports(&links, 2),
            [Port {
                bridge: 10,
                port: 2
            }]
        );
        assert_eq!(
            ports(&links, 3),
            [Port {
                bridge: 11,
                port: 21
            }]
        );
        assert_eq!(ports(&links, 4), []);
        // A bond is not a bridge: a PF in a bond only has no port.
        let links = [
            iface(3, "enp1s0f1", None, Some(20)),
            iface(20, "bond0", Some("bond"), None),
        ];
        assert_eq!(ports(&links, 3), []);
    }

    #[test]
    fn behind_the_bridge_is_what_it_learned_or_was_given_on_other_ports() {
        // vmbr0 (4) with the PF (3) and a tap (6).
        let p = [Port { bridge: 4, port: 3 }];
        let entries = [
            entry(3, Some(4), 0x80, 0, "76:44:8e:7d:b3:b1"), // the PF's own local
            entry(3, Some(4), 0x02, 0, "0a:00:00:00:00:99"), // learned on the PF: the wire
            entry(6, Some(4), 0x02, 0, "b6:51:e0:22:43:7a"), // learned on the tap: a VM
            entry(6, Some(4), 0x40, 0, "02:aa:bb:cc:dd:01"), // static on the tap
            entry(6, Some(4), 0x80, 0, "c2:7d:12:70:43:13"), // the tap's own host side
            entry(6, Some(4), 0x02, 0, "33:33:00:00:00:01"), // multicast
            entry(4, Some(4), 0x80, 0, "de:ad:be:ef:00:01"), // the bridge's own
            entry(6, Some(9), 0x02, 0, "02:00:00:00:00:09"), // another bridge
            entry(3, None, 0x80, NTF_SELF, "02:11:22:33:44:55"), // the PF's self list
        ];
        assert_eq!(
            behind(&entries, &p, Some(mac("76:44:8e:7d:b3:b1"))),
            [
                mac("02:aa:bb:cc:dd:01"),
                mac("b6:51:e0:22:43:7a"),
                mac("de:ad:be:ef:00:01")
            ]
        );
        // The bridge's address is the PF's (the usual case): not added.
        let e = [entry(4, Some(4), 0x80, 0, "76:44:8e:7d:b3:b1")];
        assert_eq!(behind(&e, &p, Some(mac("76:44:8e:7d:b3:b1"))), []);
        assert_eq!(present(&entries, 3), [mac("02:11:22:33:44:55")]);
        assert_eq!(present(&entries, 6), []);
    }

    #[test]
    fn the_plan_adds_the_missing_and_removes_only_its_own_stale_entries() {
        let (a, b, c, d) = (
            mac("02:00:00:00:00:0a"),
            mac("02:00:00:00:00:0b"),
            mac("02:00:00:00:00:0c"),
            mac("02:00:00:00:00:0d"),
        );
        // a wanted and missing; b wanted and present (not ours); c ours and
        // stale; d someone else's and not wanted: left alone.
        let p = plan(&[a, b], &[b, c, d], &[c]);
        assert_eq!(p.add, [a]);
        assert_eq!(p.remove, [c]);
        assert_eq!(p.keep, []);
        // Ours, still wanted: kept. Ours but gone from the table: forgotten.
        let p = plan(&[a], &[a], &[a, d]);
        assert!(p.is_empty());
        assert_eq!(p.keep, [a]);
        assert_eq!(plan(&[], &[], &[]), Plan::default());
    }

    #[test]
    fn the_record_is_one_mac_a_line_and_a_bad_line_spoils_only_itself() {
        let r = parse_record(
            b"02:00:00:00:00:0b\n\xff\xfe junk\n02:00:00:00:00:0a\n02:00:00:00:00:0a\n",
        );
        assert_eq!(r, [mac("02:00:00:00:00:0a"), mac("02:00:00:00:00:0b")]);
        assert_eq!(parse_record(&record_text(&r).into_bytes()), r);
    }
}
