//! What a capture (`vfnet capture`) stores for a replay beyond sysfs: the
//! VF settings rtnetlink reported on the live system, one file per PF
//! (`vfnet-capture/vfinfo/PF`), who used each VF, each PF's eswitch mode
//! (devlink), and reading them back, so that `vfnet
//! --root DIR` on an unpacked capture lists what the live system listed.

use crate::files;
use crate::inventory::Inventory;
use crate::mac::Mac;
use crate::netlink::{LinkState, VfInfo};
use crate::sysfs::Root;

/// Where a capture keeps what rtnetlink reported (relative to the root).
pub const VFINFO_DIR: &str = "vfnet-capture/vfinfo";

/// Where a capture keeps who used each VF (relative to the root): one line
/// per VF in use, `ADDR KIND NAME PID` (`-` for an unknown name or pid).
/// The file's presence says that usage was looked for.
pub const USED_BY: &str = "vfnet-capture/used-by";

/// The used-by file's text for `inv`.
pub fn used_by_text(inv: &Inventory) -> String {
    let mut out = crate::msg!("# vfnet capture: who used each VF (ADDR KIND NAME PID)\n");
    for (_, vf) in inv.vfs() {
        if let Some(u) = &vf.used_by {
            let name = u
                .name
                .as_deref()
                .unwrap_or("-")
                .replace(char::is_whitespace, "_");
            let pid = u.pid.map_or("-".to_string(), |p| p.to_string());
            out.push_str(&crate::msg!(
                "{} {} {} {}\n",
                vf.addr,
                u.kind.name(),
                name,
                pid
            ));
        }
    }
    out
}

/// Who used each VF, as a capture under `root` recorded it; false when the
/// root is no capture that recorded it.
pub fn captured_usage(root: &Root, inv: &mut Inventory) -> bool {
    use crate::inventory::{Kind, UsedBy};
    if root.is_live() {
        return false;
    }
    let Ok((bytes, _)) = files::read_regular(&root.real(&format!("/{USED_BY}")), 1 << 20) else {
        return false;
    };
    let text = String::from_utf8_lossy(&bytes);
    let mut found = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [addr, kind, name, pid] = f[..] else {
            continue;
        };
        let Some(addr) = crate::pci::PciAddr::parse(addr) else {
            continue;
        };
        let kind = match kind {
            "vm" => Kind::Vm,
            "netns" => Kind::Netns,
            "host" => Kind::Host,
            "dpdk" => Kind::Dpdk,
            _ => continue,
        };
        found.push((
            addr,
            UsedBy {
                kind,
                // A capture is hostile input: its names are escaped and cut.
                name: (name != "-").then(|| crate::text::quote(name)),
                pid: pid.parse().ok(),
            },
        ));
    }
    inv.set_used_by(&found);
    inv.usage_known = true;
    true
}

/// Where a capture keeps each PF's eswitch mode as devlink reported it
/// (relative to the root): one line per PF that reported one, `ADDR MODE`.
pub const ESWITCH: &str = "vfnet-capture/eswitch";

/// The eswitch file's text for `inv`; `None` when no PF reported a mode.
pub fn eswitch_text(inv: &Inventory) -> Option<String> {
    let lines: String = inv
        .pfs
        .iter()
        .filter_map(|p| Some(format!("{} {}\n", p.addr, p.eswitch?.name())))
        .collect();
    (!lines.is_empty()).then_some(lines)
}

/// Each PF's eswitch mode, as a capture under `root` recorded it.
pub fn captured_eswitch(root: &Root, inv: &mut Inventory) {
    if root.is_live() {
        return;
    }
    let Ok((bytes, _)) = files::read_regular(&root.real(&format!("/{ESWITCH}")), 1 << 16) else {
        return;
    };
    for line in String::from_utf8_lossy(&bytes).lines() {
        let Some((addr, mode)) = line.split_once(' ') else {
            continue;
        };
        let (Some(addr), Some(mode)) = (
            crate::pci::PciAddr::parse(addr),
            crate::devlink::Mode::parse(mode.trim()),
        ) else {
            continue;
        };
        if let Some(i) = inv.pf_by_addr(addr) {
            inv.pfs[i].eswitch = Some(mode);
        }
    }
}

