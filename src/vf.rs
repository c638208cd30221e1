//! Per-VF settings: what a user can ask for (from the command line or the
//! config file, parsed in one place), stable MACs, and what it takes to get
//! there from what the PF's driver reports (one netlink change per setting).
//! Pure, except [`bind`] and [`rebind`] (`vf/binding.rs`), which write the
//! PCI core's files.
//!
//! Stable MACs: `mac auto` gives VF n of a PF whose permanent MAC is
//! `p0:p1:p2:p3:p4:p5` the address
//!
//! ```text
//!   (p0 ^ p1 ^ p2) & 0xfc | 0x02 : p3 : p4 : p5 : n >> 8 : n & 0xff
//! ```
//!
//! locally administered (bit 1 set) and unicast (bit 0 clear). The PF's own
//! 24 bits under its vendor's OUI, which differ between the ports and cards
//! of a host, come first, then the VF's index, so every VF of every PF gets
//! its own address, the same on every boot and after every `set 0`/`set N`.
//! The first byte mixes in the OUI, so that two vendors' cards with the same
//! low 24 bits still differ (63 times in 64).

use crate::error::Error;
use crate::guid::Guid;
use crate::mac::Mac;
use crate::netlink::{LinkState, PfIds, VfInfo, VfSet};
use crate::text::quote;
use std::fmt;

/// Binding a VF's driver.
mod binding;
pub use binding::{BindError, bind, rebind};

/// The MAC for VF `index` of a PF with permanent MAC `pf`.
pub fn auto_mac(pf: Mac, index: u32) -> Mac {
    let p = pf.0;
    Mac([
        (p[0] ^ p[1] ^ p[2]) & 0xfc | 0x02,
        p[3],
        p[4],
        p[5],
        (index >> 8) as u8,
        index as u8,
    ])
}

/// The MAC a user asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacSpec {
    /// The stable MAC [`auto_mac`] derives.
    Auto,
    /// This MAC.
    Addr(Mac),
}

/// The GUID a user asks for (`node_guid`, `port_guid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuidSpec {
    /// The stable GUID [`Guid::auto`] derives.
    Auto,
    /// This GUID.
    Is(Guid),
}

impl GuidSpec {
    /// The GUID for VF `index` of the PF: `None` for `auto` when the PF
    /// has no GUID or MAC to derive it from.
    pub fn resolve(self, pf: &PfIds, index: u32) -> Option<Guid> {
        match self {
            GuidSpec::Is(g) => Some(g),
            GuidSpec::Auto => pf.guid.map(|g| g.auto(index)),
        }
    }
}

/// Which driver a VF should have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    /// vfio-pci, for passthrough to a VM.
    VfioPci,
    /// Whatever the kernel binds by itself (the VF's own driver).
    Default,
}

/// One setting, as it is named on the command line and in the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// `mac`.
    Mac(MacSpec),
    /// `vlan`.
    Vlan(u32),
    /// `qos`.
    Qos(u32),
    /// `trust`.
    Trust(bool),
    /// `spoofchk`.
    SpoofChk(bool),
    /// `state`.
    State(LinkState),
    /// Min and max TX rate in Mbit/s.
    Rate(u32, u32),
    /// `driver`.
    Driver(Driver),
    /// The VLAN's protocol: `ETH_P_8021Q` or `ETH_P_8021AD`.
    Proto(u16),
    /// Let the VF query the PF's RSS configuration.
    QueryRss(bool),
    /// The MTU of the VF's netdev on the host (the PF's is raised to it).
    Mtu(u32),
    /// An InfiniBand VF's node GUID.
    NodeGuid(GuidSpec),
    /// An InfiniBand VF's port GUID.
    PortGuid(GuidSpec),
}

/// The setting names, in the order they are applied and shown.
pub const NAMES: [&str; 13] = [
    "mac",
    "node_guid",
    "port_guid",
    "vlan",
    "qos",
    "proto",
    "trust",
    "spoofchk",
    "query_rss",
    "state",
    "rate",
    "mtu",
    "driver",
];

