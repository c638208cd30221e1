//! rtnetlink, by hand: the messages that read a PF's VF settings
//! (`RTM_GETLINK` with `RTEXT_FILTER_VF`) and change them (`RTM_SETLINK`
//! with `IFLA_VFINFO_LIST`), and the socket that carries them.
//!
//! Encoding and decoding are pure functions on byte buffers, tested on
//! byte arrays laid out as the kernel's uapi headers say
//! (`linux/netlink.h`, `linux/rtnetlink.h`, `linux/if_link.h`). Decoding
//! never trusts a length: a truncated, misaligned or unknown attribute is
//! skipped or ends the walk, never read past.
//!
//! Each change is its own request with `NLM_F_ACK`, as systemd-networkd
//! does: a driver that refuses one setting (link state on igb) does not
//! block the others, and the error names the setting.

use crate::guid::Guid;
use crate::mac::Mac;
use nix::errno::Errno;

/// The socket that carries the messages.
mod socket;
pub use socket::Socket;

// linux/netlink.h and linux/rtnetlink.h
pub(crate) const NLMSG_HDR: usize = 16;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
/// A request (`NLM_F_REQUEST`).
pub const NLM_F_REQUEST: u16 = 1;
/// Asks for an ACK (`NLM_F_ACK`).
pub const NLM_F_ACK: u16 = 4;
pub(crate) const RTM_NEWLINK: u16 = 16;
pub(crate) const RTM_GETLINK: u16 = 18;
const RTM_SETLINK: u16 = 19;
pub(crate) const IFINFOMSG: usize = 16;
const IFF_UP: u32 = 1;

// linux/if_link.h
pub(crate) const IFLA_ADDRESS: u16 = 1;
pub(crate) const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_NUM_VF: u16 = 21;
const IFLA_VFINFO_LIST: u16 = 22;
const IFLA_EXT_MASK: u16 = 29;
const IFLA_PERM_ADDRESS: u16 = 54;
const IFLA_VF_INFO: u16 = 1;
const IFLA_VF_MAC: u16 = 1;
const IFLA_VF_VLAN: u16 = 2;
const IFLA_VF_SPOOFCHK: u16 = 4;
const IFLA_VF_LINK_STATE: u16 = 5;
const IFLA_VF_RATE: u16 = 6;
const IFLA_VF_RSS_QUERY_EN: u16 = 7;
const IFLA_VF_STATS: u16 = 8;
const IFLA_VF_TRUST: u16 = 9;
const IFLA_VF_IB_NODE_GUID: u16 = 10;
const IFLA_VF_IB_PORT_GUID: u16 = 11;
const IFLA_VF_VLAN_LIST: u16 = 12;
const IFLA_VF_VLAN_INFO: u16 = 1;

/// 802.1Q, the VLAN protocol of `IFLA_VF_VLAN` (ETH_P_8021Q).
pub const ETH_P_8021Q: u16 = 0x8100;
/// 802.1ad, QinQ's outer tag (ETH_P_8021AD).
pub const ETH_P_8021AD: u16 = 0x88a8;
/// rtnetlink's multicast groups, as `nl_groups` bits: links, neighbours.
pub const RTMGRP_LINK: u32 = 1;
/// `RTMGRP_NEIGH` (`RTNLGRP_NEIGH` is 3).
pub const RTMGRP_NEIGH: u32 = 4;

const RTEXT_FILTER_VF: u32 = 1;
const RTEXT_FILTER_SKIP_STATS: u32 = 1 << 3;
/// `nla_type` carries two flags in its top bits.
const NLA_TYPE_MASK: u16 = 0x3fff;

/// A VF's link state, as `IFLA_VF_LINK_STATE` encodes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Follows the PF's link.
    Auto = 0,
    /// Always up.
    Enable = 1,
    /// Always down.
    Disable = 2,
}

impl LinkState {
    /// Its name (`auto`, `enable`, `disable`).
    pub fn name(self) -> &'static str {
        match self {
            LinkState::Auto => "auto",
            LinkState::Enable => "enable",
            LinkState::Disable => "disable",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<LinkState> {
        [LinkState::Auto, LinkState::Enable, LinkState::Disable]
            .into_iter()
            .find(|l| l.name() == s)
    }
}

/// One VF's settings as the PF's driver reports them. `None`: not reported
/// (or reported as "not supported", which the kernel encodes as -1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VfInfo {
    /// The VF's index.
    pub vf: u32,
    /// The administrative MAC; all zeros when none is set.
    pub mac: Option<Mac>,
    /// VLAN id (0: none).
    pub vlan: Option<u32>,
    /// 802.1p priority.
    pub qos: Option<u32>,
    /// Spoof checking.
    pub spoofchk: Option<bool>,
    /// Trusted.
    pub trust: Option<bool>,
    /// Link state.
    pub link_state: Option<LinkState>,
    /// Mbit/s; 0 is no limit.
    pub min_tx_rate: Option<u32>,
    /// Maximum TX rate, Mbit/s (0: no limit).
    pub max_tx_rate: Option<u32>,
    /// The VLAN's protocol (`IFLA_VF_VLAN_LIST`): [`ETH_P_8021Q`] or
    /// [`ETH_P_8021AD`].
    pub vlan_proto: Option<u16>,
    /// Whether the VF may query the PF's RSS configuration.
    pub query_rss: Option<bool>,
    /// An InfiniBand VF's node GUID (`IFLA_VF_IB_NODE_GUID`, reported
    /// since Linux 5.5 by IPoIB PFs; all zeros: none set).
    pub node_guid: Option<Guid>,
    /// Its port GUID (`IFLA_VF_IB_PORT_GUID`).
    pub port_guid: Option<Guid>,
    /// Its traffic counters (`IFLA_VF_STATS`), when asked for. The kernel
    /// reports zeros for a driver that keeps none.
    pub stats: Option<VfStats>,
}

