//! Vendor and device names from the pci.ids database, streamed.
//!
//! pci.ids is over a megabyte; vfnet needs a handful of names from it. The
//! file is read line by line and the scan stops as soon as every requested
//! name is found, or once it is past the last requested vendor (vendors are
//! in ascending order). No database, or no entry, means the description
//! falls back to `vendor:device` in hex.

use crate::inventory::Pf;
use crate::sysfs::Root;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use std::io::{BufRead, BufReader, Read};

/// Where distributions install pci.ids, in the order they are tried.
pub const PATHS: [&str; 3] = [
    "/usr/share/hwdata/pci.ids",
    "/usr/share/misc/pci.ids",
    "/usr/share/pci.ids",
];

/// Fills in the description of each PF whose vendor and device could be
/// read. Unknown stays unknown: no name is made up from ids that could not
/// be read (the description stays `None`: `?`, JSON null).
pub fn fill(root: &Root, pfs: &mut [Pf]) {
    let known: Vec<usize> = (0..pfs.len())
        .filter(|&i| pfs[i].vendor.is_some() && pfs[i].device.is_some())
        .collect();
    let ids: Vec<(u16, u16)> = known
        .iter()
        .map(|&i| (pfs[i].vendor.unwrap_or(0), pfs[i].device.unwrap_or(0)))
        .collect();
    for (&i, d) in known.iter().zip(describe(root, &ids)) {
        pfs[i].description = Some(d);
    }
}

/// The names pci.ids gives `(vendor, device)` pairs, in the order asked
/// (empty when there is no database).
pub fn names(root: &Root, ids: &[(u16, u16)]) -> Vec<Names> {
    if ids.is_empty() {
        return Vec::new();
    }
    PATHS
        .iter()
        .find_map(|p| {
            let fd = nix::fcntl::open(
                &root.real(p),
                OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .ok()?;
            // A regular file only: never a FIFO or a device.
            let st = nix::sys::stat::fstat(&fd).ok()?;
            (st.st_mode & nix::libc::S_IFMT == nix::libc::S_IFREG).then_some(fd)
        })
        .map(|fd| lookup(std::fs::File::from(fd), ids))
        .unwrap_or_default()
}

/// Descriptions for `(vendor, device)` pairs, in the order asked.
pub fn describe(root: &Root, ids: &[(u16, u16)]) -> Vec<String> {
    let names = names(root, ids);
    ids.iter()
        .enumerate()
        .map(|(i, &(v, d))| match names.get(i) {
            Some(Names {
                vendor: Some(vn),
                device: Some(dn),
            }) => format!("{vn} {dn}"),
            Some(Names {
                vendor: Some(vn),
                device: None,
            }) => format!("{vn} device {d:04x}"),
            _ => format!("{v:04x}:{d:04x}"),
        })
        .collect()
}

/// The names found for one `(vendor, device)` pair.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    /// The vendor's name.
    pub vendor: Option<String>,
    /// The device's name.
    pub device: Option<String>,
}

/// Streams a pci.ids database and returns the names for each pair.
pub fn lookup(db: impl Read, ids: &[(u16, u16)]) -> Vec<Names> {
    let mut out = vec![Names::default(); ids.len()];
    let last_vendor = ids.iter().map(|i| i.0).max().unwrap_or(0);
    let mut reader = BufReader::with_capacity(64 * 1024, db);
    let mut line = Vec::with_capacity(256);
    let mut vendor: Option<u16> = None;
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let l = crate::sysfs::trim(&line);
        match l.first() {
            None | Some(b'#') => continue,
            Some(b'\t') if l.get(1) == Some(&b'\t') => continue, // subsystem
            Some(b'\t') => {
                let Some(v) = vendor else { continue };
                if let Some((id, name)) = id_line(&l[1..]) {
                    for (i, _) in ids.iter().enumerate().filter(|(_, p)| **p == (v, id)) {
                        out[i].device = Some(name.clone());
                    }
                }
            }
            Some(_) => {
                // A vendor line, or the class list (`C 02  Network controller`)
                // that follows the last vendor.
                let Some((id, name)) = id_line(l) else { break };
                if id > last_vendor {
                    break;
                }
                vendor = ids.iter().any(|p| p.0 == id).then_some(id);
                for (i, _) in ids.iter().enumerate().filter(|(_, p)| p.0 == id) {
                    out[i].vendor = Some(name.clone());
                }
            }
        }
        if out.iter().all(|n| n.vendor.is_some() && n.device.is_some()) {
            break;
        }
    }
    out
}

/// `8086  Intel Corporation` → `(0x8086, "Intel Corporation")`.
fn id_line(l: &[u8]) -> Option<(u16, String)> {
    if l.len() < 7 || &l[4..6] != b"  " {
        return None;
    }
    let id = crate::sysfs::parse_hex_u16(&l[..4])?;
    Some((id, String::from_utf8_lossy(&l[6..]).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DB: &str = "\
# comment
0001  SafeNet (wrong ID)
8086  Intel Corporation
\t10c9  82576 Gigabit Network Connection
\t\t8086 a02b  Ethernet Server Adapter
\t10ca  82576 Virtual Function
\t1563  Ethernet Controller 10G X550T
\t1565  X550 Virtual Function
9005  Adaptec
\t0010  AHA-2940U2/U2W
C 02  Network controller
\t00  Ethernet controller
";

    #[test]
    fn finds_vendor_and_device_names() {
        let got = lookup(
            DB.as_bytes(),
            &[(0x8086, 0x1563), (0x8086, 0x10c9), (0x9005, 0x0010)],
        );
        assert_eq!(got[0].vendor.as_deref(), Some("Intel Corporation"));
        assert_eq!(
            got[0].device.as_deref(),
            Some("Ethernet Controller 10G X550T")
        );
        assert_eq!(
            got[1].device.as_deref(),
            Some("82576 Gigabit Network Connection")
        );
        assert_eq!(got[2].device.as_deref(), Some("AHA-2940U2/U2W"));
    }

    #[test]
    fn subsystem_lines_are_not_devices() {
        // a02b appears only as a subsystem id under 10c9.
        let got = lookup(DB.as_bytes(), &[(0x8086, 0xa02b)]);
        assert_eq!(got[0].vendor.as_deref(), Some("Intel Corporation"));
        assert_eq!(got[0].device, None);
    }

    /// A reader that fails the test if read past `limit` bytes.
    struct Limited<'a>(&'a [u8], usize);
    impl Read for Limited<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(16);
            assert!(
                self.1 >= n,
                "read past the point where every name was known"
            );
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            self.1 -= n;
            Ok(n)
        }
    }

    #[test]
    fn stops_reading_once_every_name_is_found() {
        // 10c9 is found before the X550T lines; with 16-byte reads, stopping
        // means the reader is never asked for the Adaptec part.
        let stop = DB.find("\t10ca").unwrap() + 16;
        let got = lookup(Limited(DB.as_bytes(), stop), &[(0x8086, 0x10c9)]);
        assert_eq!(
            got[0].device.as_deref(),
            Some("82576 Gigabit Network Connection")
        );
    }

    #[test]
    fn stops_past_the_last_wanted_vendor() {
        let stop = DB.find("\t0010").unwrap() + 16;
        let got = lookup(Limited(DB.as_bytes(), stop), &[(0x8086, 0xffff)]);
        assert_eq!(got[0].device, None);
    }

    #[test]
    fn garbage_is_survived() {
        let got = lookup(&b"\t\t\n\tzz\n8086\nC\n\xff\xfe  x\n"[..], &[(0x8086, 1)]);
        assert_eq!(got[0], Names::default());
    }
}
