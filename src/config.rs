//! The config file: `KEY=N` lines that say how many VFs each PF gets.
//!
//! ```text
//! # enp1s0f0
//! 0000:01:00.0=4
//! enp3s0=2
//! ```
//!
//! KEY is a PCI address or an interface name. The file keeps what it does
//! not understand: every line is held as it was read ([`Line`]), updating an
//! entry replaces that one line, and saving writes the lines back, so
//! comments, order, blank lines and bad lines survive byte for byte.
//!
//! This module is the model and its parser, pure; reading, trusting and
//! saving the file is `crate::conffile`'s (atomic and locked).
//!
//! The original vfnet kept `iface:count` lines in /etc/vfnet/vf.config. When
//! that file exists and the new one does not, it is read instead ([`Source::Legacy`]).

use crate::ifname::IfName;
use crate::pci::{DevKey, PciAddr};
use crate::vf::Setting;
pub use crate::vf::{VfSel, parse_vf_sel};
use std::path::PathBuf;

mod line;
use line::parse_bytes;
pub use line::{Flag, Line, parse_count, parse_line};

/// Where the config file is, under the root.
pub const DEFAULT_PATH: &str = "/etc/vfnet/vfnet.conf";
/// The original vfnet's file.
pub const LEGACY_PATH: &str = "/etc/vfnet/vf.config";

/// The largest VF count a config line may ask for (`sriov_totalvfs` is 16-bit).
pub const MAX_COUNT: u32 = 65535;

/// A VF setting line, with its 1-based line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VfEntry<'a> {
    /// The line number.
    pub line: usize,
    /// The PF.
    pub key: &'a DevKey,
    /// Which of its VFs.
    pub vf: VfSel,
    /// The setting.
    pub setting: Setting,
}

/// Where the lines came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The config file, with its owner and mode as `fstat` saw them on the
    /// descriptor it was read from (for [`check_trusted`]).
    Read {
        /// The file's owner.
        uid: u32,
        /// Its permission bits.
        mode: u32,
    },
    /// Parsed from text, not read from a file (tests, tools).
    File,
    /// The original vfnet's file, read because the new one does not exist,
    /// with its owner and mode.
    Legacy(PathBuf, u32, u32),
    /// Neither exists.
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
/// A config file: its path, where it was read from, and its lines.
pub struct Config {
    /// The file this config is saved to.
    pub path: PathBuf,
    /// Where the lines came from.
    pub source: Source,
    /// Every line, in file order.
    pub lines: Vec<Line>,
}

/// A `Count` line, with its 1-based line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The line number.
    pub line: usize,
    /// The PF.
    pub key: &'a DevKey,
    /// The VF count.
    pub count: u32,
    /// `X,Y,Z`: a ConnectX-3's count per port (see [`Line::Count`]).
    pub ports: Option<[u32; 3]>,
}

impl Entry<'_> {
    /// The count as mlx4_core takes it.
    pub fn mlx4(&self) -> crate::mlx4::Vfs {
        match self.ports {
            Some([x, y, z]) => crate::mlx4::Vfs::Ports(x, y, z),
            None => crate::mlx4::Vfs::Dual(self.count),
        }
    }
}

impl Config {
    /// Parses the bytes of a config file, line by line: a line that is not
    /// valid UTF-8 is bad (or, in a comment, harmless) and spoils no other.
    /// A UTF-8 byte-order mark at the start and CRLF endings are accepted.
    pub fn parse(path: PathBuf, text: impl AsRef<[u8]>) -> Config {
        let mut first = true;
        let lines = split_lines(text.as_ref())
            .map(|raw| {
                let body = if std::mem::take(&mut first) {
                    raw.strip_prefix(BOM).unwrap_or(raw)
                } else {
                    raw
                };
                parse_bytes(raw, body)
            })
            .collect();
        Config {
            path,
            source: Source::File,
            lines,
        }
    }

