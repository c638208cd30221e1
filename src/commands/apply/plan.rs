//! apply's plan, pure: the config and an inventory in, one [`Action`] per
//! count line ([`plan`]) and one [`VfPlan`] per VF its setting lines ask
//! something of ([`plan_vfs`]), with the lines that cannot be applied and
//! why. What a PF's count change then does is `crate::change`'s.

use crate::config::{Config, Line, VfSel};
use crate::inventory::Inventory;
use crate::pci::{DevKey, PciAddr};
use crate::vf::Wanted;
use crate::{out, sriov};

/// What to do about one config line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The PF already has the count.
    Keep {
        /// Its config line (1-based).
        line: usize,
        /// The PF.
        pf: PciAddr,
        /// The count it has and keeps.
        count: u32,
    },
    /// The PF needs to go from one count to another.
    Set {
        /// Its config line (1-based).
        line: usize,
        /// The PF.
        pf: PciAddr,
        /// The count it has.
        from: u32,
        /// The count the entry asks for.
        to: u32,
    },
    /// The line cannot be applied, and why.
    Fail {
        /// Its config line (1-based).
        line: usize,
        /// Why.
        error: String,
    },
}

/// One action per entry or bad line of `cfg`, in file order.
pub fn plan(cfg: &Config, inv: &Inventory) -> Vec<Action> {
    let mut claimed: Vec<(usize, usize)> = Vec::new(); // (pf, line)
    let mut actions = Vec::new();
    for (i, l) in cfg.lines.iter().enumerate() {
        let line = i + 1;
        let fail = |error: String| Action::Fail { line, error };
        let (key, count) = match l {
            Line::Count { key, count, .. } => (key, *count),
            Line::Bad { error, .. } => {
                actions.push(fail(error.clone()));
                continue;
            }
            // VF settings are applied once the counts are right; probe_vf and
            // port_type go to modprobe.d (persist), read when mlx4_core
            // loads; unmanaged_vfs is install's; eswitch goes with its PF's
            // count (Run::counts).
            _ => continue,
        };
        let found = inv.pf_by_key(key);
        let Some(p) = found else {
            actions.push(fail(missing(key, inv)));
            continue;
        };
        let pf = &inv.pfs[p];
        let label = pf.label();
        if !pf.sriov {
            actions.push(fail(crate::msg!("{} does not support SR-IOV", label)));
            continue;
        }
        if let Some(&(_, first)) = claimed.iter().find(|c| c.0 == p) {
            actions.push(fail(crate::msg!(
                "{} already has an entry on line {}; this one is ignored",
                label,
                first
            )));
            continue;
        }
        claimed.push((p, line));
        let (Some(total), Some(num)) = (pf.total_vfs, pf.num_vfs) else {
            actions.push(fail(crate::msg!(
                "{}: cannot read its sriov_totalvfs or sriov_numvfs",
                label
            )));
            continue;
        };
        if !pf.count_at_load() && matches!(l, Line::Count { ports: Some(_), .. }) {
            actions.push(fail(crate::msg!("{}: X,Y,Z counts are for a ConnectX-3 (mlx4_core), whose ports share one function; \
                 its driver is {}: write one number", label, pf.driver.as_deref().unwrap_or("none"))));
        } else if num == count {
            actions.push(Action::Keep {
                line,
                pf: pf.addr,
                count,
            });
        } else if pf.count_at_load() {
            actions.push(fail(drift(pf, num, l)));
        } else if let Err(e) = sriov::check(count, total) {
            let dev = sriov::Device {
                driver: pf.driver.as_deref(),
                vendor: pf.vendor,
                addr: Some(pf.addr),
            };
            actions.push(fail(sriov::plan_error_for(&label, e, &dev).to_string()));
        } else {
            actions.push(Action::Set {
                line,
                pf: pf.addr,
                from: num,
                to: count,
            });
        }
    }
    actions
}

/// A ConnectX-3 whose count is not the entry's: mlx4_core takes it only
/// when it loads, so apply says so and how to fix it, and writes nothing.
fn drift(pf: &crate::inventory::Pf, num: u32, line: &Line) -> String {
    let wanted = match line {
        Line::Count {
            count, ports: None, ..
        } => count.to_string(),
        Line::Count {
            ports: Some([x, y, z]),
            ..
        } => format!("{x},{y},{z}"),
        _ => String::new(),
    };
    let dev = pf.addr;
    crate::msg!(
        "{}: {} now, the config asks for {}; its driver mlx4_core takes the count only when it loads \
         (from {}): vfnet persist {} {} writes it there, then reboot or run vfnet set {} {} \
         --reload (which reloads mlx4_core: every ConnectX-3 port of the host goes down for a moment)",
        pf.label(),
        out::vfs(num),
        wanted,
        crate::mlx4::MODPROBE_FILE,
        dev,
        wanted,
        dev,
        wanted
    )
}

