//! The kernel log: its records read from /dev/kmsg without blocking (one
//! record per read; a plain file in a test tree is read whole), kept when
//! they match. For doctor's findings and for saying why a VF has no driver.
//!
//! A record is `PRIO,SEQ,TIME,FLAGS;MESSAGE` followed by dictionary lines
//! that start with a space (` SUBSYSTEM=pci`, ` DEVICE=+pci:0000:02:00.1`):
//! the dictionary names the device when the message does not (`nvme nvme1:
//! Device not ready`).

use crate::sysfs::Root;

/// One record of the kernel log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The syslog level (0 emergency .. 7 debug); 6 when there is no prefix.
    pub level: u8,
    /// The message text.
    pub message: String,
    /// The dictionary lines, without their leading space, joined by `\n`.
    pub dict: String,
}

impl Record {
    /// Whether the record is about the PCI function `addr` (its message or
    /// its `DEVICE=+pci:ADDR`).
    pub fn mentions(&self, addr: &str) -> bool {
        self.message.contains(addr)
            || self
                .dict
                .lines()
                .any(|l| l == crate::msg!("DEVICE=+pci:{}", addr))
    }
}

/// The records that `keep` accepts, oldest first; `None` when the log
/// cannot be read (not root, dmesg_restrict).
pub fn records(root: &Root, mut keep: impl FnMut(&Record) -> bool) -> Option<Vec<Record>> {
    use nix::fcntl::OFlag;
    let path = root.real("/dev/kmsg");
    let fd = nix::fcntl::open(
        &path,
        OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .ok()?;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 8192];
    let mut current: Option<Record> = None;
    for _ in 0..100_000 {
        match nix::unistd::read(&fd, &mut buf) {
            Ok(0) => break,
            Ok(n) => {
                for line in String::from_utf8_lossy(&buf[..n]).lines() {
                    if let Some(d) = line.strip_prefix(' ') {
                        if let Some(r) = &mut current {
                            if !r.dict.is_empty() {
                                r.dict.push('\n');
                            }
                            r.dict.push_str(d);
                        }
                        continue;
                    }
                    if let Some(r) = current.take().filter(|r| keep(r)) {
                        out.push(r);
                    }
                    current = Some(parse(line));
                }
            }
            Err(nix::errno::Errno::EPIPE) => continue, // overwritten while reading
            Err(_) => break,
        }
    }
    if let Some(r) = current.take().filter(|r| keep(r)) {
        out.push(r);
    }
    Some(out)
}

/// The messages of the records that `keep` accepts (by message).
pub fn lines(root: &Root, mut keep: impl FnMut(&str) -> bool) -> Option<Vec<String>> {
    records(root, |r| keep(&r.message)).map(|v| v.into_iter().map(|r| r.message).collect())
}

/// A record's first line: its level and message.
pub fn parse(line: &str) -> Record {
    let (level, message) = match line.split_once(';') {
        Some((prefix, m)) => {
            let prio = prefix.split(',').next().and_then(|p| p.parse::<u32>().ok());
            (prio.map_or(6, |p| (p & 7) as u8), m)
        }
        None => (6, line),
    };
    Record {
        level,
        message: message.to_string(),
        dict: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_lose_their_prefix_and_keep_their_level() {
        let r = parse("4,1234,5678,-;nvme nvme1: Device not ready");
        assert_eq!(
            (r.level, r.message.as_str()),
            (4, "nvme nvme1: Device not ready")
        );
        let r = parse("plain");
        assert_eq!((r.level, r.message.as_str()), (6, "plain"));
        // facility 0, level 3; facility 1 (user), level 6 = 14
        assert_eq!(parse("14,1,1,-;x").level, 6);
    }

    #[test]
    fn the_dictionary_names_the_device() {
        let r = Record {
            level: 4,
            message: "nvme nvme1: Device not ready".into(),
            dict: "SUBSYSTEM=pci\nDEVICE=+pci:0000:02:00.1".into(),
        };
        assert!(r.mentions("0000:02:00.1"));
        assert!(!r.mentions("0000:02:00.2"));
    }
}
