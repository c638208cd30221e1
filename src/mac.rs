//! `Mac`: a 6-byte Ethernet address, parsed from sysfs or from users; and
//! the colon-separated hex octets it shares with InfiniBand GUIDs
//! (`crate::guid`).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
/// A MAC address.
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// Parses `52:54:00:12:34:56` (either case). Anything else, including the
    /// 20-byte addresses of InfiniBand netdevs, is `None`.
    pub fn parse(s: &[u8]) -> Option<Mac> {
        let mut mac = [0u8; 6];
        octets(s, &mut mac)?;
        Some(Mac(mac))
    }
}

/// Fills `out` from `xx:xx:...` (two hex digits per octet, either case,
/// exactly `out.len()` of them; sysfs's trailing newline allowed).
pub(crate) fn octets(s: &[u8], out: &mut [u8]) -> Option<()> {
    let s = crate::sysfs::trim(s);
    if s.len() != out.len() * 3 - 1 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        let part = &s[i * 3..i * 3 + 2];
        if i * 3 + 2 < s.len() && s[i * 3 + 2] != b':' {
            return None;
        }
        *byte = (hex(part[0])? << 4) | hex(part[1])?;
    }
    Some(())
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Writes `b` as lowercase `xx:xx:...` (at most 8 octets), by hand:
/// listing prints one per VF.
pub(crate) fn write_octets(b: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [b':'; 23];
    for (i, b) in b.iter().enumerate() {
        buf[i * 3] = HEX[(b >> 4) as usize];
        buf[i * 3 + 1] = HEX[(b & 15) as usize];
    }
    let text = buf.get(..b.len() * 3 - 1).ok_or(fmt::Error)?;
    f.write_str(std::str::from_utf8(text).map_err(|_| fmt::Error)?)
}

impl fmt::Display for Mac {
    /// `02:00:00:00:00:01`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_octets(&self.0, f)
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