/// The VF settings as a capture stores them: one line per VF,
/// `vf=N key=value...`, values as `list --json` names them.
pub fn vfinfo_text(vfs: &[VfInfo]) -> String {
    let mut out = String::new();
    for v in vfs {
        out.push_str(&format!("vf={}", v.vf));
        if let Some(m) = v.mac {
            out.push_str(&format!(" mac={m}"));
        }
        for (k, n) in [
            ("vlan", v.vlan),
            ("qos", v.qos),
            ("min_tx_rate", v.min_tx_rate),
            ("max_tx_rate", v.max_tx_rate),
        ] {
            if let Some(n) = n {
                out.push_str(&format!(" {k}={n}"));
            }
        }
        if let Some(p) = v.vlan_proto {
            out.push_str(&format!(" vlan_proto={p}"));
        }
        for (k, b) in [
            ("spoofchk", v.spoofchk),
            ("trust", v.trust),
            ("query_rss", v.query_rss),
        ] {
            if let Some(b) = b {
                out.push_str(&format!(" {k}={}", if b { "on" } else { "off" }));
            }
        }
        if let Some(l) = v.link_state {
            out.push_str(&format!(" link_state={}", l.name()));
        }
        for (k, g) in [("node_guid", v.node_guid), ("port_guid", v.port_guid)] {
            if let Some(g) = g {
                out.push_str(&format!(" {k}={g}"));
            }
        }
        out.push('\n');
    }
    out
}

/// Parses what [`vfinfo_text`] wrote; lines that do not parse are skipped.
pub fn parse_vfinfo(text: &str) -> Vec<VfInfo> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut v = VfInfo::default();
        let mut ok = false;
        for word in line.split_whitespace() {
            let Some((k, val)) = word.split_once('=') else {
                continue;
            };
            let num = || crate::text::parse_u32_max(val, u32::MAX);
            let on = || match val {
                "on" => Some(true),
                "off" => Some(false),
                _ => None,
            };
            match k {
                "vf" => {
                    if let Some(n) = num() {
                        v.vf = n;
                        ok = true;
                    }
                }
                "mac" => v.mac = Mac::parse(val.as_bytes()),
                "vlan" => v.vlan = num(),
                "qos" => v.qos = num(),
                "min_tx_rate" => v.min_tx_rate = num(),
                "max_tx_rate" => v.max_tx_rate = num(),
                "spoofchk" => v.spoofchk = on(),
                "trust" => v.trust = on(),
                "query_rss" => v.query_rss = on(),
                "vlan_proto" => v.vlan_proto = val.parse().ok(),
                "link_state" => v.link_state = LinkState::parse(val),
                "node_guid" => v.node_guid = crate::guid::Guid::parse(val.as_bytes()),
                "port_guid" => v.port_guid = crate::guid::Guid::parse(val.as_bytes()),
                _ => {}
            }
        }
        if ok {
            out.push(v);
        }
    }
    out
}

/// The VF settings a capture under `root` holds for each PF, if the root is
/// a capture that has them (`list` shows them as the live system did).
pub fn captured_settings(root: &Root, inv: &mut Inventory) -> bool {
    let dir = root.real(&format!("/{VFINFO_DIR}"));
    if !dir.is_dir() {
        return false;
    }
    for pf in &mut inv.pfs {
        let path = dir.join(pf.addr.to_string());
        let Ok((bytes, _)) = files::read_regular(&path, 1 << 20) else {
            continue;
        };
        let infos = parse_vfinfo(&String::from_utf8_lossy(&bytes));
        for vf in &mut pf.vfs {
            vf.settings = infos.iter().find(|s| Some(s.vf) == vf.index).cloned();
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vf_settings_round_trip_through_their_text() {
        let v = VfInfo {
            vf: 3,
            mac: Mac::parse(b"02:11:22:33:44:55"),
            vlan: Some(100),
            qos: Some(5),
            spoofchk: Some(false),
            trust: Some(true),
            link_state: Some(LinkState::Enable),
            min_tx_rate: Some(0),
            max_tx_rate: Some(200_000),
            vlan_proto: Some(0x88a8),
            query_rss: Some(false),
            node_guid: crate::guid::Guid::parse(b"7e:03:00:a1:b2:c0:00:03"),
            port_guid: crate::guid::Guid::parse(b"00:00:00:00:00:00:00:00"),
            stats: None,
        };
        let sparse = VfInfo {
            vf: 4,
            ..VfInfo::default()
        };
        let text = vfinfo_text(&[v.clone(), sparse.clone()]);
        assert_eq!(parse_vfinfo(&text), [v, sparse]);
        assert_eq!(parse_vfinfo("garbage\nvf=x\n"), []);
    }
}