/// A MAC a VF may hold: unicast.
fn unicast(value: &str) -> std::result::Result<Mac, String> {
    match Mac::parse(value.as_bytes()) {
        Some(m) if m.0[0] & 1 == 0 => Ok(m),
        Some(_) => Err(crate::msg!(
            "{} is a multicast address: a VF needs a unicast MAC",
            quote(value)
        )),
        None => Err(crate::msg!(
            "mac takes auto or an address like 02:00:00:00:00:01, not '{}'",
            quote(value)
        )),
    }
}

/// `auto` or a GUID.
fn guid(name: &str, value: &str) -> std::result::Result<GuidSpec, String> {
    match value {
        "auto" => Ok(GuidSpec::Auto),
        _ => Guid::parse(value.as_bytes())
            .map(GuidSpec::Is)
            .ok_or_else(|| {
                crate::msg!(
                    "{} takes auto or a GUID like 00:11:22:33:44:55:66:77, not '{}'",
                    name,
                    quote(value)
                )
            }),
    }
}

/// `MIN,MAX` in Mbit/s (0: no limit, MIN <= MAX). The kernel's rates are
/// u32 Mbit/s: 100 and 200 GbE need more than 65535.
fn rate(value: &str) -> std::result::Result<(u32, u32), String> {
    let rate = value.split_once(',').and_then(|(a, b)| {
        let (min, max) = (
            crate::text::parse_u32_max(a, u32::MAX)?,
            crate::text::parse_u32_max(b, u32::MAX)?,
        );
        (max == 0 || min <= max).then_some((min, max))
    });
    rate.ok_or_else(|| {
        crate::msg!(
            "rate takes MIN,MAX in Mbit/s (0: no limit, MIN <= MAX), not '{}'",
            quote(value)
        )
    })
}

impl Setting {
    /// Parses `name` and its value (`rate` takes `MIN,MAX`). The error says
    /// what values the setting takes.
    pub fn parse(name: &str, value: &str) -> std::result::Result<Setting, String> {
        let on_off = || {
            crate::text::boolean(value).ok_or_else(|| {
                crate::msg!(
                    "{} takes on or off (or yes/no, true/false, 1/0), not '{}'",
                    name,
                    quote(value)
                )
            })
        };
        let number = |max: u32, what: &str| {
            crate::text::parse_u32_max(value, max)
                .ok_or_else(|| crate::msg!("{} takes {}, not '{}'", name, what, quote(value)))
        };
        Ok(match name {
            "node_guid" => Setting::NodeGuid(guid(name, value)?),
            "port_guid" => Setting::PortGuid(guid(name, value)?),
            "mac" if value == "auto" => Setting::Mac(MacSpec::Auto),
            "mac" => Setting::Mac(MacSpec::Addr(unicast(value)?)),
            "vlan" => Setting::Vlan(number(4095, "a VLAN id from 0 (none) to 4095")?),
            "qos" => Setting::Qos(number(7, "a priority from 0 to 7")?),
            "trust" => Setting::Trust(on_off()?),
            "query_rss" => Setting::QueryRss(on_off()?),
            "mtu" => Setting::Mtu(
                number(65535, "an MTU from 68 to 65535")
                    .ok()
                    .filter(|&m| m >= 68)
                    .ok_or_else(|| {
                        crate::msg!("mtu takes an MTU from 68 to 65535, not '{}'", quote(value))
                    })?,
            ),
            "proto" => Setting::Proto(match value {
                "802.1Q" | "802.1q" => crate::netlink::ETH_P_8021Q,
                "802.1ad" | "802.1AD" => crate::netlink::ETH_P_8021AD,
                _ => {
                    return Err(crate::msg!(
                        "proto takes 802.1Q or 802.1ad, not '{}'",
                        quote(value)
                    ));
                }
            }),
            "spoofchk" => Setting::SpoofChk(on_off()?),
            "state" => Setting::State(LinkState::parse(value).ok_or_else(|| {
                crate::msg!(
                    "state takes auto, enable or disable, not '{}'",
                    quote(value)
                )
            })?),
            "rate" => {
                let (min, max) = rate(value)?;
                Setting::Rate(min, max)
            }
            "driver" => match value {
                "vfio-pci" => Setting::Driver(Driver::VfioPci),
                "default" => Setting::Driver(Driver::Default),
                _ => {
                    return Err(crate::msg!(
                        "driver takes vfio-pci or default, not '{}'",
                        quote(value)
                    ));
                }
            },
            _ => {
                return Err(crate::msg!(
                    "unknown VF setting '{}'{} (settings: {})",
                    quote(name),
                    crate::text::did_you_mean(name, &NAMES),
                    NAMES.join(", ")
                ));
            }
        })
    }

