//! PCI functions as values: addresses ([`PciAddr`]), the keys users name
//! devices by ([`DevKey`]), kernel names read from links ([`Name`]), how
//! messages and listings name a function ([`label`], [`device_path`]), and
//! the pure parsers of the sysfs links that name one (`net/IF` parents,
//! `virtfnN`, `physfn`). No I/O: the scan is `crate::scan`, the model
//! `crate::inventory`, a device a user named `crate::device`.

use crate::ifname::IfName;
use crate::sysfs::display_path;
use std::fmt;

/// A PCI function address, `domain:bus:device.function`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PciAddr {
    /// PCI domain (segment).
    pub domain: u32,
    /// Bus number.
    pub bus: u8,
    /// Device number (0-31).
    pub dev: u8,
    /// Function number (0-7).
    pub func: u8,
}

/// The text of a PCI address, as a path component.
pub type PciName = heapless::String<20>;

impl PciAddr {
    /// Parses `0000:01:00.0`, or `01:00.0` (domain 0) as lspci prints it.
    pub fn parse(s: &str) -> Option<PciAddr> {
        Self::parse_why(s).ok()
    }

    /// [`PciAddr::parse`], with what is wrong when it is not an address:
    /// a device over 1f or a function over 7 is named as such.
    pub fn parse_why(s: &str) -> std::result::Result<PciAddr, String> {
        let generic = || {
            crate::msg!(
                "'{}' is not a PCI address (expected DDDD:BB:DD.F, e.g. 0000:01:00.0)",
                crate::text::quote(s)
            )
        };
        let a = Self::parse_loose(s).ok_or_else(generic)?;
        if a.3 > 7 {
            return Err(format!(
                "'{}': PCI function {:x} does not exist (functions are 0 to 7)",
                crate::text::quote(s),
                a.3
            ));
        }
        if a.2 > 0x1f {
            return Err(format!(
                "'{}': PCI device {:02x} does not exist (devices are 00 to 1f)",
                crate::text::quote(s),
                a.2
            ));
        }
        Ok(PciAddr {
            domain: a.0,
            bus: a.1 as u8,
            dev: a.2 as u8,
            func: a.3 as u8,
        })
    }

    /// The four numbers of an address, each within its digits' width.
    fn parse_loose(s: &str) -> Option<(u32, u32, u32, u32)> {
        let (rest, func) = s.rsplit_once('.')?;
        let mut parts = rest.rsplitn(3, ':');
        let dev = parts.next()?;
        let bus = parts.next()?;
        let domain = parts.next().unwrap_or("0000");
        let hex = |s: &str, max_len: usize| -> Option<u32> {
            if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            u32::from_str_radix(s, 16).ok()
        };
        Some((hex(domain, 8)?, hex(bus, 2)?, hex(dev, 2)?, hex(func, 1)?))
    }

    /// The address as sysfs names the function's directory.
    pub fn name(&self) -> PciName {
        let mut s = PciName::new();
        // 8 + 1 + 2 + 1 + 2 + 1 + 1 = 16 bytes at most: always fits.
        let _ = fmt::write(&mut s, format_args!("{self}"));
        s
    }
}

impl fmt::Display for PciAddr {
    /// `0000:01:00.0`. By hand rather than with `{:04x}`: listing prints
    /// thousands of addresses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [0u8; 16];
        let mut n = 0;
        let digits = 8 - (self.domain.leading_zeros() as usize / 4).min(4);
        for i in (0..digits).rev() {
            buf[n] = HEX[(self.domain >> (i * 4)) as usize & 15];
            n += 1;
        }
        for (sep, v) in [(b':', self.bus), (b':', self.dev)] {
            buf[n..n + 3].copy_from_slice(&[sep, HEX[v as usize >> 4], HEX[v as usize & 15]]);
            n += 3;
        }
        buf[n..n + 2].copy_from_slice(&[b'.', HEX[self.func as usize & 7]]);
        // ASCII by construction.
        f.write_str(std::str::from_utf8(&buf[..n + 2]).unwrap_or("?"))
    }
}

/// A kernel name read from a link: a driver, a bus.
pub type Name = heapless::String<48>;

/// A [`Name`] from a link's last component, if it fits.
pub fn name(s: &str) -> Option<Name> {
    Name::try_from(s).ok()
}

/// How messages name a function: `enp1s0f0 (0000:01:00.0)`, or the address.
pub fn label(addr: PciAddr, iface: Option<&IfName>) -> String {
    match iface {
        Some(i) => format!("{i} ({addr})"),
        None => addr.to_string(),
    }
}

/// `/sys/class/net/IF` when it has a netdev, else its PCI directory.
pub fn device_path(addr: PciAddr, iface: Option<&IfName>) -> String {
    match iface {
        Some(i) => display_path(&["sys/class/net", i.as_str()]),
        None => display_path(&["sys/bus/pci/devices", &addr.name()]),
    }
}

/// The PCI function owning a netdev, from its class/net link target:
/// `…/0000:01:00.0/net/eth0` → `0000:01:00.0`; `…/virtual/net/lo` → `None`.
pub fn netdev_parent(target: &[u8]) -> Option<PciAddr> {
    let mut parts = target.rsplit(|&b| b == b'/');
    let _name = parts.next()?;
    if parts.next()? != b"net" {
        return None;
    }
    PciAddr::parse(std::str::from_utf8(parts.next()?).ok()?)
}