    /// Parses the original vfnet's `iface:count` file into `iface=count` lines.
    pub fn parse_legacy(path: PathBuf, legacy: PathBuf, text: impl AsRef<[u8]>) -> Config {
        let lines = split_lines(text.as_ref())
            .map(|raw| {
                let Ok(line) = std::str::from_utf8(raw) else {
                    return parse_bytes(raw, raw);
                };
                let body = line.trim();
                if body.is_empty() || body.starts_with('#') {
                    return Line::Other(raw.to_vec());
                }
                match body.split_once(':') {
                    Some((name, count)) => {
                        parse_line(&format!("{}={}\n", name.trim(), count.trim()))
                    }
                    None => Line::Bad {
                        raw: raw.to_vec(),
                        error: crate::msg!(
                            "expected IFACE:COUNT, found '{}'",
                            crate::text::quote(body)
                        ),
                    },
                }
            })
            .collect();
        Config {
            path,
            source: Source::Legacy(legacy, 0, 0),
            lines,
        }
    }

    /// The bytes the file holds (or will hold once saved).
    pub fn render(&self) -> Vec<u8> {
        self.lines
            .iter()
            .flat_map(|l| l.raw().iter().copied())
            .collect()
    }

    /// [`Config::render`] as text, invalid bytes replaced (for tests and
    /// messages; saving uses the bytes).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.render()).into_owned()
    }

    /// The count lines, in file order.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'_>> {
        self.lines.iter().enumerate().filter_map(|(i, l)| match l {
            Line::Count {
                key, count, ports, ..
            } => Some(Entry {
                line: i + 1,
                key,
                count: *count,
                ports: *ports,
            }),
            _ => None,
        })
    }

    /// The VF setting lines.
    pub fn vf_entries(&self) -> impl Iterator<Item = VfEntry<'_>> {
        self.lines.iter().enumerate().filter_map(|(i, l)| match l {
            Line::Vf {
                key, vf, setting, ..
            } => Some(VfEntry {
                line: i + 1,
                key,
                vf: *vf,
                setting: *setting,
            }),
            _ => None,
        })
    }

    /// Records a VF setting for a PF: the line for the same PF, VFs and
    /// setting is replaced in place; else the line goes after the PF's last
    /// line, or at the end. Returns false when nothing changed.
    pub fn set_vf(&mut self, addr: PciAddr, names: &[IfName], vf: VfSel, setting: Setting) -> bool {
        let raw = crate::msg!("{}.{}.{}={}\n", addr, vf, setting.name(), setting).into_bytes();
        let line = Line::Vf {
            key: DevKey::Pci(addr),
            vf,
            setting,
            raw,
        };
        let same = |l: &Line| {
            matches!(l, Line::Vf { key, vf: v, setting: s, .. }
                if matches(key, addr, names) && *v == vf && s.name() == setting.name())
        };
        if let Some(i) = self.lines.iter().position(same) {
            let changed = self.lines[i] != line;
            self.lines[i] = line;
            // Later lines of the same VF and setting, under any key of the
            // PF, would win over this one at apply: they go.
            let (before, mut k) = (self.lines.len(), 0);
            self.lines.retain(|l| {
                k += 1;
                k <= i + 1 || !same(l)
            });
            return changed || self.lines.len() != before;
        }
        let last_of_pf = self.lines.iter().rposition(|l| match l {
            Line::Count { key, .. }
            | Line::Vf { key, .. }
            | Line::Probe { key, .. }
            | Line::PortType { key, .. }
            | Line::Eswitch { key, .. }
            | Line::Flag { key, .. } => matches(key, addr, names),
            _ => false,
        });
        let at = match last_of_pf {
            Some(i) => i + 1,
            None => {
                self.end_with_newline();
                self.lines.len()
            }
        };
        self.lines.insert(at, line);
        true
    }

    fn end_with_newline(&mut self) {
        let first = self.lines.len() == 1;
        if let Some(last) = self.lines.last_mut() {
            if !last.raw().ends_with(b"\n") {
                let mut fixed = last.raw().to_vec();
                fixed.push(b'\n');
                let body = if first {
                    fixed.strip_prefix(BOM).unwrap_or(&fixed)
                } else {
                    &fixed
                };
                *last = parse_bytes(&fixed, body);
            }
        }
    }

    /// `PATH:LINE: what is wrong`, one per bad line.
    pub fn errors(&self) -> impl Iterator<Item = String> + '_ {
        self.lines.iter().enumerate().filter_map(|(i, l)| match l {
            Line::Bad { error, .. } => Some(format!("{}:{}: {error}", self.read_from(), i + 1)),
            _ => None,
        })
    }

    /// The file the lines were read from, for messages.
    pub fn read_from(&self) -> String {
        match &self.source {
            Source::Legacy(p, ..) => p.display().to_string(),
            _ => self.path.display().to_string(),
        }
    }

    /// Removes every entry of a PF (its count and its VF settings), and the
    /// `# NAME` comment vfnet wrote above its count. Returns false when
    /// there was none.
    pub fn remove(&mut self, addr: Option<PciAddr>, names: &[IfName]) -> bool {
        let hit = |key: &DevKey| match key {
            DevKey::Pci(a) => Some(*a) == addr,
            DevKey::Name(n) => names.contains(n),
        };
        let before = self.lines.len();
        let comments: Vec<Vec<u8>> = names
            .iter()
            .map(|n| format!("# {n}\n").into_bytes())
            .collect();
        let mut i = 0;
        while i < self.lines.len() {
            let (Line::Count { key, .. }
            | Line::Vf { key, .. }
            | Line::Probe { key, .. }
            | Line::PortType { key, .. }
            | Line::Eswitch { key, .. }
            | Line::Flag { key, .. }) = &self.lines[i]
            else {
                i += 1;
                continue;
            };
            if !hit(key) {
                i += 1;
                continue;
            }
            let count = matches!(self.lines[i], Line::Count { .. });
            self.lines.remove(i);
            if count
                && i > 0
                && comments
                    .iter()
                    .any(|c| self.lines[i - 1].raw() == c.as_slice())
            {
                self.lines.remove(i - 1);
                i -= 1;
            }
        }
        self.lines.len() != before
    }

    /// The keys of the PFs whose VFs host networking is to leave alone
    /// (`KEY.unmanaged_vfs=yes`; a later line for the same key wins).
    pub fn unmanaged(&self) -> Vec<&DevKey> {
        self.flagged(Flag::UnmanagedVfs)
    }

    /// The keys of the PFs that say yes to `flag` (a later line for the
    /// same key wins).
    pub fn flagged(&self, flag: Flag) -> Vec<&DevKey> {
        let mut out: Vec<&DevKey> = Vec::new();
        for l in &self.lines {
            if let Line::Flag {
                key, on, flag: f, ..
            } = l
                && *f == flag
            {
                out.retain(|k| *k != key);
                if *on {
                    out.push(key);
                }
            }
        }
        out
    }

    /// The `probe_vf` recorded for the PF with this address or names.
    pub fn probe(&self, addr: PciAddr, names: &[IfName]) -> Option<crate::mlx4::Vfs> {
        self.lines.iter().find_map(|l| match l {
            Line::Probe { key, probe, .. } if matches(key, addr, names) => Some(*probe),
            _ => None,
        })
    }

    /// Records (or with `None` removes) a PF's `probe_vf` line, after its
    /// count. Returns false when nothing changed.
    pub fn set_probe(
        &mut self,
        addr: PciAddr,
        names: &[IfName],
        probe: Option<crate::mlx4::Vfs>,
    ) -> bool {
        let same = |l: &Line| matches!(l, Line::Probe { key, .. } if matches(key, addr, names));
        let line = probe.map(|probe| Line::Probe {
            key: DevKey::Pci(addr),
            probe,
            raw: crate::msg!("{}.probe_vf={}\n", addr, probe).into_bytes(),
        });
        self.set_pf_line(addr, names, same, line)
    }

    /// The port types recorded for the ConnectX-3 with this address or
    /// names.
    pub fn port_types(&self, addr: PciAddr, names: &[IfName]) -> Option<crate::mlx4::PortTypes> {
        self.lines.iter().find_map(|l| match l {
            Line::PortType { key, types, .. } if matches(key, addr, names) => Some(*types),
            _ => None,
        })
    }

    /// Records a ConnectX-3's `port_type` line, after its count. Returns
    /// false when nothing changed.
    pub fn set_port_types(
        &mut self,
        addr: PciAddr,
        names: &[IfName],
        types: crate::mlx4::PortTypes,
    ) -> bool {
        let same = |l: &Line| matches!(l, Line::PortType { key, .. } if matches(key, addr, names));
        let line = Line::PortType {
            key: DevKey::Pci(addr),
            types,
            raw: crate::msg!("{}.port_type={}\n", addr, types).into_bytes(),
        };
        self.set_pf_line(addr, names, same, Some(line))
    }

    /// The eswitch mode recorded for the PF with this address or names,
    /// with its line (1-based; a later line wins).
    pub fn eswitch(
        &self,
        addr: PciAddr,
        names: &[IfName],
    ) -> Option<(usize, crate::devlink::Mode)> {
        let mut lines = self.lines.iter().enumerate().rev();
        lines.find_map(|(i, l)| match l {
            Line::Eswitch { key, mode, .. } if matches(key, addr, names) => Some((i + 1, *mode)),
            _ => None,
        })
    }

    /// Records (or, with `None`, removes) a PF's eswitch mode, after its
    /// count. Returns false when nothing changed.
    pub fn set_eswitch(
        &mut self,
        addr: PciAddr,
        names: &[IfName],
        mode: Option<crate::devlink::Mode>,
    ) -> bool {
        let same = |l: &Line| matches!(l, Line::Eswitch { key, .. } if matches(key, addr, names));
        let line = mode.map(|mode| Line::Eswitch {
            key: DevKey::Pci(addr),
            mode,
            raw: crate::msg!("{}.eswitch={}\n", addr, mode.name()).into_bytes(),
        });
        self.set_pf_line(addr, names, same, line)
    }

    /// Puts `line` where the first line that is `same` is (none: removes
    /// it), else after the PF's count, else at the end. Later lines that
    /// are `same` are removed: one line per PF and key, whichever way a
    /// reader picks among duplicates.
    fn set_pf_line(
        &mut self,
        addr: PciAddr,
        names: &[IfName],
        same: impl Fn(&Line) -> bool,
        line: Option<Line>,
    ) -> bool {
        let first = self.lines.iter().position(&same);
        let before = self.lines.len();
        let mut j = first.map_or(self.lines.len(), |i| i + 1);
        while j < self.lines.len() {
            if same(&self.lines[j]) {
                self.lines.remove(j);
            } else {
                j += 1;
            }
        }
        let dropped = self.lines.len() != before;
        let changed = match (first, line) {
            (Some(i), Some(line)) => {
                let changed = self.lines[i] != line;
                self.lines[i] = line;
                changed
            }
            (Some(i), None) => {
                self.lines.remove(i);
                true
            }
            (None, None) => false,
            (None, Some(line)) => {
                let at = self
                    .lines
                    .iter()
                    .position(|l| matches!(l, Line::Count { key, .. } if matches(key, addr, names)))
                    .map(|i| i + 1);
                match at {
                    Some(i) => self.lines.insert(i, line),
                    None => {
                        self.end_with_newline();
                        self.lines.push(line);
                    }
                }
                true
            }
        };
        dropped || changed
    }

    /// The first entry for the PF with this address or any of these names.
    pub fn find(&self, addr: PciAddr, names: &[IfName]) -> Option<Entry<'_>> {
        self.entries().find(|e| matches(e.key, addr, names))
    }

    /// Records `count` VFs for a PF: the first entry for it (by address or
    /// by name) is replaced in place by `ADDR=N`, later ones are removed,
    /// and when there was none, `ADDR=N` is appended. The interface name goes
    /// in a `# NAME` comment just above, unless that line already says so.
    /// Every other line is left as it is. Returns false when nothing changed.
    pub fn set(&mut self, addr: PciAddr, names: &[IfName], count: u32) -> bool {
        self.set_vfs(addr, names, crate::mlx4::Vfs::Dual(count))
    }

    /// [`Config::set`] for a count that may be a ConnectX-3's per-port
    /// `X,Y,Z`.
    pub fn set_vfs(&mut self, addr: PciAddr, names: &[IfName], vfs: crate::mlx4::Vfs) -> bool {
        let before = self.lines.clone();
        let ports = match vfs {
            crate::mlx4::Vfs::Ports(x, y, z) => Some([x, y, z]),
            crate::mlx4::Vfs::Dual(_) => None,
        };
        let entry = Line::Count {
            key: DevKey::Pci(addr),
            count: vfs.total(),
            ports,
            raw: format!("{addr}={vfs}\n").into_bytes(),
        };
        let comment = names.first().map(|n| format!("# {n}\n").into_bytes());
        let mut found: Option<usize> = None;
        let mut i = 0;
        while i < self.lines.len() {
            let same =
                matches!(&self.lines[i], Line::Count { key, .. } if matches(key, addr, names));
            if !same {
                i += 1;
            } else if found.is_some() {
                self.lines.remove(i);
            } else {
                self.lines[i] = entry.clone();
                found = Some(i);
                i += 1;
            }
        }
        let at = match found {
            Some(i) => i,
            None => {
                self.end_with_newline();
                self.lines.push(entry);
                self.lines.len() - 1
            }
        };
        if let Some(c) = comment {
            if at == 0 || self.lines[at - 1].raw() != c.as_slice() {
                self.lines.insert(at, Line::Other(c));
            }
        }
        self.lines != before
    }
}