/// A VF's traffic counters, as the PF's driver counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VfStats {
    /// Packets received.
    pub rx_packets: u64,
    /// Packets sent.
    pub tx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Broadcast packets received.
    pub broadcast: u64,
    /// Multicast packets received.
    pub multicast: u64,
    /// Received packets dropped.
    pub rx_dropped: u64,
    /// Sent packets dropped.
    pub tx_dropped: u64,
}

impl VfStats {
    /// All zero: no traffic counted, or a driver that counts none.
    pub fn is_zero(&self) -> bool {
        *self == VfStats::default()
    }

    /// Decodes the nested `IFLA_VF_STATS_*` (u64 each).
    pub fn parse(p: &[u8]) -> VfStats {
        let mut s = VfStats::default();
        for (kind, a) in attrs(p) {
            let Some(v) = a
                .get(..8)
                .map(|b| u64::from_ne_bytes(b.try_into().unwrap_or([0; 8])))
            else {
                continue;
            };
            match kind {
                0 => s.rx_packets = v,
                1 => s.tx_packets = v,
                2 => s.rx_bytes = v,
                3 => s.tx_bytes = v,
                4 => s.broadcast = v,
                5 => s.multicast = v,
                7 => s.rx_dropped = v,
                8 => s.tx_dropped = v,
                _ => {}
            }
        }
        s
    }
}

/// What `RTM_GETLINK` says about a PF.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    /// The interface index.
    pub ifindex: i32,
    /// `IFF_*` flags.
    pub flags: u32,
    /// Its MAC.
    pub address: Option<Mac>,
    /// The factory MAC (`IFLA_PERM_ADDRESS`, Linux 5.6 and later).
    pub perm_address: Option<Mac>,
    /// An IPoIB PF's port GUID: the last 8 of its 20-byte address.
    pub port_guid: Option<Guid>,
    /// Its `ARPHRD_*` type (`ifi_type`): 1 Ethernet, 32 InfiniBand.
    pub kind: u16,
    /// How many VFs the PF reports.
    pub num_vf: Option<u32>,
    /// Each VF's settings.
    pub vfs: Vec<VfInfo>,
}

/// `ifi_type` of an InfiniBand (IPoIB) netdev, the only kind whose VFs
/// take GUIDs (the kernel's `handle_vf_guid` answers EOPNOTSUPP to others).
pub const ARPHRD_INFINIBAND: u16 = 32;

/// What a PF gives the VF settings derived from it: its MAC (`mac auto`),
/// the base of `node_guid auto` (its port GUID, else its MAC's EUI-64), and
/// whether it is InfiniBand (only then do its VFs take GUIDs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PfIds {
    /// Its permanent MAC, else its current one.
    pub mac: Option<Mac>,
    /// Its port GUID, else its MAC as an EUI-64.
    pub guid: Option<Guid>,
    /// An IPoIB netdev (`ARPHRD_INFINIBAND`).
    pub ib: bool,
}

impl PfIds {
    /// An Ethernet PF known by its MAC.
    pub fn mac(mac: Option<Mac>) -> PfIds {
        PfIds {
            mac,
            guid: mac.map(Guid::from_mac),
            ib: false,
        }
    }
}

impl Link {
    /// What VF settings derive from it.
    pub fn ids(&self) -> PfIds {
        let mac = self.perm_address.or(self.address);
        PfIds {
            guid: self.port_guid.or(mac.map(Guid::from_mac)),
            ib: self.kind == ARPHRD_INFINIBAND,
            mac,
        }
    }

    /// Whether it is administratively up.
    pub fn is_up(&self) -> bool {
        self.flags & IFF_UP != 0
    }
}

/// One change to one VF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VfSet {
    /// The admin MAC.
    Mac(Mac),
    /// VLAN id (0: none) and 802.1p priority.
    Vlan {
        /// VLAN id (0: none).
        vlan: u32,
        /// 802.1p priority.
        qos: u32,
    },
    /// Spoof checking.
    SpoofChk(bool),
    /// Trusted.
    Trust(bool),
    /// Link state.
    LinkState(LinkState),
    /// Mbit/s, 0: no limit.
    Rate {
        /// Minimum TX rate.
        min: u32,
        /// Maximum TX rate.
        max: u32,
    },
    /// VLAN id, priority and protocol, as `IFLA_VF_VLAN_LIST` sets them.
    VlanProto {
        /// VLAN id (0: none).
        vlan: u32,
        /// 802.1p priority.
        qos: u32,
        /// `ETH_P_8021Q` or `ETH_P_8021AD`.
        proto: u16,
    },
    /// Whether the VF may query the PF's RSS configuration.
    QueryRss(bool),
    /// An InfiniBand VF's node GUID.
    NodeGuid(Guid),
    /// An InfiniBand VF's port GUID.
    PortGuid(Guid),
}