/// The PCI function behind a virtio NIC's `/sys/class/net` link
/// (`.../0000:00:03.0/virtio0/net/eth0`): virtio has no SR-IOV.
pub fn virtio_parent(target: &[u8]) -> Option<PciAddr> {
    let mut parts = target.rsplit(|&b| b == b'/').skip(2);
    if !parts.next()?.starts_with(b"virtio") {
        return None;
    }
    PciAddr::parse(std::str::from_utf8(parts.next()?).ok()?)
}

/// The PCI address a `virtfnN` or `physfn` link points to (`../0000:01:10.0`).
pub fn link_addr(target: &[u8]) -> Option<PciAddr> {
    let last = target.rsplit(|&b| b == b'/').next()?;
    PciAddr::parse(std::str::from_utf8(last).ok()?)
}

/// N of a `virtfnN` entry.
pub fn virtfn_index(entry: &str) -> Option<u32> {
    let n = entry.strip_prefix("virtfn")?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// `virtfnN` followed by `attr`, in a reused buffer.
pub fn virtfn_path<'b>(buf: &'b mut String, index: u32, attr: &str) -> &'b str {
    buf.clear();
    let _ = fmt::write(buf, format_args!("virtfn{index}{attr}"));
    buf
}

/// A device named on the command line or in the config file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DevKey {
    /// A PCI address.
    Pci(PciAddr),
    /// An interface name.
    Name(IfName),
}

impl DevKey {
    /// A PCI address when it has a `:` (interface names cannot), else a
    /// checked interface name. The error says why the text is neither.
    pub fn parse(s: &str) -> std::result::Result<DevKey, String> {
        if s.contains(':') {
            return PciAddr::parse_why(s).map(DevKey::Pci);
        }
        IfName::parse(s).map(DevKey::Name).map_err(|why| {
            crate::msg!("'{}' is not a valid device: {}", crate::text::quote(s), why)
        })
    }
}

impl fmt::Display for DevKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DevKey::Pci(a) => a.fmt(f),
            DevKey::Name(n) => n.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> PciAddr {
        PciAddr::parse(s).unwrap()
    }

    #[test]
    fn addresses_parse_in_sysfs_and_lspci_form() {
        assert_eq!(
            a("0000:01:00.0"),
            PciAddr {
                domain: 0,
                bus: 1,
                dev: 0,
                func: 0
            }
        );
        assert_eq!(a("01:10.2").to_string(), "0000:01:10.2");
        assert_eq!(a("10000:e1:1F.7").to_string(), "10000:e1:1f.7");
        for bad in [
            "",
            "0000:01:00",
            "0000:01:20.0",
            "0000:01:00.8",
            "0000:100:00.0",
            "x:01:00.0",
            "01.00.0",
            "0000:01:00.0.vf3",
            ":01:00.0",
        ] {
            assert_eq!(PciAddr::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn addresses_sort_as_the_bus_does() {
        let mut v = [
            a("0000:02:10.0"),
            a("0000:01:10.2"),
            a("0000:01:00.1"),
            a("0000:01:00.0"),
        ];
        v.sort();
        assert_eq!(
            v.map(|x| x.to_string()),
            [
                "0000:01:00.0",
                "0000:01:00.1",
                "0000:01:10.2",
                "0000:02:10.0"
            ]
        );
    }

    #[test]
    fn netdev_links_name_their_pci_function() {
        let pf = b"../../devices/pci0000:00/0000:00:01.0/0000:01:00.0/net/eth0";
        assert_eq!(netdev_parent(pf), Some(a("0000:01:00.0")));
        for other in [
            &b"../../devices/virtual/net/lo"[..],
            b"../../devices/pci0000:00/0000:00:03.0/virtio0/net/eth9",
            b"../../devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/net/enx00e04c",
            b"eth0",
            b"",
        ] {
            assert_eq!(
                netdev_parent(other),
                None,
                "{}",
                String::from_utf8_lossy(other)
            );
        }
    }

    #[test]
    fn virtfn_links_sort_numerically() {
        assert_eq!(virtfn_index("virtfn10"), Some(10));
        assert_eq!(virtfn_index("virtfn"), None);
        assert_eq!(virtfn_index("virtfn-1"), None);
        assert_eq!(virtfn_index("vendor"), None);
        assert_eq!(link_addr(b"../0000:01:10.2"), Some(a("0000:01:10.2")));
        assert_eq!(link_addr(b"../../devices"), None);
    }

    #[test]
    fn device_keys_are_addresses_or_checked_names() {
        assert_eq!(
            DevKey::parse("0000:01:00.0"),
            Ok(DevKey::Pci(a("0000:01:00.0")))
        );
        assert_eq!(
            DevKey::parse("eth0"),
            Ok(DevKey::Name(IfName::parse("eth0").unwrap()))
        );
        assert!(DevKey::parse("../../etc").is_err());
        assert!(DevKey::parse("eth0:1").is_err());
        assert!(DevKey::parse("abcdefghijklmnop").is_err());
        let e = DevKey::parse("0000:01:00.8").unwrap_err();
        assert!(e.contains("PCI function 8 does not exist"), "{e}");
        let e = DevKey::parse("0000:01:00\n.0").unwrap_err();
        assert!(e.contains("'0000:01:00\\n.0' is not a PCI address"), "{e}");
    }
}