/// One VF to configure, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VfPlan {
    /// Its PF.
    pub pf: PciAddr,
    /// The VF's index.
    pub vf: u32,
    /// The settings its lines ask for.
    pub want: Wanted,
    /// The config lines that asked for it (a failure counts against them).
    pub lines: Vec<usize>,
}

/// What the VF setting lines ask of each VF that exists, and the lines that
/// cannot be applied (unknown device, no such VF) with why. A `vfN` line
/// wins over a `vfs` line of the same setting, wherever it stands.
/// `vfs` gives the VF indices each PF has, or will have once the counts are
/// applied (for `--dry-run`).
pub fn plan_vfs(
    cfg: &Config,
    inv: &Inventory,
    vfs: &dyn Fn(PciAddr) -> Vec<u32>,
) -> (Vec<VfPlan>, Vec<(usize, String)>) {
    let mut errors = Vec::new();
    let mut entries = Vec::new();
    for e in cfg.vf_entries() {
        let found = find(inv, e.key);
        let Some(pf) = found else {
            errors.push((e.line, missing(e.key, inv)));
            continue;
        };
        let indices = vfs(pf);
        let count = indices.len();
        // A VF or range with no VF present is an error; a range partly
        // present applies to the VFs there are.
        if !matches!(e.vf, VfSel::All) && !indices.iter().any(|&i| e.vf.contains(i)) {
            let n = e.vf.to_string().trim_start_matches("vf").to_string();
            errors.push((
                e.line,
                crate::msg!(
                    "{} has no VF {} (it has {})",
                    label_of(inv, pf),
                    n,
                    out::vfs(count as u32)
                ),
            ));
            continue;
        }
        entries.push((pf, e));
    }
    let mut plans = Vec::new();
    let mut pfs: Vec<PciAddr> = entries.iter().map(|(pf, _)| *pf).collect();
    pfs.sort_unstable();
    pfs.dedup();
    for pf in pfs {
        for index in vfs(pf) {
            let mut want = Wanted::default();
            let mut lines = Vec::new();
            // Broader lines first, so that narrower ones (and, among equal
            // ones, later ones) win: vfs < vfA-B < vfN.
            let mut mine: Vec<&crate::config::VfEntry> = entries
                .iter()
                .filter(|(p, e)| *p == pf && e.vf.contains(index))
                .map(|(_, e)| e)
                .collect();
            mine.sort_unstable_by_key(|e| (std::cmp::Reverse(e.vf.width()), e.line));
            for e in mine {
                want.add(e.setting);
                lines.push(e.line);
            }
            if want != Wanted::default() {
                lines.sort_unstable();
                plans.push(VfPlan {
                    pf,
                    vf: index,
                    want,
                    lines,
                });
            }
        }
    }
    (plans, errors)
}

/// How messages name the PF at `addr`.
pub fn label_of(inv: &Inventory, addr: PciAddr) -> String {
    inv.pf_by_addr(addr)
        .map_or_else(|| addr.to_string(), |i| inv.pfs[i].label())
}

/// Consecutive plans of the same PF.
pub fn group_by_pf(plans: &[VfPlan]) -> Vec<(PciAddr, &[VfPlan])> {
    plans
        .chunk_by(|a, b| a.pf == b.pf)
        .map(|g| (g[0].pf, g))
        .collect()
}

/// Why a key matches no PF: it names a VF, or nothing present.
pub fn missing(key: &DevKey, inv: &Inventory) -> String {
    let vf = inv.vfs().find(|(_, v)| match key {
        DevKey::Pci(a) => v.addr == *a,
        DevKey::Name(n) => v.interface.as_ref() == Some(n),
    });
    match vf {
        Some((pf, v)) => crate::msg!(
            "{} is VF {} of {}: VF counts are set on PFs",
            key,
            v.index.map_or("?".to_string(), |i| i.to_string()),
            pf.label()
        ),
        None => match key {
            DevKey::Pci(a) => crate::msg!("no SR-IOV device {} on this system now", a),
            DevKey::Name(n) => crate::msg!("no network interface {} on this system now", n),
        },
    }
}

/// The PF `key` names, if there is one.
pub fn find(inv: &Inventory, key: &DevKey) -> Option<PciAddr> {
    let i = inv.pf_by_key(key)?;
    Some(inv.pfs[i].addr)
}

