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
//! Saving is atomic and locked ([`edit`]): flock a lock file, write a temp
//! file in the same directory, fsync, rename over, fsync the directory. A
//! crash leaves the old file or the new one; concurrent edits serialize.
//!
//! The original vfnet kept `iface:count` lines in /etc/vfnet/vf.config. When
//! that file exists and the new one does not, it is read instead ([`Source::Legacy`]).

use crate::error::{Error, Result};
use crate::files;
use crate::ifname::IfName;
use crate::pci::{DevKey, PciAddr};
use crate::sysfs::{Root, read_file};
use crate::vf::Setting;
use nix::errno::Errno;
use std::path::{Path, PathBuf};

pub const DEFAULT_PATH: &str = "/etc/vfnet/vfnet.conf";
pub const LEGACY_PATH: &str = "/etc/vfnet/vf.config";

/// The largest VF count a config line may ask for (`sriov_totalvfs` is 16-bit).
pub const MAX_COUNT: u32 = 65535;

/// One line of the file, with its line ending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// `KEY=N`: a PF and its VF count.
    Count {
        key: DevKey,
        count: u32,
        raw: String,
    },
    /// `KEY.vfN.SETTING=VALUE` or `KEY.vfs.SETTING=VALUE`: a VF setting.
    Vf {
        key: DevKey,
        vf: VfSel,
        setting: Setting,
        raw: String,
    },
    /// A comment or a blank line.
    Other(String),
    /// A line that does not parse, kept as it is and reported.
    Bad { raw: String, error: String },
}

impl Line {
    pub fn raw(&self) -> &str {
        match self {
            Line::Count { raw, .. }
            | Line::Vf { raw, .. }
            | Line::Other(raw)
            | Line::Bad { raw, .. } => raw,
        }
    }
}

/// Which VFs a setting line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VfSel {
    /// `vfN`.
    One(u32),
    /// `vfs`: every VF of the PF (a `vfN` line of the same setting wins).
    All,
}

impl std::fmt::Display for VfSel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VfSel::One(n) => write!(f, "vf{n}"),
            VfSel::All => f.write_str("vfs"),
        }
    }
}

/// A VF setting line, with its 1-based line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VfEntry<'a> {
    pub line: usize,
    pub key: &'a DevKey,
    pub vf: VfSel,
    pub setting: Setting,
}

/// Where the lines came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File,
    /// The original vfnet's file, read because the new one does not exist.
    Legacy(PathBuf),
    /// Neither exists.
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The file this config is saved to.
    pub path: PathBuf,
    pub source: Source,
    pub lines: Vec<Line>,
}

/// A `Count` line, with its 1-based line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    pub line: usize,
    pub key: &'a DevKey,
    pub count: u32,
}

impl Config {
    /// Parses the text of a config file.
    pub fn parse(path: PathBuf, text: &str) -> Config {
        let lines = text.split_inclusive('\n').map(parse_line).collect();
        Config {
            path,
            source: Source::File,
            lines,
        }
    }

    /// Parses the original vfnet's `iface:count` file into `iface=count` lines.
    pub fn parse_legacy(path: PathBuf, legacy: PathBuf, text: &str) -> Config {
        let lines = text
            .split_inclusive('\n')
            .map(|raw| {
                let body = raw.trim();
                if body.is_empty() || body.starts_with('#') {
                    return Line::Other(raw.to_string());
                }
                match body.split_once(':') {
                    Some((name, count)) => {
                        parse_line(&format!("{}={}\n", name.trim(), count.trim()))
                    }
                    None => Line::Bad {
                        raw: raw.to_string(),
                        error: "expected IFACE:COUNT".into(),
                    },
                }
            })
            .collect();
        Config {
            path,
            source: Source::Legacy(legacy),
            lines,
        }
    }

    /// The text the file holds (or will hold once saved).
    pub fn render(&self) -> String {
        self.lines.iter().map(Line::raw).collect()
    }

