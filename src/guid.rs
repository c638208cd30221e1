//! `Guid`: an InfiniBand GUID (EUI-64), as `ip link set DEV vf N node_guid`
//! writes it (`00:11:22:33:44:55:66:77`, the first octet the most
//! significant), and the stable GUIDs `node_guid auto` and `port_guid auto`
//! give. Pure.
//!
//! Stable GUIDs: VF n of a PF whose port GUID is `g0:g1:...:g7` gets
//!
//! ```text
//!   (g0 ^ g1 ^ g2) & 0xfc | 0x02 : g3 : g4 : g5 : g6 : g7 : n >> 8 : n & 0xff
//! ```
//!
//! the rule of `mac auto` (`crate::vf`) widened to 64 bits: locally
//! administered (bit 1 of the first octet set, so never a vendor's GUID),
//! the PF's own 40 bits under its vendor's OUI (they differ between the
//! ports and cards of a host), then the VF's index. A PF known only by its
//! permanent MAC `p0:...:p5` stands for the EUI-64 `p0:p1:p2:ff:fe:p3:p4:p5`.
//! The node and the port GUID of a VF come out the same, as the IB SR-IOV
//! CNI and Incus set them.

use crate::mac::Mac;
use std::fmt;

/// An InfiniBand GUID; `.0[0]` is the most significant octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guid(pub [u8; 8]);

impl Guid {
    /// Parses `00:11:22:33:44:55:66:77` (either case); anything else is
    /// `None`.
    pub fn parse(s: &[u8]) -> Option<Guid> {
        let mut g = [0u8; 8];
        crate::mac::octets(s, &mut g)?;
        Some(Guid(g))
    }

    /// The EUI-64 a MAC stands for (`ff:fe` in its middle).
    pub fn from_mac(m: Mac) -> Guid {
        let p = m.0;
        Guid([p[0], p[1], p[2], 0xff, 0xfe, p[3], p[4], p[5]])
    }

    /// The stable GUID of VF `index` of a PF with this port GUID (the
    /// module's formula).
    pub fn auto(self, index: u32) -> Guid {
        let g = self.0;
        Guid([
            (g[0] ^ g[1] ^ g[2]) & 0xfc | 0x02,
            g[3],
            g[4],
            g[5],
            g[6],
            g[7],
            (index >> 8) as u8,
            index as u8,
        ])
    }

    /// As the kernel's `struct ifla_vf_guid` holds it: a host-order u64.
    pub fn to_u64(self) -> u64 {
        u64::from_be_bytes(self.0)
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::mac::write_octets(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_as_ip_link_does() {
        let g = Guid::parse(b"00:11:22:33:44:55:66:7A\n").unwrap();
        assert_eq!(g.to_string(), "00:11:22:33:44:55:66:7a");
        assert_eq!(g.to_u64(), 0x0011_2233_4455_667a);
        for bad in [
            &b"00:11:22:33:44:55:66"[..],
            b"00:11:22:33:44:55:66:77:88",
            b"00-11-22-33-44-55-66-77",
            b"00:11:22:33:44:55:66:7g",
            b"0011:2233:4455:6677",
            b"",
        ] {
            assert_eq!(Guid::parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn auto_is_local_unicast_and_distinct_per_vf_and_pf() {
        // Two ports of one ConnectX card: port GUIDs 1 apart.
        let p1 = Guid::parse(b"b8:59:9f:03:00:a1:b2:c0").unwrap();
        let p2 = Guid::parse(b"b8:59:9f:03:00:a1:b2:c1").unwrap();
        assert_eq!(p1.auto(0).to_string(), "7e:03:00:a1:b2:c0:00:00");
        assert_eq!(p1.auto(258).to_string(), "7e:03:00:a1:b2:c0:01:02");
        let mut seen = std::collections::HashSet::new();
        for pf in [p1, p2] {
            for n in 0..300 {
                let g = pf.auto(n);
                assert_eq!(g.0[0] & 3, 2, "locally administered, unicast");
                assert_eq!(g, pf.auto(n), "the same on every call");
                assert!(seen.insert(g.0), "{g} twice");
            }
        }
    }

    #[test]
    fn a_mac_stands_for_its_eui64() {
        let m = Mac::parse(b"52:54:00:12:34:56").unwrap();
        assert_eq!(Guid::from_mac(m).to_string(), "52:54:00:ff:fe:12:34:56");
        assert_eq!(
            Guid::from_mac(m).auto(3).to_string(),
            "06:ff:fe:12:34:56:00:03"
        );
    }
}