    /// Its config key name (`mac`, `vlan`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Setting::Mac(_) => "mac",
            Setting::Vlan(_) => "vlan",
            Setting::Qos(_) => "qos",
            Setting::Trust(_) => "trust",
            Setting::SpoofChk(_) => "spoofchk",
            Setting::State(_) => "state",
            Setting::Rate(..) => "rate",
            Setting::Driver(_) => "driver",
            Setting::Proto(_) => "proto",
            Setting::QueryRss(_) => "query_rss",
            Setting::Mtu(_) => "mtu",
            Setting::NodeGuid(_) => "node_guid",
            Setting::PortGuid(_) => "port_guid",
        }
    }
}

/// The value as the config file and messages write it.
impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on = |b: bool| if b { "on" } else { "off" };
        match self {
            Setting::Mac(MacSpec::Auto)
            | Setting::NodeGuid(GuidSpec::Auto)
            | Setting::PortGuid(GuidSpec::Auto) => f.write_str("auto"),
            Setting::NodeGuid(GuidSpec::Is(g)) | Setting::PortGuid(GuidSpec::Is(g)) => g.fmt(f),
            Setting::Mac(MacSpec::Addr(m)) => m.fmt(f),
            Setting::Vlan(n) | Setting::Qos(n) => n.fmt(f),
            Setting::Trust(b) | Setting::SpoofChk(b) => f.write_str(on(*b)),
            Setting::State(s) => f.write_str(s.name()),
            Setting::Rate(a, b) => write!(f, "{a},{b}"),
            Setting::Driver(Driver::VfioPci) => f.write_str("vfio-pci"),
            Setting::Driver(Driver::Default) => f.write_str("default"),
            Setting::Proto(p) => f.write_str(&crate::netlink::proto_name(*p)),
            Setting::QueryRss(b) => f.write_str(on(*b)),
            Setting::Mtu(m) => m.fmt(f),
        }
    }
}

/// Everything asked of one VF; later settings of the same name win.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wanted {
    /// `mac`, when asked for.
    pub mac: Option<MacSpec>,
    /// `vlan`, when asked for.
    pub vlan: Option<u32>,
    /// `qos`, when asked for.
    pub qos: Option<u32>,
    /// `trust`, when asked for.
    pub trust: Option<bool>,
    /// `spoofchk`, when asked for.
    pub spoofchk: Option<bool>,
    /// `state`, when asked for.
    pub state: Option<LinkState>,
    /// `rate`, when asked for.
    pub rate: Option<(u32, u32)>,
    /// `driver`, when asked for.
    pub driver: Option<Driver>,
    /// `proto`, when asked for.
    pub proto: Option<u16>,
    /// `query_rss`, when asked for.
    pub query_rss: Option<bool>,
    /// `mtu`, when asked for.
    pub mtu: Option<u32>,
    /// `node_guid`, when asked for.
    pub node_guid: Option<GuidSpec>,
    /// `port_guid`, when asked for.
    pub port_guid: Option<GuidSpec>,
}

impl Wanted {
    /// Adds a setting; a later one of the same name replaces it.
    pub fn add(&mut self, s: Setting) {
        match s {
            Setting::Mac(m) => self.mac = Some(m),
            Setting::Vlan(v) => self.vlan = Some(v),
            Setting::Qos(q) => self.qos = Some(q),
            Setting::Trust(b) => self.trust = Some(b),
            Setting::SpoofChk(b) => self.spoofchk = Some(b),
            Setting::State(l) => self.state = Some(l),
            Setting::Rate(a, b) => self.rate = Some((a, b)),
            Setting::Driver(d) => self.driver = Some(d),
            Setting::Proto(p) => self.proto = Some(p),
            Setting::QueryRss(b) => self.query_rss = Some(b),
            Setting::Mtu(m) => self.mtu = Some(m),
            Setting::NodeGuid(g) => self.node_guid = Some(g),
            Setting::PortGuid(g) => self.port_guid = Some(g),
        }
    }

