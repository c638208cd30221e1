//! rtnetlink's messages for bridge FDB sync (`crate::fdb`): the link dump
//! (`RTM_GETLINK`: index, name, master, lower device, kind, MAC of every
//! interface), the `AF_BRIDGE` neighbour dump (every bridge's and every
//! device's forwarding entries, as `bridge fdb show` reads them) and the
//! changes of a device's own table (`bridge fdb add|del MAC dev DEV self`).
//! Pure: bytes in, bytes out, tested against iproute2's and a kernel's
//! bytes; `crate::netlink`'s socket carries them.

use crate::mac::Mac;
use crate::netlink::{
    IFINFOMSG, IFLA_ADDRESS, IFLA_IFNAME, NLM_F_ACK, NLMSG_HDR, RTM_GETLINK, attr, attrs, finish,
    header, mac, u32_at,
};

const IFLA_LINK: u16 = 5;
const IFLA_MASTER: u16 = 10;
const IFLA_LINKINFO: u16 = 18;
const IFLA_INFO_KIND: u16 = 1;

// linux/neighbour.h: the bridge's forwarding table over rtnetlink.
/// A bridge-table entry (dumped, added, or an event).
pub const RTM_NEWNEIGH: u16 = 28;
const RTM_DELNEIGH: u16 = 29;
const RTM_GETNEIGH: u16 = 30;
const NLM_F_DUMP: u16 = 0x300;
const NLM_F_EXCL: u16 = 0x200;
const NLM_F_CREATE: u16 = 0x400;
const AF_BRIDGE: u8 = 7;
const NDMSG: usize = 12;
const NDA_LLADDR: u16 = 2;
const NDA_VLAN: u16 = 5;
const NDA_MASTER: u16 = 9;
/// `NUD_NOARP | NUD_PERMANENT`: what `bridge fdb add ... self` asks for.
const NUD_STATIC_SELF: u16 = 0x40 | 0x80;

/// An interface (in a link dump).
pub const RTM_NEWLINK: u16 = crate::netlink::RTM_NEWLINK;

/// A dump request: `RTM_GETLINK` (every interface) or `RTM_GETNEIGH` for
/// `AF_BRIDGE` (every bridge's and device's forwarding entries), as
/// iproute2's `ip link` and `bridge fdb show` send them.
pub fn dump(seq: u32, neigh: bool) -> Vec<u8> {
    let mut b = header(RTM_GETLINK, NLM_F_DUMP, seq, 0, 0, 0);
    if neigh {
        b[4..6].copy_from_slice(&RTM_GETNEIGH.to_ne_bytes());
        // struct ndmsg (12 bytes): family AF_BRIDGE, the rest 0.
        b.truncate(NLMSG_HDR + NDMSG);
        b[NLMSG_HDR..].fill(0);
        b[NLMSG_HDR] = AF_BRIDGE;
    }
    finish(b)
}

/// `RTM_NEWNEIGH` (`add`) or `RTM_DELNEIGH` of `mac` in the device
/// `ifindex`'s own table, as `bridge fdb add|del MAC dev DEV self` sends
/// it: `AF_BRIDGE`, `NTF_SELF`, `NUD_NOARP | NUD_PERMANENT`, with an ACK
/// (and, to add, `NLM_F_CREATE | NLM_F_EXCL`).
pub fn fdb_change(seq: u32, add: bool, ifindex: i32, mac: Mac) -> Vec<u8> {
    let (kind, flags) = match add {
        true => (RTM_NEWNEIGH, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL),
        false => (RTM_DELNEIGH, NLM_F_ACK),
    };
    let mut b = header(kind, flags, seq, 0, 0, 0);
    b.truncate(NLMSG_HDR);
    // struct ndmsg { u8 family, pad1; u16 pad2; s32 ifindex; u16 state; u8 flags, type; }
    b.extend_from_slice(&[AF_BRIDGE, 0, 0, 0]);
    b.extend_from_slice(&ifindex.to_ne_bytes());
    b.extend_from_slice(&NUD_STATIC_SELF.to_ne_bytes());
    b.extend_from_slice(&[crate::fdb::NTF_SELF, 0]);
    attr(&mut b, NDA_LLADDR, &mac.0);
    finish(b)
}

