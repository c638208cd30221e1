//! `Mac`: a 6-byte Ethernet address, parsed from sysfs or from users.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
/// A MAC address.
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// Parses `52:54:00:12:34:56` (either case). Anything else, including the
    /// 20-byte addresses of InfiniBand netdevs, is `None`.
    pub fn parse(s: &[u8]) -> Option<Mac> {
        let s = crate::sysfs::trim(s);
        if s.len() != 17 {
            return None;
        }
        let mut mac = [0u8; 6];
        for (i, byte) in mac.iter_mut().enumerate() {
            let part = &s[i * 3..i * 3 + 2];
            if i < 5 && s[i * 3 + 2] != b':' {
                return None;
            }
            *byte = (hex(part[0])? << 4) | hex(part[1])?;
        }
        Some(Mac(mac))
    }
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

impl fmt::Display for Mac {
    /// `02:00:00:00:00:01`, by hand: listing prints one per VF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [b':'; 17];
        for (i, b) in self.0.iter().enumerate() {
            buf[i * 3] = HEX[(b >> 4) as usize];
            buf[i * 3 + 1] = HEX[(b & 15) as usize];
        }
        f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_lowercase() {
        let m = Mac::parse(b"52:54:00:AB:cd:EF\n").unwrap();
        assert_eq!(m.to_string(), "52:54:00:ab:cd:ef");
    }

    #[test]
    fn refuses_anything_else() {
        for bad in [
            &b"52:54:00:12:34"[..],
            b"52-54-00-12-34-56",
            b"52:54:00:12:34:5g",
            b"",
            b"80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0e:2f:51",
        ] {
            assert_eq!(Mac::parse(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