/// What `have` would be once `changes` (what `want` asks of it) are made,
/// as [`Wanted::current`](crate::vf::Wanted::current) says it.
pub fn planned(
    have: &crate::netlink::VfInfo,
    changes: &[crate::netlink::VfSet],
    want: &crate::vf::Wanted,
) -> Vec<String> {
    use crate::netlink::VfSet;
    let mut h = have.clone();
    for &c in changes {
        match c {
            VfSet::Mac(m) => h.mac = Some(m),
            VfSet::Vlan { vlan, qos } => (h.vlan, h.qos) = (Some(vlan), Some(qos)),
            VfSet::VlanProto { vlan, qos, proto } => {
                (h.vlan, h.qos, h.vlan_proto) = (Some(vlan), Some(qos), Some(proto))
            }
            VfSet::SpoofChk(b) => h.spoofchk = Some(b),
            VfSet::Trust(b) => h.trust = Some(b),
            VfSet::QueryRss(b) => h.query_rss = Some(b),
            VfSet::LinkState(s) => h.link_state = Some(s),
            VfSet::Rate { min, max } => (h.min_tx_rate, h.max_tx_rate) = (Some(min), Some(max)),
            VfSet::NodeGuid(g) => h.node_guid = Some(g),
            VfSet::PortGuid(g) => h.port_guid = Some(g),
        }
    }
    want.current(&h)
}