/// One `RTM_NEWNEIGH` of an `AF_BRIDGE` dump (or event); `None` for
/// another family or an entry without a 6-byte address.
pub fn parse_fdb(body: &[u8]) -> Option<crate::fdb::Entry> {
    if body.len() < NDMSG || body[0] != AF_BRIDGE {
        return None;
    }
    let mut e = crate::fdb::Entry {
        ifindex: i32::from_ne_bytes(body[4..8].try_into().ok()?),
        state: u16::from_ne_bytes([body[8], body[9]]),
        flags: body[10],
        mac: Mac([0; 6]),
        master: None,
        vlan: None,
    };
    let mut found = None;
    for (kind, p) in attrs(&body[NDMSG..]) {
        match kind {
            NDA_LLADDR => found = mac(p),
            NDA_MASTER => e.master = u32_at(p, 0).map(|m| m as i32),
            NDA_VLAN if p.len() >= 2 => e.vlan = Some(u16::from_ne_bytes([p[0], p[1]])),
            _ => {}
        }
    }
    e.mac = found?;
    Some(e)
}

/// One `RTM_NEWLINK` of a link dump: index, name, master, lower device,
/// kind and MAC.
pub fn parse_iface(body: &[u8]) -> Option<crate::fdb::Iface> {
    let mut l = crate::fdb::Iface {
        index: i32::from_ne_bytes(body.get(4..8)?.try_into().ok()?),
        ..Default::default()
    };
    for (kind, p) in attrs(body.get(IFINFOMSG..)?) {
        let nonzero = || u32_at(p, 0).filter(|&i| i != 0).map(|i| i as i32);
        match kind {
            IFLA_IFNAME => l.name = cstr(p),
            IFLA_MASTER => l.master = nonzero(),
            IFLA_LINK => l.lower = nonzero(),
            IFLA_ADDRESS => l.mac = mac(p),
            IFLA_LINKINFO => {
                l.kind = attrs(p).find(|a| a.0 == IFLA_INFO_KIND).map(|a| cstr(a.1));
            }
            _ => {}
        }
    }
    Some(l)
}