impl VfSet {
    /// How messages name the setting.
    pub fn name(&self) -> &'static str {
        match self {
            VfSet::Mac(_) => "mac",
            VfSet::Vlan { .. } => "vlan",
            VfSet::SpoofChk(_) => "spoofchk",
            VfSet::Trust(_) => "trust",
            VfSet::LinkState(_) => "state",
            VfSet::Rate { .. } => "rate",
            VfSet::VlanProto { .. } => "vlan",
            VfSet::QueryRss(_) => "query_rss",
            VfSet::NodeGuid(_) => "node_guid",
            VfSet::PortGuid(_) => "port_guid",
        }
    }
}

/// As the command line and messages write it: `vlan 100 qos 0`.
impl std::fmt::Display for VfSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let on = |b: bool| if b { "on" } else { "off" };
        match self {
            VfSet::Mac(m) => write!(f, "mac {m}"),
            VfSet::Vlan { vlan, qos } => write!(f, "vlan {vlan} qos {qos}"),
            VfSet::SpoofChk(b) => write!(f, "spoofchk {}", on(*b)),
            VfSet::Trust(b) => write!(f, "trust {}", on(*b)),
            VfSet::LinkState(l) => write!(f, "state {}", l.name()),
            VfSet::Rate { min, max } => write!(f, "rate {min},{max}"),
            VfSet::VlanProto { vlan, qos, proto } => {
                write!(f, "vlan {vlan} qos {qos} proto {}", proto_name(*proto))
            }
            VfSet::QueryRss(b) => write!(f, "query_rss {}", on(*b)),
            VfSet::NodeGuid(g) | VfSet::PortGuid(g) => write!(f, "{} {g}", self.name()),
        }
    }
}

/// `802.1Q`, `802.1ad`, or the number in hex.
pub fn proto_name(p: u16) -> String {
    match p {
        ETH_P_8021Q => "802.1Q".into(),
        ETH_P_8021AD => "802.1ad".into(),
        other => format!("0x{other:04x}"),
    }
}

/// Appends a netlink attribute, padded to 4 bytes.
pub fn attr(buf: &mut Vec<u8>, kind: u16, payload: &[u8]) {
    let len = 4 + payload.len();
    buf.extend_from_slice(&(len as u16).to_ne_bytes());
    buf.extend_from_slice(&kind.to_ne_bytes());
    buf.extend_from_slice(payload);
    buf.resize(buf.len().next_multiple_of(4), 0);
}

/// Starts a nested attribute; [`end_nest`] fixes its length.
pub(crate) fn nest(buf: &mut Vec<u8>, kind: u16) -> usize {
    let at = buf.len();
    attr(buf, kind, &[]);
    at
}

pub(crate) fn end_nest(buf: &mut [u8], at: usize) {
    let len = (buf.len() - at) as u16;
    buf[at..at + 2].copy_from_slice(&len.to_ne_bytes());
}

/// The netlink header and `ifinfomsg`, with the total length fixed later.
pub(crate) fn header(
    kind: u16,
    flags: u16,
    seq: u32,
    ifindex: i32,
    ifi_flags: u32,
    ifi_change: u32,
) -> Vec<u8> {
    let mut b = Vec::with_capacity(128);
    b.extend_from_slice(&0u32.to_ne_bytes()); // nlmsg_len, set by `finish`
    b.extend_from_slice(&kind.to_ne_bytes());
    b.extend_from_slice(&(NLM_F_REQUEST | flags).to_ne_bytes());
    b.extend_from_slice(&seq.to_ne_bytes());
    b.extend_from_slice(&0u32.to_ne_bytes()); // nlmsg_pid: the kernel
    // ifinfomsg: family (AF_UNSPEC), pad, type, index, flags, change
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(&ifindex.to_ne_bytes());
    b.extend_from_slice(&ifi_flags.to_ne_bytes());
    b.extend_from_slice(&ifi_change.to_ne_bytes());
    b
}

pub(crate) fn finish(mut b: Vec<u8>) -> Vec<u8> {
    let len = b.len() as u32;
    b[0..4].copy_from_slice(&len.to_ne_bytes());
    b
}

/// `RTM_GETLINK` for the interface `name`, asking for its VFs (without
/// their traffic statistics).
pub fn get_link(seq: u32, name: &str) -> Vec<u8> {
    get_link_with(seq, name, false)
}

/// [`get_link`], with the VFs' traffic counters when `stats`.
pub fn get_link_with(seq: u32, name: &str, stats: bool) -> Vec<u8> {
    let mut b = header(RTM_GETLINK, 0, seq, 0, 0, 0);
    let mut n = name.as_bytes().to_vec();
    n.push(0);
    attr(&mut b, IFLA_IFNAME, &n);
    let mask = if stats {
        RTEXT_FILTER_VF
    } else {
        RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS
    };
    attr(&mut b, IFLA_EXT_MASK, &mask.to_ne_bytes());
    finish(b)
}