fn matches(key: &DevKey, addr: PciAddr, names: &[IfName]) -> bool {
    match key {
        DevKey::Pci(a) => *a == addr,
        DevKey::Name(n) => names.contains(n),
    }
}

const BOM: &[u8] = b"\xef\xbb\xbf";

/// The lines of a file, each with its `\n` (the last may have none).
fn split_lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split_inclusive(|&b| b == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> Config {
        Config::parse(PathBuf::from("/etc/vfnet/vfnet.conf"), text)
    }

    fn addr(s: &str) -> PciAddr {
        PciAddr::parse(s).unwrap()
    }

    fn name(s: &str) -> IfName {
        IfName::parse(s).unwrap()
    }

    const SAMPLE: &str = "# VFs for the VM host\n\n# enp1s0f0\n0000:01:00.0=4\n  enp3s0 = 2   # for containers\nfuture.key=x\n";

    #[test]
    fn fdb_sync_is_a_pf_key_apart_from_unmanaged_vfs_and_the_last_line_wins() {
        let c = cfg(
            "0000:01:00.0.fdb_sync=yes\neth1.fdb_sync=on\neth1.unmanaged_vfs=yes\n0000:01:00.0.fdb_sync=no\n",
        );
        let keys: Vec<String> = c
            .flagged(Flag::FdbSync)
            .iter()
            .map(|k| k.to_string())
            .collect();
        assert_eq!(keys, ["eth1"]);
        let keys: Vec<String> = c.unmanaged().iter().map(|k| k.to_string()).collect();
        assert_eq!(keys, ["eth1"]);
        assert!(matches!(
            parse_line("eth0.fdb_sync=2\n"),
            Line::Bad { error, .. } if error.contains("fdb_sync takes yes or no")
        ));
    }

    #[test]
    fn unmanaged_vfs_is_a_pf_key_and_the_last_line_wins() {
        let c = Config::parse(
            "/c".into(),
            "0000:01:00.0.unmanaged_vfs=yes\neth1.unmanaged_vfs=yes\n0000:01:00.0.unmanaged_vfs=no\n",
        );
        let keys: Vec<String> = c.unmanaged().iter().map(|k| k.to_string()).collect();
        assert_eq!(keys, ["eth1"]);
        assert!(matches!(
            parse_line("eth0.unmanaged_vfs=2\n"),
            Line::Bad { error, .. } if error.contains("yes or no")
        ));
    }

    #[test]
    fn eswitch_is_a_pf_key_recorded_after_its_count_and_the_last_line_wins() {
        use crate::devlink::Mode;
        let mut c = cfg("# enp1s0f0\n0000:01:00.0=4\n0000:01:00.1=2\n");
        assert_eq!(c.eswitch(addr("0000:01:00.0"), &[name("enp1s0f0")]), None);
        assert!(c.set_eswitch(addr("0000:01:00.0"), &[], Some(Mode::Switchdev)));
        assert!(!c.set_eswitch(addr("0000:01:00.0"), &[], Some(Mode::Switchdev)));
        assert_eq!(
            c.text(),
            "# enp1s0f0\n0000:01:00.0=4\n0000:01:00.0.eswitch=switchdev\n0000:01:00.1=2\n"
        );
        // Found by name too, with its line; a later line wins.
        let mut c2 = cfg("enp1s0f0.eswitch=legacy\n0000:01:00.0.eswitch=switchdev\n");
        let names = [name("enp1s0f0")];
        assert_eq!(
            c2.eswitch(addr("0000:01:00.0"), &names),
            Some((2, Mode::Switchdev))
        );
        // Recording replaces the first and drops the later one, which would
        // otherwise still win.
        assert!(c2.set_eswitch(addr("0000:01:00.0"), &names, Some(Mode::Legacy)));
        assert_eq!(c2.text(), "0000:01:00.0.eswitch=legacy\n");
        assert_eq!(
            c2.eswitch(addr("0000:01:00.0"), &names),
            Some((1, Mode::Legacy))
        );
        assert!(c.set_eswitch(addr("0000:01:00.0"), &[], None));
        assert_eq!(c.text(), "# enp1s0f0\n0000:01:00.0=4\n0000:01:00.1=2\n");
        assert!(matches!(
            parse_line("eth0.eswitch=Switchdev\n"),
            Line::Bad { error, .. } if error.contains("legacy or switchdev, not 'Switchdev'")
        ));
        // remove takes it with the PF's other lines.
        assert!(c.set_eswitch(addr("0000:01:00.1"), &[], Some(Mode::Legacy)));
        assert!(c.remove(Some(addr("0000:01:00.1")), &[]));
        assert_eq!(c.text(), "# enp1s0f0\n0000:01:00.0=4\n");
    }

    #[test]
    fn remove_takes_every_entry_of_a_pf_and_its_name_comment() {
        let mut c = cfg(
            "# host\n# enp1s0f0\n0000:01:00.0=4\nenp1s0f0.vfs.mac=auto # stable\n0000:01:00.1=2\n0000:01:00.0.vf1.vlan=7\n",
        );
        assert!(c.remove(Some(addr("0000:01:00.0")), &[name("enp1s0f0")]));
        assert_eq!(c.text(), "# host\n0000:01:00.1=2\n");
        assert!(!c.remove(Some(addr("0000:01:00.0")), &[name("enp1s0f0")]));
        // A PF no longer there: by the name its lines use.
        assert!(!c.remove(None, &[name("eth9")]));
        assert!(c.remove(Some(addr("0000:01:00.1")), &[]));
        assert_eq!(c.text(), "# host\n");
    }

    #[test]
    fn parse_then_render_is_byte_identical() {
        for text in [
            SAMPLE,
            "",
            "\n",
            "eth0=1",
            "a=b=c\r\n#x",
            "bad line\n\n\n0000:01:00.0=0",
        ] {
            assert_eq!(cfg(text).text(), text);
        }
    }

    #[test]
    fn entries_are_read_with_their_line_numbers() {
        let c = cfg(SAMPLE);
        let e: Vec<_> = c
            .entries()
            .map(|e| (e.line, e.key.to_string(), e.count))
            .collect();
        assert_eq!(e, [(4, "0000:01:00.0".into(), 4), (5, "enp3s0".into(), 2)]);
        let errors: Vec<_> = c.errors().collect();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with("/etc/vfnet/vfnet.conf:6: "),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let cases = [
            ("eth0", "expected KEY=N"),
            ("eth0=abc", "'abc' is not a VF count"),
            ("eth0=-1", "'-1' is not a VF count"),
            ("eth0=65536", "'65536' is not a VF count"),
            ("eth0=", "'' is not a VF count"),
            ("../x=1", "not a valid device"),
            ("0000:01:00=1", "not a PCI address"),
            ("0000:01:00.0.vf1=1", "not a PCI address"),
            ("averyveryverylongname=1", "at most 15 bytes"),
            // Blamed on what is wrong, with the fix where there is one.
            (
                "0000:01:00.0.vf4-2.mtu=9000",
                "'vf4-2' is not a VF range: it runs from low to high (vf2-4)",
            ),
            (
                "0000:01:00.0.vfx.trust=on",
                "'vfx' is not a VF selection (vfN, vfA-B or vfs)",
            ),
            (
                "enp1s0f0:4",
                "'enp1s0f0:4' is the original vfnet's syntax: write enp1s0f0=4",
            ),
        ];
        for (line, want) in cases {
            match parse_line(line) {
                Line::Bad { error, .. } => assert!(error.contains(want), "{line}: {error}"),
                other => panic!("{line} parsed as {other:?}"),
            }
        }
    }

    #[test]
    fn set_replaces_in_place_and_keeps_every_other_line() {
        let mut c = cfg(SAMPLE);
        assert!(c.set(addr("0000:01:00.0"), &[name("enp1s0f0")], 8));
        assert_eq!(c.text(), SAMPLE.replace("0000:01:00.0=4", "0000:01:00.0=8"));
        // Same value again: nothing changes.
        assert!(!c.set(addr("0000:01:00.0"), &[name("enp1s0f0")], 8));
    }

    #[test]
    fn set_replaces_an_entry_made_by_name_with_the_address() {
        let mut c = cfg(SAMPLE);
        c.set(addr("0000:03:00.0"), &[name("enp3s0"), name("enp3s0d1")], 7);
        let want = SAMPLE.replace(
            "  enp3s0 = 2   # for containers\n",
            "# enp3s0\n0000:03:00.0=7\n",
        );
        assert_eq!(c.text(), want);
    }

    #[test]
    fn set_appends_new_pfs_with_a_name_comment() {
        let mut c = cfg("eth0=1");
        c.set(addr("0000:05:00.0"), &[name("eth5")], 3);
        assert_eq!(c.text(), "eth0=1\n# eth5\n0000:05:00.0=3\n");
        let mut c = cfg("");
        c.set(addr("0000:06:00.0"), &[], 2);
        assert_eq!(c.text(), "0000:06:00.0=2\n");
    }

    #[test]
    fn set_removes_later_duplicates_of_the_same_pf() {
        let mut c = cfg("# eth0\n0000:01:00.0=1\n# keep me\neth0=2\n");
        c.set(addr("0000:01:00.0"), &[name("eth0")], 5);
        assert_eq!(c.text(), "# eth0\n0000:01:00.0=5\n# keep me\n");
    }

    #[test]
    fn vf_settings_are_lines_of_their_own() {
        let c = cfg(
            "0000:01:00.0=4\n0000:01:00.0.vfs.mac=auto\n0000:01:00.0.vf3.vlan = 100\neth0.100.vf1.trust=on\n",
        );
        let e: Vec<_> = c
            .vf_entries()
            .map(|e| {
                (
                    e.line,
                    e.key.to_string(),
                    e.vf.to_string(),
                    e.setting.to_string(),
                )
            })
            .collect();
        assert_eq!(
            e,
            [
                (2, "0000:01:00.0".into(), "vfs".into(), "auto".into()),
                (3, "0000:01:00.0".into(), "vf3".into(), "100".into()),
                (4, "eth0.100".into(), "vf1".into(), "on".into()),
            ]
        );
        assert_eq!(
            c.text(),
            "0000:01:00.0=4\n0000:01:00.0.vfs.mac=auto\n0000:01:00.0.vf3.vlan = 100\neth0.100.vf1.trust=on\n"
        );
        for (line, want) in [
            ("0000:01:00.0.vf3.color=red", "unknown VF setting 'color'"),
            ("0000:01:00.0.vf3.vlan=5000", "vlan takes a VLAN id"),
            ("../x.vf1.mac=auto", "cannot contain '/'"),
            ("0000:01:00.0.vfx.mac=auto", "'vfx' is not a VF selection"),
        ] {
            match parse_line(line) {
                Line::Bad { error, .. } => assert!(error.contains(want), "{line}: {error}"),
                other => panic!("{line}: {other:?}"),
            }
        }
    }

    #[test]
    fn infiniband_guids_are_vf_settings_like_any_other() {
        let c = cfg(
            "ib0.vfs.port_guid=auto\n0000:03:00.0.vf2.node_guid=00:11:22:33:44:55:66:AA\nib0.vf0-3.node_guid = auto\n",
        );
        let e: Vec<_> = c
            .vf_entries()
            .map(|e| (e.vf.to_string(), e.setting.name(), e.setting.to_string()))
            .collect();
        assert_eq!(
            e,
            [
                ("vfs".into(), "port_guid", "auto".into()),
                ("vf2".into(), "node_guid", "00:11:22:33:44:55:66:aa".into()),
                ("vf0-3".into(), "node_guid", "auto".into()),
            ]
        );
        for (line, want) in [
            (
                "ib0.vf1.node_guid=00:11:22:33:44:55",
                "node_guid takes auto or a GUID",
            ),
            ("ib0.vfs.port_guid=", "port_guid takes auto or a GUID"),
            ("ib0.vfs.node_gid=auto", "did you mean 'node_guid'"),
        ] {
            match parse_line(line) {
                Line::Bad { error, .. } => assert!(error.contains(want), "{line}: {error}"),
                other => panic!("{line}: {other:?}"),
            }
        }
    }

    #[test]
    fn set_vf_replaces_or_goes_after_the_pfs_lines() {
        let mut c = cfg("# a\n0000:01:00.0=4\n# b\n0000:01:00.1=2\n");
        let pf = addr("0000:01:00.0");
        assert!(c.set_vf(pf, &[], VfSel::All, Setting::parse("mac", "auto").unwrap()));
        assert!(c.set_vf(pf, &[], VfSel::One(3), Setting::parse("vlan", "7").unwrap()));
        assert!(c.set_vf(pf, &[], VfSel::One(3), Setting::parse("vlan", "8").unwrap()));
        assert!(!c.set_vf(pf, &[], VfSel::One(3), Setting::parse("vlan", "8").unwrap()));
        assert_eq!(
            c.text(),
            "# a\n0000:01:00.0=4\n0000:01:00.0.vfs.mac=auto\n0000:01:00.0.vf3.vlan=8\n# b\n0000:01:00.1=2\n"
        );
        c.set_vf(
            addr("0000:05:00.0"),
            &[],
            VfSel::One(0),
            Setting::parse("trust", "on").unwrap(),
        );
        assert!(
            c.text()
                .ends_with("0000:01:00.1=2\n0000:05:00.0.vf0.trust=on\n")
        );
    }

    #[test]
    fn recording_a_vf_setting_drops_its_later_duplicates_under_any_key_of_the_pf() {
        let mut c = cfg("enp1s0f0.vf0.vlan=1\n0000:01:00.0.vf0.vlan=2\nenp1s0f0.vf1.vlan=3\n");
        let names = [name("enp1s0f0")];
        assert!(c.set_vf(
            addr("0000:01:00.0"),
            &names,
            VfSel::One(0),
            Setting::parse("vlan", "7").unwrap()
        ));
        assert_eq!(
            String::from_utf8(c.render()).unwrap(),
            "0000:01:00.0.vf0.vlan=7\nenp1s0f0.vf1.vlan=3\n"
        );
    }

    #[test]
    fn legacy_lines_become_entries_by_name() {
        let c = Config::parse_legacy(
            PathBuf::from("/n"),
            PathBuf::from("/etc/vfnet/vf.config"),
            "enp1s0f0:4\n# x\nbroken\n",
        );
        let e: Vec<_> = c.entries().map(|e| (e.key.to_string(), e.count)).collect();
        assert_eq!(e, [("enp1s0f0".to_string(), 4)]);
        assert_eq!(c.text(), "enp1s0f0=4\n# x\nbroken\n");
        assert!(
            c.errors()
                .next()
                .unwrap()
                .starts_with("/etc/vfnet/vf.config:3: ")
        );
    }
}