/// Every setting `p` asks for, as `NAME VALUE`.
pub fn wanted(p: &VfPlan) -> Vec<String> {
    p.want
        .settings()
        .iter()
        .map(|s| format!("{} {s}", s.name()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ifname::IfName;
    use crate::inventory::{Pf, Vf};
    use crate::pci::PciAddr;
    use std::path::PathBuf;

    fn a(s: &str) -> PciAddr {
        PciAddr::parse(s).unwrap()
    }

    fn pf(addr: &str, name: &str, sriov: bool, total: u32, num: u32) -> Pf {
        Pf {
            addr: PciAddr::parse(addr).unwrap(),
            interfaces: vec![IfName::parse(name).unwrap()],
            subsystem: None,
            vendor: None,
            device: None,
            description: None,
            driver: None,
            sriov,
            total_vfs: sriov.then_some(total),
            num_vfs: sriov.then_some(num),
            iommu_group: None,
            up: false,
            configured: None,
            eswitch: None,
            port_types: None,
            vfs: Vec::new(),
        }
    }

    fn inv() -> Inventory {
        let mut eth1 = pf("0000:01:00.1", "eth1", true, 7, 2);
        eth1.vfs.push(Vf {
            index: Some(0),
            interface: Some(IfName::parse("eth1v0").unwrap()),
            ..Vf::new(PciAddr::parse("0000:01:10.1").unwrap())
        });
        Inventory {
            others: Vec::new(),
            pfs: vec![
                pf("0000:01:00.0", "eth0", true, 7, 0),
                eth1,
                pf("0000:05:00.0", "eth5", false, 0, 0),
            ],
            usage_known: false,
            usage_incomplete: false,
            settings_known: false,
        }
    }

    fn plan_of(text: &str) -> Vec<Action> {
        plan(&Config::parse(PathBuf::from("/c"), text), &inv())
    }

    #[test]
    fn vf_lines_give_each_vf_its_settings_and_one_vf_lines_win() {
        let mut inv = inv();
        for i in 1..3 {
            let mut v = inv.pfs[1].vfs[0].clone();
            v.index = Some(i);
            inv.pfs[1].vfs.push(v);
        }
        let cfg = Config::parse(
            PathBuf::from("/c"),
            "eth1.vf1.vlan=7\neth1.vfs.mac=auto\neth1.vfs.vlan=5\n0000:01:00.1.vf2.driver=vfio-pci\neth1.vf9.trust=on\neth9.vfs.trust=on\n",
        );
        let vfs = |pf: PciAddr| {
            let i = inv.pf_by_addr(pf).unwrap();
            inv.pfs[i].vfs.iter().filter_map(|v| v.index).collect()
        };
        let (plans, errors) = plan_vfs(&cfg, &inv, &vfs);
        let errors: Vec<(usize, &str)> = errors.iter().map(|(l, e)| (*l, e.as_str())).collect();
        assert_eq!(
            errors,
            [
                (5, "eth1 (0000:01:00.1) has no VF 9 (it has 3 VFs)"),
                (6, "no network interface eth9 on this system now")
            ]
        );
        let want = |vlan, driver| Wanted {
            mac: Some(crate::vf::MacSpec::Auto),
            vlan: Some(vlan),
            driver,
            ..Wanted::default()
        };
        assert_eq!(
            plans,
            [
                VfPlan {
                    pf: a("0000:01:00.1"),
                    vf: 0,
                    want: want(5, None),
                    lines: vec![2, 3],
                },
                VfPlan {
                    pf: a("0000:01:00.1"),
                    vf: 1,
                    want: want(7, None),
                    lines: vec![1, 2, 3],
                },
                VfPlan {
                    pf: a("0000:01:00.1"),
                    vf: 2,
                    want: want(5, Some(crate::vf::Driver::VfioPci)),
                    lines: vec![2, 3, 4],
                },
            ]
        );
    }

    #[test]
    fn narrower_lines_win_over_broader_ones_and_ranges_make_pools() {
        let mut inv = inv();
        for i in 1..8 {
            let mut v = inv.pfs[1].vfs[0].clone();
            v.index = Some(i);
            inv.pfs[1].vfs.push(v);
        }
        let cfg = Config::parse(
            PathBuf::from("/c"),
            "eth1.vf2.vlan=9\neth1.vf0-3.driver=vfio-pci\neth1.vf0-7.vlan=5\neth1.vfs.vlan=1\neth1.vf0-1.vlan=7\neth1.vf8-9.trust=on\n",
        );
        let vfs = |pf: PciAddr| {
            let i = inv.pf_by_addr(pf).unwrap();
            inv.pfs[i].vfs.iter().filter_map(|v| v.index).collect()
        };
        let (plans, errors) = plan_vfs(&cfg, &inv, &vfs);
        assert_eq!(
            errors,
            [(
                6,
                "eth1 (0000:01:00.1) has no VF 8-9 (it has 8 VFs)".to_string()
            )]
        );
        let got: Vec<(u32, Option<u32>, bool)> = plans
            .iter()
            .map(|p| (p.vf, p.want.vlan, p.want.driver.is_some()))
            .collect();
        assert_eq!(
            got,
            [
                (0, Some(7), true),
                (1, Some(7), true),
                (2, Some(9), true),
                (3, Some(5), true),
                (4, Some(5), false),
                (5, Some(5), false),
                (6, Some(5), false),
                (7, Some(5), false),
            ]
        );
    }

    #[test]
    fn a_dry_run_says_what_each_vf_would_have_after() {
        use crate::netlink::VfInfo;
        let have = VfInfo {
            vf: 1,
            mac: Some(crate::mac::Mac([0; 6])),
            vlan: Some(0),
            qos: Some(0),
            trust: Some(false),
            spoofchk: Some(true),
            ..VfInfo::default()
        };
        let mut want = Wanted::default();
        for (k, v) in [
            ("mac", "auto"),
            ("vlan", "7"),
            ("trust", "off"),
            ("rate", "0,100"),
        ] {
            want.add(crate::vf::Setting::parse(k, v).unwrap());
        }
        let p = VfPlan {
            pf: a("0000:01:00.0"),
            vf: 1,
            want,
            lines: vec![1],
        };
        assert_eq!(
            p.want.current(&have),
            ["mac 00:00:00:00:00:00", "vlan 0", "trust off", "rate ?"]
        );
        let pf_mac = crate::mac::Mac::parse(b"02:00:00:00:00:10");
        assert_eq!(
            planned(
                &have,
                &p.want.changes(&have, &crate::netlink::PfIds::mac(pf_mac)),
                &p.want
            ),
            [
                format!("mac {}", crate::vf::auto_mac(pf_mac.unwrap(), 1)),
                "vlan 7".to_string(),
                "trust off".to_string(),
                "rate 0,100".to_string()
            ]
        );
    }

    #[test]
    fn entries_that_match_are_kept_and_others_set() {
        assert_eq!(
            plan_of("# x\n0000:01:00.0=4\neth1=2\n"),
            [
                Action::Set {
                    line: 2,
                    pf: a("0000:01:00.0"),
                    from: 0,
                    to: 4
                },
                Action::Keep {
                    line: 3,
                    pf: a("0000:01:00.1"),
                    count: 2
                }
            ]
        );
    }

    #[test]
    fn bad_entries_fail_alone_in_file_order() {
        let got = plan_of(
            "junk\neth9=1\neth1v0=1\neth1=8\neth5=1\n0000:01:00.0=3\neth0=1\n0000:01:10.1=1\n",
        );
        let errors: Vec<(usize, &str)> = got
            .iter()
            .filter_map(|a| match a {
                Action::Fail { line, error } => Some((*line, error.as_str())),
                _ => None,
            })
            .collect();
        let wants = [
            (1, "expected KEY=N"),
            (2, "no network interface eth9"),
            (3, "eth1v0 is VF 0 of eth1 (0000:01:00.1)"),
            (4, "at most 7"),
            (5, "does not support SR-IOV"),
            (7, "already has an entry on line 6"),
            (8, "0000:01:10.1 is VF 0"),
        ];
        assert_eq!(errors.len(), wants.len(), "{got:?}");
        for ((line, error), (want_line, want)) in errors.iter().zip(wants) {
            assert_eq!(*line, want_line);
            assert!(error.contains(want), "line {line}: {error}");
        }
        assert!(got.contains(&Action::Set {
            line: 6,
            pf: a("0000:01:00.0"),
            from: 0,
            to: 3
        }));
    }
}