    /// The settings asked for, in [`NAMES`] order.
    pub fn settings(&self) -> Vec<Setting> {
        let Wanted {
            mac,
            vlan,
            qos,
            trust,
            spoofchk,
            state,
            rate,
            driver,
            proto,
            query_rss,
            mtu,
            node_guid,
            port_guid,
        } = *self;
        let mut out = Vec::new();
        out.extend(mac.map(Setting::Mac));
        out.extend(node_guid.map(Setting::NodeGuid));
        out.extend(port_guid.map(Setting::PortGuid));
        out.extend(vlan.map(Setting::Vlan));
        out.extend(qos.map(Setting::Qos));
        out.extend(proto.map(Setting::Proto));
        out.extend(trust.map(Setting::Trust));
        out.extend(spoofchk.map(Setting::SpoofChk));
        out.extend(query_rss.map(Setting::QueryRss));
        out.extend(state.map(Setting::State));
        out.extend(rate.map(|(a, b)| Setting::Rate(a, b)));
        out.extend(mtu.map(Setting::Mtu));
        out.extend(driver.map(Setting::Driver));
        out
    }

    /// What `have` holds of each rtnetlink setting asked for, as `NAME
    /// VALUE` (`NAME ?` when the driver does not report it). The driver and
    /// the MTU live outside rtnetlink's VF info: they are not in it.
    pub fn current(&self, have: &VfInfo) -> Vec<String> {
        let mut out = Vec::new();
        let mut one = |name: &str, s: Option<Setting>| {
            out.push(match s {
                Some(s) => format!("{name} {s}"),
                None => format!("{name} ?"),
            })
        };
        if self.mac.is_some() {
            one("mac", have.mac.map(|m| Setting::Mac(MacSpec::Addr(m))));
        }
        let guid = |g: Option<Guid>| g.map(GuidSpec::Is);
        if self.node_guid.is_some() {
            one("node_guid", guid(have.node_guid).map(Setting::NodeGuid));
        }
        if self.port_guid.is_some() {
            one("port_guid", guid(have.port_guid).map(Setting::PortGuid));
        }
        if self.vlan.is_some() {
            one("vlan", have.vlan.map(Setting::Vlan));
        }
        if self.qos.is_some() {
            one("qos", have.qos.map(Setting::Qos));
        }
        if self.proto.is_some() {
            let proto = have
                .vlan_proto
                .or(have.vlan.map(|_| crate::netlink::ETH_P_8021Q));
            one("proto", proto.map(Setting::Proto));
        }
        if self.trust.is_some() {
            one("trust", have.trust.map(Setting::Trust));
        }
        if self.spoofchk.is_some() {
            one("spoofchk", have.spoofchk.map(Setting::SpoofChk));
        }
        if self.query_rss.is_some() {
            one("query_rss", have.query_rss.map(Setting::QueryRss));
        }
        if self.state.is_some() {
            one("state", have.link_state.map(Setting::State));
        }
        if self.rate.is_some() {
            let rate = have.min_tx_rate.zip(have.max_tx_rate);
            one("rate", rate.map(|(a, b)| Setting::Rate(a, b)));
        }
        out
    }

    /// Whether any setting goes over netlink (all but the driver).
    pub fn needs_netlink(&self) -> bool {
        let Wanted {
            driver: _,
            mac,
            vlan,
            qos,
            trust,
            spoofchk,
            state,
            rate,
            proto,
            query_rss,
            mtu: _,
            node_guid,
            port_guid,
        } = self;
        mac.is_some()
            || node_guid.is_some()
            || port_guid.is_some()
            || vlan.is_some()
            || qos.is_some()
            || proto.is_some()
            || query_rss.is_some()
            || trust.is_some()
            || spoofchk.is_some()
            || state.is_some()
            || rate.is_some()
    }

    /// The MAC asked for, resolved against the PF's permanent MAC.
    pub fn mac_for(&self, pf: Option<Mac>, index: u32) -> Option<std::result::Result<Mac, ()>> {
        match self.mac? {
            MacSpec::Addr(m) => Some(Ok(m)),
            MacSpec::Auto => Some(pf.map(|p| auto_mac(p, index)).ok_or(())),
        }
    }