/// `RTM_SETLINK` changing one setting of VF `vf` of the PF `ifindex`:
/// `IFLA_VFINFO_LIST { IFLA_VF_INFO { one IFLA_VF_* } }`, with an ACK.
pub fn set_vf(seq: u32, ifindex: i32, vf: u32, set: VfSet) -> Vec<u8> {
    let mut b = header(RTM_SETLINK, NLM_F_ACK, seq, ifindex, 0, 0);
    let list = nest(&mut b, IFLA_VFINFO_LIST);
    let info = nest(&mut b, IFLA_VF_INFO);
    let words = |w: &[u32]| w.iter().flat_map(|x| x.to_ne_bytes()).collect::<Vec<u8>>();
    match set {
        VfSet::Mac(m) => {
            // struct ifla_vf_mac { __u32 vf; __u8 mac[32]; }
            let mut p = vf.to_ne_bytes().to_vec();
            p.extend_from_slice(&m.0);
            p.resize(4 + 32, 0);
            attr(&mut b, IFLA_VF_MAC, &p);
        }
        VfSet::Vlan { vlan, qos } => attr(&mut b, IFLA_VF_VLAN, &words(&[vf, vlan, qos])),
        VfSet::SpoofChk(on) => attr(&mut b, IFLA_VF_SPOOFCHK, &words(&[vf, on as u32])),
        VfSet::Trust(on) => attr(&mut b, IFLA_VF_TRUST, &words(&[vf, on as u32])),
        VfSet::LinkState(s) => attr(&mut b, IFLA_VF_LINK_STATE, &words(&[vf, s as u32])),
        VfSet::Rate { min, max } => attr(&mut b, IFLA_VF_RATE, &words(&[vf, min, max])),
        VfSet::VlanProto { vlan, qos, proto } => {
            // IFLA_VF_VLAN_LIST { IFLA_VF_VLAN_INFO: struct ifla_vf_vlan_info
            // { __u32 vf; __u32 vlan; __u32 qos; __be16 vlan_proto; } }, whose
            // sizeof is 16 (the kernel refuses a shorter payload: EINVAL).
            let l = nest(&mut b, IFLA_VF_VLAN_LIST);
            let mut p = words(&[vf, vlan, qos]);
            p.extend_from_slice(&proto.to_be_bytes());
            p.resize(16, 0);
            attr(&mut b, IFLA_VF_VLAN_INFO, &p);
            end_nest(&mut b, l);
        }
        VfSet::QueryRss(on) => attr(&mut b, IFLA_VF_RSS_QUERY_EN, &words(&[vf, on as u32])),
        VfSet::NodeGuid(g) | VfSet::PortGuid(g) => {
            // struct ifla_vf_guid { __u32 vf; __u64 guid; }: 16 bytes, the
            // u64 aligned (4 bytes of padding, sent as zeros).
            let kind = match set {
                VfSet::NodeGuid(_) => IFLA_VF_IB_NODE_GUID,
                _ => IFLA_VF_IB_PORT_GUID,
            };
            let mut p = words(&[vf, 0]);
            p.extend_from_slice(&g.to_u64().to_ne_bytes());
            attr(&mut b, kind, &p);
        }
    }
    end_nest(&mut b, info);
    end_nest(&mut b, list);
    finish(b)
}

/// `RTM_SETLINK` bringing the interface `ifindex` up, with an ACK.
pub fn set_up(seq: u32, ifindex: i32) -> Vec<u8> {
    finish(header(RTM_SETLINK, NLM_F_ACK, seq, ifindex, IFF_UP, IFF_UP))
}

/// `RTM_SETLINK` setting the MTU of the interface `ifindex`, with an ACK.
pub fn set_mtu(seq: u32, ifindex: i32, mtu: u32) -> Vec<u8> {
    let mut b = header(RTM_SETLINK, NLM_F_ACK, seq, ifindex, 0, 0);
    attr(&mut b, IFLA_MTU, &mtu.to_ne_bytes());
    finish(b)
}

/// Walks the attributes in `buf`: `(type without flags, payload)`. Stops at
/// the first one whose length is impossible.
pub fn attrs(mut buf: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        if buf.len() < 4 {
            return None;
        }
        let len = u16::from_ne_bytes([buf[0], buf[1]]) as usize;
        let kind = u16::from_ne_bytes([buf[2], buf[3]]) & NLA_TYPE_MASK;
        if len < 4 || len > buf.len() {
            return None;
        }
        let payload = &buf[4..len];
        buf = &buf[len.next_multiple_of(4).min(buf.len())..];
        Some((kind, payload))
    })
}

pub(crate) fn u32_at(p: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(
        p.get(i * 4..i * 4 + 4)?.try_into().ok()?,
    ))
}

/// A u32 that the kernel sets to -1 for "not supported".
fn setting(p: &[u8], i: usize) -> Option<u32> {
    u32_at(p, i).filter(|&v| v != u32::MAX)
}

/// The port GUID in an IPoIB address (4 bytes of QP number, then the
/// 16-byte port GID: an 8-byte subnet prefix and the port GUID).
fn ib_port_guid(p: &[u8]) -> Option<Guid> {
    (p.len() == 20).then(|| Guid(p[12..20].try_into().unwrap_or([0; 8])))
}

pub(crate) fn mac(p: &[u8]) -> Option<Mac> {
    let b: [u8; 6] = p.get(..6)?.try_into().ok()?;
    (p.len() == 6).then_some(Mac(b))
}

/// The GUID of a `struct ifla_vf_guid` (a host-order u64 at offset 8).
fn guid(p: &[u8]) -> Option<Guid> {
    let g = u64::from_ne_bytes(p.get(8..16)?.try_into().ok()?);
    Some(Guid(g.to_be_bytes()))
}