/// A NUL-terminated string attribute, lossily.
fn cstr(p: &[u8]) -> String {
    let end = p.iter().position(|&b| b == 0).unwrap_or(p.len());
    String::from_utf8_lossy(&p[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::{Reply, replies};

    /// iproute2's `bridge fdb add 02:11:22:33:44:55 dev d0 self` (d0 is
    /// index 3), from `strace -X raw -e trace=sendmsg`: 40 bytes, type
    /// 0x1c, flags 0x605, ndmsg {family 7, ifindex 3, state 0xc0, flags 2},
    /// NDA_LLADDR (len 10, type 2) and 2 bytes of padding.
    fn iproute2_fdb(kind: u8, flags: u16, seq: u32) -> Vec<u8> {
        let mut b = vec![40, 0, 0, 0, kind, 0];
        b.extend_from_slice(&flags.to_ne_bytes());
        b.extend_from_slice(&seq.to_ne_bytes());
        b.extend_from_slice(&[0, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 0xc0, 0, 2, 0]);
        b.extend_from_slice(&[10, 0, 2, 0, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0]);
        b
    }

    #[test]
    fn fdb_add_and_del_are_iproute2s_bytes() {
        let m = Mac([0x02, 0x11, 0x22, 0x33, 0x44, 0x55]);
        assert_eq!(fdb_change(9, true, 3, m), iproute2_fdb(0x1c, 0x605, 9));
        assert_eq!(fdb_change(9, false, 3, m), iproute2_fdb(0x1d, 0x005, 9));
    }

    #[test]
    fn dumps_are_what_ip_and_bridge_ask_for() {
        // bridge fdb show: nlmsghdr (RTM_GETNEIGH, REQUEST|DUMP) + ndmsg, family 7.
        let m = dump(5, true);
        assert_eq!(m.len(), 28);
        assert_eq!(&m[..8], &[28, 0, 0, 0, 30, 0, 0x01, 0x03]);
        assert_eq!(&m[16..], &[7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        // ip link: RTM_GETLINK, REQUEST|DUMP, an empty ifinfomsg.
        let m = dump(5, false);
        assert_eq!(&m[..8], &[32, 0, 0, 0, 18, 0, 0x01, 0x03]);
        assert_eq!(&m[16..], &[0; 16]);
    }

    /// A kernel's answers (6.x, a network namespace): br0 (4) with the
    /// veth d0 (3) and the veth t0 (6), whose peer t1 (5) sent a frame;
    /// `bridge fdb add 02:aa:bb:cc:dd:01 dev t0 master static` and
    /// `bridge fdb add 02:11:22:33:44:55 dev d0 self` (tests/data, read
    /// off a netlink socket by a 20-line Python script).
    fn kernel_dump(name: &str) -> Vec<(u16, Vec<u8>)> {
        let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
        let b = std::fs::read(path).unwrap();
        replies(&b)
            .filter_map(|(_, r)| match r {
                Reply::Msg(k, body) => Some((k, body.to_vec())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_kernels_fdb_dump_decodes() {
        use crate::fdb::{Entry, NTF_SELF};
        let all: Vec<Entry> = kernel_dump("fdb-dump.bin")
            .iter()
            .filter_map(|(k, b)| (*k == RTM_NEWNEIGH).then(|| parse_fdb(b)).flatten())
            .collect();
        assert_eq!(all.len(), 19);
        let find = |m: [u8; 6]| all.iter().find(|e| e.mac == Mac(m)).unwrap();
        let learned = find([0xb6, 0x51, 0xe0, 0x22, 0x43, 0x7a]);
        assert_eq!(
            (learned.ifindex, learned.master, learned.state),
            (6, Some(4), 0x02)
        );
        let given = find([0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01]);
        assert_eq!(
            (given.ifindex, given.master, given.state),
            (6, Some(4), 0x40)
        );
        let own = find([0x02, 0x11, 0x22, 0x33, 0x44, 0x55]);
        assert_eq!((own.ifindex, own.master, own.flags), (3, None, NTF_SELF));
        let ports = [crate::fdb::Port { bridge: 4, port: 3 }];
        let pf = Some(Mac([0x76, 0x44, 0x8e, 0x7d, 0xb3, 0xb1]));
        assert_eq!(
            crate::fdb::behind(&all, &ports, pf),
            [given.mac, learned.mac]
        );
        assert_eq!(crate::fdb::present(&all, 3), [own.mac]);
    }

    #[test]
    fn a_kernels_link_dump_decodes() {
        let links: Vec<crate::fdb::Iface> = kernel_dump("link-dump.bin")
            .iter()
            .filter_map(|(k, b)| (*k == RTM_NEWLINK).then(|| parse_iface(b)).flatten())
            .collect();
        let names: Vec<&str> = links.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["lo", "d1", "d0", "br0", "t1", "t0"]);
        let d0 = &links[2];
        assert_eq!(
            (d0.index, d0.master, d0.kind.as_deref()),
            (3, Some(4), Some("veth"))
        );
        assert_eq!(links[3].kind.as_deref(), Some("bridge"));
        assert_eq!(links[3].master, None);
        assert_eq!(links[0].kind, None);
        assert_eq!(
            crate::fdb::ports(&links, 3),
            [crate::fdb::Port { bridge: 4, port: 3 }]
        );
    }

    #[test]
    fn broken_fdb_and_link_messages_are_refused_not_read_past() {
        assert_eq!(parse_fdb(&[7, 0, 0]), None);
        // Another family (AF_INET neighbours) is not a bridge entry.
        let mut m = fdb_change(1, true, 3, Mac([2, 0, 0, 0, 0, 1]));
        assert!(parse_fdb(&m[NLMSG_HDR..]).is_some());
        m[NLMSG_HDR] = 2;
        assert_eq!(parse_fdb(&m[NLMSG_HDR..]), None);
        // An address of the wrong length: no entry.
        let mut m = fdb_change(1, true, 3, Mac([2, 0, 0, 0, 0, 1]));
        m[NLMSG_HDR + NDMSG] = 9;
        assert_eq!(parse_fdb(&m[NLMSG_HDR..]), None);
        assert_eq!(parse_iface(&[0; 5]), None);
        for cut in 0..40 {
            let m = fdb_change(1, true, 3, Mac([2, 0, 0, 0, 0, 1]));
            let _ = parse_fdb(&m[NLMSG_HDR.min(cut)..cut.max(NLMSG_HDR)]);
        }
    }
}