    /// Why settings asked for cannot be made on VF `index` of this PF, one
    /// line each: `mac auto` without a PF MAC, GUIDs on a PF that is not
    /// InfiniBand. The others are still made ([`Wanted::changes`] leaves
    /// these out), by a run and in a dry run's plan alike.
    pub fn refused(&self, pf: &PfIds, index: u32) -> Vec<String> {
        let mut out = Vec::new();
        if self.mac_for(pf.mac, index) == Some(Err(())) {
            out.push(crate::msg!(
                "mac auto needs the PF's MAC, which it does not report"
            ));
        }
        let guids: Vec<&str> = [("node_guid", self.node_guid), ("port_guid", self.port_guid)]
            .into_iter()
            .filter_map(|(n, g)| g.map(|_| n))
            .collect();
        if !guids.is_empty() && !pf.ib {
            out.push(crate::msg!("{}: GUIDs are for InfiniBand VFs, and the PF's interface is not InfiniBand (IPoIB)", guids.join(", ")));
        }
        out
    }

    /// The netlink changes that take a VF from `have` to what is wanted: only
    /// the settings that differ (a setting the driver does not report is
    /// always sent). `pf` is what `mac auto` and `node_guid auto` derive
    /// from; what [`Wanted::refused`] names is left out.
    pub fn changes(&self, have: &VfInfo, pf: &PfIds) -> Vec<VfSet> {
        let mut out = Vec::new();
        if let Some(Ok(m)) = self.mac_for(pf.mac, have.vf) {
            if have.mac != Some(m) {
                out.push(VfSet::Mac(m));
            }
        }
        if pf.ib {
            let guid = |g: Option<GuidSpec>| g.and_then(|g| g.resolve(pf, have.vf));
            if let Some(g) = guid(self.node_guid).filter(|g| have.node_guid != Some(*g)) {
                out.push(VfSet::NodeGuid(g));
            }
            if let Some(g) = guid(self.port_guid).filter(|g| have.port_guid != Some(*g)) {
                out.push(VfSet::PortGuid(g));
            }
        }
        if self.vlan.is_some() || self.qos.is_some() || self.proto.is_some() {
            let vlan = self.vlan.or(have.vlan).unwrap_or(0);
            let qos = self.qos.unwrap_or(0);
            match self.proto {
                // A protocol asked for: IFLA_VF_VLAN_LIST, which carries it.
                Some(proto) => {
                    let now = have.vlan_proto.unwrap_or(crate::netlink::ETH_P_8021Q);
                    if (have.vlan, have.qos, now) != (Some(vlan), Some(qos), proto) {
                        out.push(VfSet::VlanProto { vlan, qos, proto });
                    }
                }
                None if (have.vlan, have.qos) != (Some(vlan), Some(qos)) => {
                    out.push(VfSet::Vlan { vlan, qos });
                }
                None => {}
            }
        }
        if let Some(b) = self.spoofchk.filter(|b| have.spoofchk != Some(*b)) {
            out.push(VfSet::SpoofChk(b));
        }
        if let Some(b) = self.trust.filter(|b| have.trust != Some(*b)) {
            out.push(VfSet::Trust(b));
        }
        if let Some(b) = self.query_rss.filter(|b| have.query_rss != Some(*b)) {
            out.push(VfSet::QueryRss(b));
        }
        if let Some(s) = self.state.filter(|s| have.link_state != Some(*s)) {
            out.push(VfSet::LinkState(s));
        }
        if let Some((min, max)) = self
            .rate
            .filter(|r| (have.min_tx_rate, have.max_tx_rate) != (Some(r.0), Some(r.1)))
        {
            out.push(VfSet::Rate { min, max });
        }
        out
    }
}