/// Decodes one `IFLA_VF_INFO`.
pub fn parse_vf_info(p: &[u8]) -> Option<VfInfo> {
    let mut v = VfInfo {
        vf: u32::MAX,
        ..VfInfo::default()
    };
    for (kind, a) in attrs(p) {
        if kind == IFLA_VF_STATS {
            v.stats = Some(VfStats::parse(a));
            continue;
        }
        if kind == IFLA_VF_VLAN_LIST {
            // The first tag's protocol (a nest of IFLA_VF_VLAN_INFO).
            if let Some((_, info)) = attrs(a).find(|(k, _)| *k == IFLA_VF_VLAN_INFO) {
                v.vlan_proto = info.get(12..14).map(|b| u16::from_be_bytes([b[0], b[1]]));
            }
            continue;
        }
        // Every IFLA_VF_* struct starts with the VF's index.
        let Some(vf) = u32_at(a, 0) else { continue };
        match kind {
            IFLA_VF_MAC => v.mac = a.get(4..10).and_then(|m| Some(Mac(m.try_into().ok()?))),
            IFLA_VF_VLAN => (v.vlan, v.qos) = (u32_at(a, 1), u32_at(a, 2)),
            IFLA_VF_SPOOFCHK => v.spoofchk = setting(a, 1).map(|s| s != 0),
            IFLA_VF_TRUST => v.trust = setting(a, 1).map(|s| s != 0),
            IFLA_VF_LINK_STATE => {
                v.link_state = match u32_at(a, 1) {
                    Some(0) => Some(LinkState::Auto),
                    Some(1) => Some(LinkState::Enable),
                    Some(2) => Some(LinkState::Disable),
                    _ => None,
                }
            }
            IFLA_VF_RATE => (v.min_tx_rate, v.max_tx_rate) = (u32_at(a, 1), u32_at(a, 2)),
            IFLA_VF_RSS_QUERY_EN => v.query_rss = setting(a, 1).map(|s| s != 0),
            IFLA_VF_IB_NODE_GUID => v.node_guid = guid(a),
            IFLA_VF_IB_PORT_GUID => v.port_guid = guid(a),
            _ => continue,
        }
        v.vf = vf;
    }
    (v.vf != u32::MAX).then_some(v)
}

/// Decodes an `RTM_NEWLINK` message body (after the netlink header).
pub fn parse_link(body: &[u8]) -> Option<Link> {
    let ifi = body.get(..IFINFOMSG)?;
    let mut link = Link {
        kind: u16::from_ne_bytes([ifi[2], ifi[3]]),
        ifindex: i32::from_ne_bytes(ifi[4..8].try_into().ok()?),
        flags: u32::from_ne_bytes(ifi[8..12].try_into().ok()?),
        ..Link::default()
    };
    for (kind, a) in attrs(&body[IFINFOMSG..]) {
        match kind {
            IFLA_ADDRESS => {
                link.address = mac(a);
                link.port_guid = link.port_guid.or(ib_port_guid(a));
            }
            IFLA_PERM_ADDRESS => {
                link.perm_address = mac(a);
                link.port_guid = ib_port_guid(a).or(link.port_guid);
            }
            IFLA_NUM_VF => link.num_vf = u32_at(a, 0),
            IFLA_VFINFO_LIST => {
                link.vfs = attrs(a)
                    .filter(|(k, _)| *k == IFLA_VF_INFO)
                    .filter_map(|(_, p)| parse_vf_info(p))
                    .collect();
            }
            _ => {}
        }
    }
    link.vfs.sort_unstable_by_key(|v| v.vf);
    Some(link)
}

/// What one reply message is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply<'a> {
    /// An ACK (`error` 0) or a refusal with its errno.
    Ack(Result<(), Errno>),
    /// Any other message: its type and body (an `RTM_NEWLINK`, a
    /// generic netlink family's answer).
    Msg(u16, &'a [u8]),
    /// The end of a dump.
    Done,
    /// Anything else.
    Other,
}