    pub fn entries(&self) -> impl Iterator<Item = Entry<'_>> {
        self.lines.iter().enumerate().filter_map(|(i, l)| match l {
            Line::Count { key, count, .. } => Some(Entry {
                line: i + 1,
                key,
                count: *count,
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
        let raw = format!("{addr}.{vf}.{}={setting}\n", setting.name());
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
            return changed;
        }
        let last_of_pf = self.lines.iter().rposition(|l| match l {
            Line::Count { key, .. } | Line::Vf { key, .. } => matches(key, addr, names),
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
        if let Some(last) = self.lines.last_mut() {
            if !last.raw().ends_with('\n') {
                let fixed = format!("{}\n", last.raw());
                *last = parse_line(&fixed);
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
            Source::Legacy(p) => p.display().to_string(),
            _ => self.path.display().to_string(),
        }
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
        let before = self.lines.clone();
        let entry = Line::Count {
            key: DevKey::Pci(addr),
            count,
            raw: format!("{addr}={count}\n"),
        };
        let comment = names.first().map(|n| format!("# {n}\n"));
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
            if at == 0 || self.lines[at - 1].raw() != c {
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

/// Parses one line (with its ending). `#` starts a comment anywhere.
pub fn parse_line(raw: &str) -> Line {
    let body = raw.split('#').next().unwrap_or("").trim();
    if body.is_empty() {
        return Line::Other(raw.to_string());
    }
    let bad = |error: String| Line::Bad {
        raw: raw.to_string(),
        error,
    };
    let Some((key, value)) = body.split_once('=') else {
        return bad(format!(
            "expected KEY=N (a PCI address or interface name, '=', a VF count), found '{}'",
            crate::sysfs::quote(body)
        ));
    };
    let (key, value) = (key.trim(), value.trim());
    if let Some((dev, vf, name)) = split_vf_key(key) {
        let key = match DevKey::parse(dev) {
            Ok(k) => k,
            Err(why) => return bad(why),
        };
        return match Setting::parse(name, value) {
            Ok(setting) => Line::Vf {
                key,
                vf,
                setting,
                raw: raw.to_string(),
            },
            Err(why) => bad(why),
        };
    }
    let key = match DevKey::parse(key) {
        Ok(k) => k,
        Err(why) => return bad(why),
    };
    match parse_count(value) {
        Some(count) => Line::Count {
            key,
            count,
            raw: raw.to_string(),
        },
        None => bad(format!(
            "'{}' is not a VF count (expected a number from 0 to {MAX_COUNT})",
            crate::sysfs::quote(value)
        )),
    }
}

/// `0000:01:00.0.vf3.mac` → (`0000:01:00.0`, VF 3, `mac`); `eth0.vfs.trust`
/// → (`eth0`, all VFs, `trust`). Anything else is not a VF key.
fn split_vf_key(key: &str) -> Option<(&str, VfSel, &str)> {
    let (rest, name) = key.rsplit_once('.')?;
    let (dev, sel) = rest.rsplit_once('.')?;
    let sel = match sel.strip_prefix("vf")? {
        "s" => VfSel::All,
        n if !n.is_empty() && n.len() <= 5 && n.bytes().all(|b| b.is_ascii_digit()) => {
            VfSel::One(n.parse().ok()?)
        }
        _ => return None,
    };
    Some((dev, sel, name))
}

/// A VF count: digits only, at most [`MAX_COUNT`].
pub fn parse_count(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|&n| n <= MAX_COUNT)
}

/// The config file path: `--config`, else `$VFNET_CONFIG`, else under the root.
pub fn path(root: &Root, flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("VFNET_CONFIG").map(PathBuf::from))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| root.join(DEFAULT_PATH))
}

/// Reads the config, or the legacy file when only that exists, or an empty
/// config when neither does.
pub fn load(root: &Root, path: &Path) -> Result<Config> {
    match read_file(path) {
        Ok(bytes) => Ok(Config::parse(path.to_path_buf(), &text(path, bytes)?)),
        Err(Errno::ENOENT) => {
            let legacy = root.join(LEGACY_PATH);
            match read_file(&legacy) {
                Ok(bytes) => Ok(Config::parse_legacy(
                    path.to_path_buf(),
                    legacy.clone(),
                    &text(&legacy, bytes)?,
                )),
                Err(_) => Ok(Config {
                    path: path.to_path_buf(),
                    source: Source::Missing,
                    lines: Vec::new(),
                }),
            }
        }
        Err(e) => Err(Error::io("read", path, e)),
    }
}

fn text(path: &Path, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| {
        Error::fail(format!(
            "{}: not a text file (invalid UTF-8)",
            path.display()
        ))
    })
}

/// Refuses a config file that someone other than root (or the user running
/// vfnet) could have written, as sshd's StrictModes does: at boot, `apply`
/// runs as root and would do what the file says. Checks the file and its
/// directory (the file could be replaced through a writable directory).
pub fn check_trusted(config: &Config) -> Result<()> {
    let path = match &config.source {
        Source::File => config.path.clone(),
        Source::Legacy(p) => p.clone(),
        Source::Missing => return Ok(()),
    };
    let me = nix::unistd::geteuid().as_raw();
    let dir = files::parent(&path).to_path_buf();
    for (p, what) in [(&path, "file"), (&dir, "directory")] {
        let st = nix::sys::stat::stat(p).map_err(|e| Error::io("check", p, e))?;
        let mode = st.st_mode & 0o7777;
        if st.st_uid != 0 && st.st_uid != me {
            return Err(Error::fail(format!(
                "refusing {}: the {what} {} is owned by uid {}, not root: chown root {}",
                path.display(),
                p.display(),
                st.st_uid,
                p.display()
            )));
        }
        let sticky_dir = what == "directory" && mode & 0o1000 != 0;
        if mode & 0o022 != 0 && !sticky_dir {
            return Err(Error::fail(format!(
                "refusing {}: the {what} {} can be written by other users (mode {mode:04o}): chmod go-w {}",
                path.display(),
                p.display(),
                p.display()
            )));
        }
    }
    Ok(())
}

/// Locks the config, loads it, lets `change` modify it, and saves it
/// atomically when it changed. Returns what `change` returned.
pub fn edit<T>(
    root: &Root,
    path: &Path,
    change: impl FnOnce(&mut Config) -> Result<T>,
) -> Result<T> {
    files::mkdir(files::parent(path))?;
    let _lock = crate::lock::exclusive(&files::sibling(path, ".lock"), None)?;
    let mut config = load(root, path)?;
    let before = config.render();
    let migrating = matches!(config.source, Source::Legacy(_));
    let out = change(&mut config)?;
    if config.render() != before || migrating {
        save(&config)?;
    }
    Ok(out)
}

/// Writes the config atomically, keeping the old file's mode (0644 for a
/// new one). The caller holds the lock.
fn save(config: &Config) -> Result<()> {
    let mode = nix::sys::stat::stat(&config.path)
        .map(|st| st.st_mode & 0o7777)
        .unwrap_or(0o644);
    files::write_atomic(&config.path, config.render().as_bytes(), mode)
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
    fn parse_then_render_is_byte_identical() {
        for text in [
            SAMPLE,
            "",
            "\n",
            "eth0=1",
            "a=b=c\r\n#x",
            "bad line\n\n\n0000:01:00.0=0",
        ] {
            assert_eq!(cfg(text).render(), text);
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
        assert_eq!(
            c.render(),
            SAMPLE.replace("0000:01:00.0=4", "0000:01:00.0=8")
        );
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
        assert_eq!(c.render(), want);
    }

    #[test]
    fn set_appends_new_pfs_with_a_name_comment() {
        let mut c = cfg("eth0=1");
        c.set(addr("0000:05:00.0"), &[name("eth5")], 3);
        assert_eq!(c.render(), "eth0=1\n# eth5\n0000:05:00.0=3\n");
        let mut c = cfg("");
        c.set(addr("0000:06:00.0"), &[], 2);
        assert_eq!(c.render(), "0000:06:00.0=2\n");
    }

    #[test]
    fn set_removes_later_duplicates_of_the_same_pf() {
        let mut c = cfg("# eth0\n0000:01:00.0=1\n# keep me\neth0=2\n");
        c.set(addr("0000:01:00.0"), &[name("eth0")], 5);
        assert_eq!(c.render(), "# eth0\n0000:01:00.0=5\n# keep me\n");
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
            c.render(),
            "0000:01:00.0=4\n0000:01:00.0.vfs.mac=auto\n0000:01:00.0.vf3.vlan = 100\neth0.100.vf1.trust=on\n"
        );
        for (line, want) in [
            ("0000:01:00.0.vf3.color=red", "unknown VF setting 'color'"),
            ("0000:01:00.0.vf3.vlan=5000", "vlan takes a VLAN id"),
            ("../x.vf1.mac=auto", "cannot contain '/'"),
            ("0000:01:00.0.vfx.mac=auto", "not a PCI address"),
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
            c.render(),
            "# a\n0000:01:00.0=4\n0000:01:00.0.vfs.mac=auto\n0000:01:00.0.vf3.vlan=8\n# b\n0000:01:00.1=2\n"
        );
        c.set_vf(
            addr("0000:05:00.0"),
            &[],
            VfSel::One(0),
            Setting::parse("trust", "on").unwrap(),
        );
        assert!(
            c.render()
                .ends_with("0000:01:00.1=2\n0000:05:00.0.vf0.trust=on\n")
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
        assert_eq!(c.render(), "enp1s0f0=4\n# x\nbroken\n");
        assert!(
            c.errors()
                .next()
                .unwrap()
                .starts_with("/etc/vfnet/vf.config:3: ")
        );
    }
}