/// What the kernel's refusal of a VF setting means, naming the VF and it.
pub fn set_error(vf: &str, set: &VfSet, e: nix::errno::Errno) -> Error {
    use nix::errno::Errno::*;
    let why = match e {
        EOPNOTSUPP => crate::msg!("the PF's driver does not support this setting"),
        EINVAL => crate::msg!(
            "the driver refused the value (out of range for this NIC, or not allowed now; dmesg may say why)"
        ),
        ERANGE => crate::msg!("the value is out of range for this NIC"),
        EPROTONOSUPPORT => crate::msg!("the PF's driver does not support this VLAN protocol"),
        EPERM | EACCES => crate::msg!("permission denied: run vfnet as root"),
        other => crate::error::strerror(other).to_string(),
    };
    Error::fail(crate::msg!("{}: {}: {}", vf, set, why))
}

/// Which VFs a setting line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VfSel {
    /// `vfN`.
    One(u32),
    /// `vfA-B`: VFs A to B (a pool of the PF's VFs).
    Range(u32, u32),
    /// `vfs`: every VF of the PF.
    All,
}

impl VfSel {
    /// Whether VF `i` is one of these.
    pub fn contains(&self, i: u32) -> bool {
        match *self {
            VfSel::One(n) => n == i,
            VfSel::Range(a, b) => (a..=b).contains(&i),
            VfSel::All => true,
        }
    }

    /// How many VFs it names (all: the most): a narrower line wins over a
    /// broader one for the same setting (`vfs` < `vf0-7` < `vf0-3` < `vf2`).
    pub fn width(&self) -> u64 {
        match *self {
            VfSel::One(_) => 1,
            VfSel::Range(a, b) => (b - a) as u64 + 1,
            VfSel::All => u64::MAX,
        }
    }
}

impl std::fmt::Display for VfSel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VfSel::One(n) => write!(f, "vf{n}"),
            VfSel::Range(a, b) => write!(f, "vf{a}-{b}"),
            VfSel::All => f.write_str("vfs"),
        }
    }
}