/// Splits a datagram into `(sequence number, reply)` messages.
pub fn replies(mut buf: &[u8]) -> impl Iterator<Item = (u32, Reply<'_>)> {
    std::iter::from_fn(move || {
        if buf.len() < NLMSG_HDR {
            return None;
        }
        let len = u32::from_ne_bytes(buf[0..4].try_into().ok()?) as usize;
        if len < NLMSG_HDR || len > buf.len() {
            return None;
        }
        let kind = u16::from_ne_bytes([buf[4], buf[5]]);
        let seq = u32::from_ne_bytes(buf[8..12].try_into().ok()?);
        let body = &buf[NLMSG_HDR..len];
        buf = &buf[len.next_multiple_of(4).min(buf.len())..];
        let reply = match kind {
            NLMSG_ERROR => {
                let code = i32::from_ne_bytes(body.get(..4)?.try_into().ok()?);
                Reply::Ack(if code == 0 {
                    Ok(())
                } else {
                    // The kernel sends -errno; anything can arrive, even i32::MIN.
                    Err(Errno::from_raw(code.saturating_neg()))
                })
            }
            NLMSG_DONE => Reply::Done,
            kind if kind >= 0x10 => Reply::Msg(kind, body),
            _ => Reply::Other,
        };
        Some((seq, reply))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(b: &[u8]) -> Vec<u32> {
        b.chunks(4)
            .map(|c| u32::from_ne_bytes(c.try_into().unwrap()))
            .collect()
    }

    #[test]
    fn getlink_asks_for_vfs_by_name() {
        let m = get_link(7, "eth0");
        // nlmsghdr(16) + ifinfomsg(16) + IFLA_IFNAME "eth0\0" (4+5 -> 12) + IFLA_EXT_MASK (8)
        assert_eq!(m.len(), 16 + 16 + 12 + 8);
        assert_eq!(words(&m[..4]), [m.len() as u32]);
        assert_eq!(u16::from_ne_bytes([m[4], m[5]]), 18); // RTM_GETLINK
        assert_eq!(u16::from_ne_bytes([m[6], m[7]]), 1); // NLM_F_REQUEST
        assert_eq!(words(&m[8..12]), [7]);
        assert_eq!(&m[16..32], &[0u8; 16]); // AF_UNSPEC, index 0
        assert_eq!(&m[32..36], &[9, 0, 3, 0]); // len 9, IFLA_IFNAME
        assert_eq!(&m[36..44], b"eth0\0\0\0\0");
        assert_eq!(&m[44..48], &[8, 0, 29, 0]); // IFLA_EXT_MASK
        assert_eq!(words(&m[48..52]), [1 | 8]); // RTEXT_FILTER_VF | SKIP_STATS
    }

    #[test]
    fn guids_are_the_bytes_iproute2_sends() {
        // iproute2 6.1, in a network namespace of its own:
        //   strace -e trace=sendmsg -e write=3 \
        //     ip link set lo vf 0 node_guid 00:11:22:33:44:55:66:77
        // sent (RTM_NEWLINK where vfnet sends RTM_SETLINK; the rest is
        // the same) from the ifinfomsg on:
        let node: &[u8] = b"\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x1c\x00\x16\x00\x18\x00\x01\x00\x14\x00\x0a\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x77\x66\x55\x44\x33\x22\x11\x00";
        let g = Guid::parse(b"00:11:22:33:44:55:66:77").unwrap();
        let m = set_vf(9, 1, 0, VfSet::NodeGuid(g));
        assert_eq!(m.len(), 60);
        assert_eq!(u16::from_ne_bytes([m[4], m[5]]), 19); // RTM_SETLINK
        assert_eq!(&m[16..], node);
        // ... vf 3 port_guid 01:02:03:04:05:06:07:08 (IFLA_VF_IB_PORT_GUID, 11).
        let port: &[u8] = b"\x14\x00\x0b\x00\x03\x00\x00\x00\
            \x00\x00\x00\x00\x08\x07\x06\x05\x04\x03\x02\x01";
        let g = Guid::parse(b"01:02:03:04:05:06:07:08").unwrap();
        let m = set_vf(9, 1, 3, VfSet::PortGuid(g));
        if cfg!(target_endian = "little") {
            assert_eq!(&m[40..], port);
        }
        assert_eq!(
            VfSet::PortGuid(g).to_string(),
            "port_guid 01:02:03:04:05:06:07:08"
        );
    }

    #[test]
    fn an_ipoib_pf_reports_its_vfs_guids() {
        // rtnl_fill_vfinfo (net/core/rtnetlink.c, Linux 5.5 on): for an
        // ARPHRD_INFINIBAND netdev whose driver has ndo_get_vf_guid, two
        // struct ifla_vf_guid { __u32 vf; __u64 guid; } (16 bytes).
        let mut info = Vec::new();
        let guid = |vf: u32, g: u64| {
            let mut p = vf.to_ne_bytes().to_vec();
            p.extend_from_slice(&[0; 4]);
            p.extend_from_slice(&g.to_ne_bytes());
            p
        };
        attr(&mut info, IFLA_VF_MAC, &[2u8; 36]);
        attr(
            &mut info,
            IFLA_VF_IB_NODE_GUID,
            &guid(2, 0x7e03_00a1_b2c0_0002),
        );
        attr(&mut info, IFLA_VF_IB_PORT_GUID, &guid(2, 0));
        let v = parse_vf_info(&info).unwrap();
        assert_eq!(v.vf, 2);
        assert_eq!(v.node_guid.unwrap().to_string(), "7e:03:00:a1:b2:c0:00:02");
        assert_eq!(v.port_guid, Some(Guid([0; 8])));
        // A truncated one is not made up.
        let mut short = Vec::new();
        attr(&mut short, IFLA_VF_IB_NODE_GUID, &guid(1, 5)[..12]);
        attr(&mut short, IFLA_VF_TRUST, &[1, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(parse_vf_info(&short).unwrap().node_guid, None);

        // The PF: ifi_type 32, a 20-byte address whose last 8 are its port GUID.
        let mut body = vec![0u8; IFINFOMSG];
        body[2..4].copy_from_slice(&ARPHRD_INFINIBAND.to_ne_bytes());
        body[4..8].copy_from_slice(&7i32.to_ne_bytes());
        let mut addr = vec![0x80, 0, 2, 8, 0xfe, 0x80, 0, 0, 0, 0, 0, 0];
        addr.extend_from_slice(&[0xb8, 0x59, 0x9f, 3, 0, 0xa1, 0xb2, 0xc0]);
        attr(&mut body, IFLA_ADDRESS, &addr);
        let l = parse_link(&body).unwrap();
        let ids = l.ids();
        assert!(ids.ib);
        assert_eq!(ids.mac, None);
        assert_eq!(ids.guid.unwrap().to_string(), "b8:59:9f:03:00:a1:b2:c0");
        // An Ethernet PF: its MAC's EUI-64, and not InfiniBand.
        let mut body = vec![0u8; IFINFOMSG];
        body[2] = 1;
        attr(&mut body, IFLA_ADDRESS, &[0x52, 0x54, 0, 0x12, 0x34, 0x56]);
        let ids = parse_link(&body).unwrap().ids();
        assert!(!ids.ib);
        assert_eq!(ids.guid.unwrap().to_string(), "52:54:00:ff:fe:12:34:56");
    }

    #[test]
    fn setlink_nests_one_vf_setting_and_asks_for_an_ack() {
        let m = set_vf(3, 2, 1, VfSet::Vlan { vlan: 100, qos: 2 });
        assert_eq!(u16::from_ne_bytes([m[4], m[5]]), 19); // RTM_SETLINK
        assert_eq!(u16::from_ne_bytes([m[6], m[7]]), 1 | 4); // REQUEST | ACK
        assert_eq!(words(&m[20..24]), [2]); // ifi_index
        // IFLA_VFINFO_LIST(4+ IFLA_VF_INFO(4 + IFLA_VF_VLAN(4 + 12)))
        assert_eq!(&m[32..36], &[24, 0, 22, 0]);
        assert_eq!(&m[36..40], &[20, 0, 1, 0]);
        assert_eq!(&m[40..44], &[16, 0, 2, 0]);
        assert_eq!(words(&m[44..56]), [1, 100, 2]);
        assert_eq!(m.len(), 56);

        let m = set_vf(4, 2, 0, VfSet::Mac(Mac([2, 0x11, 0x22, 0x33, 0x44, 0x55])));
        assert_eq!(&m[40..44], &[40, 0, 1, 0]); // IFLA_VF_MAC, struct of 36
        assert_eq!(words(&m[44..48]), [0]);
        assert_eq!(&m[48..54], &[2, 0x11, 0x22, 0x33, 0x44, 0x55]);
        assert!(m[54..80].iter().all(|&b| b == 0));
        for (set, kind, payload) in [
            (VfSet::SpoofChk(false), 4u8, vec![5, 0]),
            (VfSet::Trust(true), 9, vec![5, 1]),
            (VfSet::LinkState(LinkState::Disable), 5, vec![5, 2]),
            (VfSet::Rate { min: 10, max: 1000 }, 6, vec![5, 10, 1000]),
        ] {
            let m = set_vf(1, 2, 5, set);
            assert_eq!(m[42], kind, "{set:?}");
            assert_eq!(words(&m[44..]), payload, "{set:?}");
        }
    }

    #[test]
    fn a_vlan_with_its_protocol_is_a_vlan_list_of_one_vlan_info() {
        let m = set_vf(
            7,
            4,
            2,
            VfSet::VlanProto {
                vlan: 100,
                qos: 3,
                proto: ETH_P_8021AD,
            },
        );
        // nlmsghdr 16 + ifinfomsg 16, then IFLA_VFINFO_LIST(4 + IFLA_VF_INFO(4 +
        // IFLA_VF_VLAN_LIST(4 + IFLA_VF_VLAN_INFO(4 + 14, padded to 16)))).
        assert_eq!(m.len(), 32 + 4 + 4 + 4 + 20);
        assert_eq!(&m[32..36], &[32, 0, 22, 0]); // IFLA_VFINFO_LIST
        assert_eq!(&m[36..40], &[28, 0, 1, 0]); // IFLA_VF_INFO
        assert_eq!(&m[40..44], &[24, 0, 12, 0]); // IFLA_VF_VLAN_LIST
        assert_eq!(&m[44..48], &[20, 0, 1, 0]); // IFLA_VF_VLAN_INFO, 4 + sizeof 16
        let words: Vec<u32> = (0..3)
            .map(|i| u32::from_ne_bytes(m[48 + i * 4..52 + i * 4].try_into().unwrap()))
            .collect();
        assert_eq!(words, [2, 100, 3]);
        assert_eq!(&m[60..62], &[0x88, 0xa8]); // __be16 vlan_proto
        // And the kernel's answer decodes back.
        let mut info = Vec::new();
        let l = nest(&mut info, IFLA_VF_VLAN_LIST);
        let mut p: Vec<u8> = [2u32, 100, 3]
            .iter()
            .flat_map(|w| w.to_ne_bytes())
            .collect();
        p.extend_from_slice(&ETH_P_8021AD.to_be_bytes());
        attr(&mut info, IFLA_VF_VLAN_INFO, &p);
        end_nest(&mut info, l);
        attr(&mut info, IFLA_VF_RSS_QUERY_EN, &[2, 0, 0, 0, 1, 0, 0, 0]);
        let v = parse_vf_info(&info).unwrap();
        assert_eq!(
            (v.vf, v.vlan_proto, v.query_rss),
            (2, Some(ETH_P_8021AD), Some(true))
        );
        let q = set_vf(7, 4, 2, VfSet::QueryRss(true));
        assert_eq!(&q[40..44], &[12, 0, 7, 0]); // IFLA_VF_RSS_QUERY_EN {vf, setting}
    }

    #[test]
    fn vf_traffic_counters_decode_and_are_asked_for_only_with_stats() {
        let mut p = Vec::new();
        for (k, v) in [
            (0u16, 10u64),
            (1, 20),
            (2, 1000),
            (3, 2000),
            (6, 0),
            (7, 3),
            (8, 4),
        ] {
            attr(&mut p, k, &v.to_ne_bytes());
        }
        let s = VfStats::parse(&p);
        assert_eq!(
            (
                s.rx_packets,
                s.tx_packets,
                s.rx_bytes,
                s.tx_bytes,
                s.rx_dropped,
                s.tx_dropped
            ),
            (10, 20, 1000, 2000, 3, 4)
        );
        assert!(!s.is_zero());
        assert!(VfStats::default().is_zero());
        let mask = |m: &[u8]| u32::from_ne_bytes(m[m.len() - 4..].try_into().unwrap());
        assert_eq!(
            mask(&get_link_with(1, "eth0", false)),
            RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS
        );
        assert_eq!(mask(&get_link_with(1, "eth0", true)), RTEXT_FILTER_VF);
    }

    #[test]
    fn an_mtu_is_one_u32_attribute_on_the_interface() {
        let m = set_mtu(3, 7, 9000);
        assert_eq!(m.len(), 32 + 8);
        assert_eq!(i32::from_ne_bytes(m[20..24].try_into().unwrap()), 7); // ifi_index
        assert_eq!(&m[32..36], &[8, 0, 4, 0]); // IFLA_MTU
        assert_eq!(u32::from_ne_bytes(m[36..40].try_into().unwrap()), 9000);
    }

    #[test]
    fn setting_a_link_up_changes_only_the_up_flag() {
        let m = set_up(9, 4);
        assert_eq!(m.len(), 32);
        assert_eq!(words(&m[20..32]), [4, 1, 1]);
    }

    /// An RTM_NEWLINK body as the kernel sends it for a PF with two VFs.
    fn newlink() -> Vec<u8> {
        let mut b = vec![0u8, 0, 1, 0];
        b.extend_from_slice(&2i32.to_ne_bytes());
        b.extend_from_slice(&0x1003u32.to_ne_bytes()); // UP | BROADCAST | MULTICAST
        b.extend_from_slice(&0u32.to_ne_bytes());
        attr(&mut b, IFLA_IFNAME, b"eth0\0");
        attr(&mut b, IFLA_ADDRESS, &[0x52, 0x54, 0, 0x12, 0x34, 0x56]);
        attr(&mut b, IFLA_NUM_VF, &2u32.to_ne_bytes());
        attr(&mut b, 999, b"unknown attributes are skipped");
        let list = nest(&mut b, IFLA_VFINFO_LIST);
        for vf in 0..2u32 {
            let info = nest(&mut b, IFLA_VF_INFO);
            let mut m = vf.to_ne_bytes().to_vec();
            m.extend_from_slice(&[2, 0x11, 0x22, 0x33, 0x44, 0x50 + vf as u8]);
            m.resize(36, 0);
            attr(&mut b, IFLA_VF_MAC, &m);
            let w = |x: &[u32]| x.iter().flat_map(|v| v.to_ne_bytes()).collect::<Vec<_>>();
            attr(&mut b, IFLA_VF_VLAN, &w(&[vf, 100 * vf, 0]));
            attr(&mut b, IFLA_VF_SPOOFCHK, &w(&[vf, 1]));
            attr(&mut b, IFLA_VF_TRUST, &w(&[vf, u32::MAX]));
            attr(&mut b, IFLA_VF_LINK_STATE, &w(&[vf, 0]));
            attr(&mut b, IFLA_VF_RATE, &w(&[vf, 0, 0]));
            end_nest(&mut b, info);
        }
        end_nest(&mut b, list);
        b
    }

    #[test]
    fn newlink_is_decoded_with_every_vf_setting() {
        let link = parse_link(&newlink()).unwrap();
        assert_eq!(
            (link.ifindex, link.is_up(), link.num_vf),
            (2, true, Some(2))
        );
        assert_eq!(link.address.unwrap().to_string(), "52:54:00:12:34:56");
        assert_eq!(link.perm_address, None);
        assert_eq!(link.vfs.len(), 2);
        let v = &link.vfs[1];
        assert_eq!(v.vf, 1);
        assert_eq!(v.mac.unwrap().to_string(), "02:11:22:33:44:51");
        assert_eq!((v.vlan, v.qos), (Some(100), Some(0)));
        assert_eq!(
            (v.spoofchk, v.trust),
            (Some(true), None),
            "-1 is not supported"
        );
        assert_eq!(v.link_state, Some(LinkState::Auto));
        assert_eq!((v.min_tx_rate, v.max_tx_rate), (Some(0), Some(0)));
    }

    #[test]
    fn broken_attributes_never_panic_or_read_past() {
        let good = newlink();
        for cut in 0..good.len() {
            let _ = parse_link(&good[..cut]);
        }
        // Lengths that claim too much, too little, or odd values.
        for bad in [
            &[0xff, 0xff, 1, 0, 1, 2][..],
            &[2, 0, 1, 0],
            &[5, 0, 1, 0, 9],
            &[],
        ] {
            assert!(attrs(bad).all(|(_, p)| p.len() <= bad.len()));
        }
        let mut flipped = good.clone();
        for i in (16..flipped.len()).step_by(7) {
            flipped[i] ^= 0x5a;
            let _ = parse_link(&flipped);
        }
    }

    #[test]
    fn replies_carry_acks_errors_and_links() {
        let mut buf = Vec::new();
        for (seq, code) in [(1u32, 0i32), (2, -22)] {
            buf.extend_from_slice(&36u32.to_ne_bytes());
            buf.extend_from_slice(&2u16.to_ne_bytes());
            buf.extend_from_slice(&0u16.to_ne_bytes());
            buf.extend_from_slice(&seq.to_ne_bytes());
            buf.extend_from_slice(&0u32.to_ne_bytes());
            buf.extend_from_slice(&code.to_ne_bytes());
            buf.extend_from_slice(&[0; 16]); // the request's header
        }
        // Found by fuzzing: an error code of i32::MIN cannot be negated.
        let mut odd = buf[..36].to_vec();
        odd[16..20].copy_from_slice(&i32::MIN.to_ne_bytes());
        assert_eq!(replies(&odd).count(), 1);
        let got: Vec<_> = replies(&buf).collect();
        assert_eq!(
            got,
            [(1, Reply::Ack(Ok(()))), (2, Reply::Ack(Err(Errno::EINVAL)))]
        );
        assert_eq!(replies(&buf[..20]).count(), 0);
    }
}