/// `3` → one VF, `0-3` → a range (A <= B), at most 65535: a VF index or
/// range as the command line and config keys write it.
pub fn parse_vf_sel(s: &str) -> Option<VfSel> {
    let parse_count = |n: &str| crate::text::parse_u32_max(n, 65535);
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (parse_count(a)?, parse_count(b)?);
            (a <= b).then_some(VfSel::Range(a, b))
        }
        None => parse_count(s).map(VfSel::One),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Mac {
        Mac::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn auto_macs_are_local_unicast_stable_and_distinct() {
        let pf = m("52:54:00:12:34:56");
        assert_eq!(auto_mac(pf, 0).to_string(), "06:12:34:56:00:00");
        assert_eq!(auto_mac(pf, 258).to_string(), "06:12:34:56:01:02");
        assert_eq!(auto_mac(pf, 3), auto_mac(pf, 3));
        // Two ports of a card (consecutive MACs), 256 VFs each: all distinct.
        let mut all: Vec<Mac> = [
            "a0:36:9f:00:00:10",
            "a0:36:9f:00:00:11",
            "00:1b:21:00:00:10",
        ]
        .iter()
        .flat_map(|p| (0..256).map(move |i| auto_mac(m(p), i)))
        .collect();
        assert!(all.iter().all(|a| a.0[0] & 1 == 0 && a.0[0] & 2 == 2));
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n);
    }

    #[test]
    fn settings_parse_and_print_back() {
        for (name, value) in [
            ("mac", "auto"),
            ("mac", "02:11:22:33:44:55"),
            ("vlan", "100"),
            ("qos", "7"),
            ("trust", "on"),
            ("spoofchk", "off"),
            ("state", "disable"),
            ("rate", "0,1000"),
            ("rate", "0,200000"),
            ("rate", "4294967295,4294967295"),
            ("driver", "vfio-pci"),
            ("driver", "default"),
            ("mtu", "9000"),
        ] {
            let s = Setting::parse(name, value).unwrap();
            assert_eq!((s.name(), s.to_string().as_str()), (name, value));
        }
    }

    #[test]
    fn bad_values_say_what_the_setting_takes() {
        for (name, value, want) in [
            ("mac", "01:00:5e:00:00:01", "multicast"),
            ("mac", "nope", "mac takes auto or an address"),
            ("vlan", "4096", "vlan takes a VLAN id from 0 (none) to 4095"),
            ("qos", "8", "qos takes a priority from 0 to 7"),
            ("trust", "maybe", "trust takes on or off"),
            ("state", "up", "state takes auto, enable or disable"),
            ("rate", "100,10", "MIN <= MAX"),
            ("rate", "100", "rate takes MIN,MAX"),
            ("rate", "0,4294967296", "rate takes MIN,MAX"),
            ("driver", "igbvf", "driver takes vfio-pci or default"),
            ("mtu", "67", "mtu takes an MTU from 68 to 65535"),
            ("mtu", "70000", "mtu takes an MTU from 68 to 65535"),
            ("color", "red", "unknown VF setting 'color'"),
        ] {
            let e = Setting::parse(name, value).unwrap_err();
            assert!(e.contains(want), "{name}={value}: {e}");
        }
    }

    #[test]
    fn guids_are_set_on_infiniband_pfs_only_and_auto_is_stable() {
        let g = |s: &str| Guid::parse(s.as_bytes()).unwrap();
        let mut w = Wanted::default();
        w.add(Setting::parse("node_guid", "auto").unwrap());
        w.add(Setting::parse("port_guid", "00:11:22:33:44:55:66:77").unwrap());
        w.add(Setting::Trust(true));
        assert_eq!(
            w.settings()
                .iter()
                .map(|s| format!("{} {s}", s.name()))
                .collect::<Vec<_>>(),
            [
                "node_guid auto",
                "port_guid 00:11:22:33:44:55:66:77",
                "trust on"
            ]
        );
        let ib = PfIds {
            mac: None,
            guid: Some(g("b8:59:9f:03:00:a1:b2:c0")),
            ib: true,
        };
        let have = VfInfo {
            vf: 4,
            node_guid: Some(Guid([0; 8])),
            port_guid: Some(Guid([0; 8])),
            trust: Some(false),
            ..VfInfo::default()
        };
        assert_eq!(
            w.changes(&have, &ib),
            [
                VfSet::NodeGuid(g("7e:03:00:a1:b2:c0:00:04")),
                VfSet::PortGuid(g("00:11:22:33:44:55:66:77")),
                VfSet::Trust(true)
            ]
        );
        assert!(w.refused(&ib, 4).is_empty());
        let done = VfInfo {
            node_guid: Some(g("7e:03:00:a1:b2:c0:00:04")),
            port_guid: Some(g("00:11:22:33:44:55:66:77")),
            trust: Some(true),
            ..have.clone()
        };
        assert_eq!(w.changes(&done, &ib), []);
        assert_eq!(
            w.current(&done),
            [
                "node_guid 7e:03:00:a1:b2:c0:00:04",
                "port_guid 00:11:22:33:44:55:66:77",
                "trust on"
            ]
        );
        // An Ethernet PF (the QEMU igb): the GUIDs refused in one line, the
        // rest still made.
        let eth = PfIds::mac(Some(m("52:54:00:12:34:56")));
        assert_eq!(w.changes(&have, &eth), [VfSet::Trust(true)]);
        assert_eq!(
            w.refused(&eth, 4),
            [
                "node_guid, port_guid: GUIDs are for InfiniBand VFs, and the PF's interface is not InfiniBand (IPoIB)"
            ]
        );
        // auto with nothing to derive it from makes up nothing.
        let bare = PfIds {
            ib: true,
            ..PfIds::default()
        };
        assert_eq!(w.changes(&have, &bare).len(), 2);
        for bad in ["00:11:22:33:44:55:66", "auto,", "0011:2233:4455:6677", ""] {
            let e = Setting::parse("node_guid", bad).unwrap_err();
            assert!(
                e.starts_with("node_guid takes auto or a GUID like 00:11:22:33:44:55:66:77"),
                "{e}"
            );
        }
    }

    #[test]
    fn only_what_differs_is_sent() {
        let have = VfInfo {
            vf: 2,
            mac: Some(Mac([0; 6])),
            vlan: Some(0),
            qos: Some(0),
            spoofchk: Some(true),
            trust: Some(false),
            link_state: Some(LinkState::Auto),
            min_tx_rate: Some(0),
            max_tx_rate: Some(0),
            vlan_proto: Some(0x8100),
            query_rss: Some(false),
            node_guid: None,
            port_guid: None,
            stats: None,
        };
        let pf = &PfIds::mac(Some(m("52:54:00:12:34:56")));
        let mut w = Wanted::default();
        assert_eq!(w.changes(&have, pf), []);
        w.add(Setting::Mac(MacSpec::Auto));
        w.add(Setting::Vlan(100));
        w.add(Setting::SpoofChk(true)); // already on
        w.add(Setting::Trust(true));
        w.add(Setting::State(LinkState::Auto)); // already auto
        w.add(Setting::Rate(0, 500));
        assert_eq!(
            w.changes(&have, pf),
            [
                VfSet::Mac(m("06:12:34:56:00:02")),
                VfSet::Vlan { vlan: 100, qos: 0 },
                VfSet::Trust(true),
                VfSet::Rate { min: 0, max: 500 },
            ]
        );
        // Once applied, nothing is left to do.
        let done = VfInfo {
            mac: Some(m("06:12:34:56:00:02")),
            vlan: Some(100),
            trust: Some(true),
            max_tx_rate: Some(500),
            ..have.clone()
        };
        assert_eq!(w.changes(&done, pf), []);
        // A setting the driver does not report is sent anyway.
        let unknown = VfInfo {
            trust: None,
            ..done
        };
        assert_eq!(w.changes(&unknown, pf), [VfSet::Trust(true)]);
        // mac auto without a PF MAC cannot be resolved: no change is made up.
        let w = Wanted {
            mac: Some(MacSpec::Auto),
            ..Wanted::default()
        };
        assert_eq!(w.changes(&have, &PfIds::default()), []);
        assert_eq!(w.mac_for(None, 0), Some(Err(())));
    }

    #[test]
    fn a_vlan_protocol_goes_in_a_vlan_list_and_query_rss_alone() {
        let have = VfInfo {
            vf: 1,
            vlan: Some(0),
            qos: Some(0),
            vlan_proto: Some(crate::netlink::ETH_P_8021Q),
            query_rss: Some(false),
            ..VfInfo::default()
        };
        let mut w = Wanted::default();
        for (n, v) in [("vlan", "100"), ("proto", "802.1ad"), ("query_rss", "on")] {
            w.add(Setting::parse(n, v).unwrap());
        }
        assert_eq!(
            w.changes(&have, &PfIds::default()),
            [
                VfSet::VlanProto {
                    vlan: 100,
                    qos: 0,
                    proto: crate::netlink::ETH_P_8021AD
                },
                VfSet::QueryRss(true)
            ]
        );
        let done = VfInfo {
            vlan: Some(100),
            vlan_proto: Some(crate::netlink::ETH_P_8021AD),
            query_rss: Some(true),
            ..have.clone()
        };
        assert_eq!(w.changes(&done, &PfIds::default()), []);
        // Without a protocol, IFLA_VF_VLAN as before.
        let mut plain = Wanted::default();
        plain.add(Setting::Vlan(7));
        assert_eq!(
            plain.changes(&have, &PfIds::default()),
            [VfSet::Vlan { vlan: 7, qos: 0 }]
        );
        assert!(
            Setting::parse("proto", "802.1x")
                .unwrap_err()
                .contains("proto takes 802.1Q or 802.1ad")
        );
        for (n, v) in [
            ("proto", "802.1ad"),
            ("proto", "802.1Q"),
            ("query_rss", "off"),
        ] {
            assert_eq!(Setting::parse(n, v).unwrap().to_string(), v);
        }
    }

    #[test]
    fn refusals_name_the_vf_and_the_setting() {
        let e = set_error(
            "enp1s0f0 VF 3",
            &VfSet::LinkState(LinkState::Enable),
            nix::errno::Errno::EOPNOTSUPP,
        );
        assert_eq!(
            e.to_string(),
            "enp1s0f0 VF 3: state enable: the PF's driver does not support this setting"
        );
        let e = set_error(
            "eth0 VF 0",
            &VfSet::Rate { min: 10, max: 100 },
            nix::errno::Errno::EINVAL,
        );
        assert!(
            e.to_string()
                .starts_with("eth0 VF 0: rate 10,100: the driver refused the value")
        );
    }
}
