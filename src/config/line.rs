//! One line of the config file, as the model holds it ([`Line`]) and as
//! it is parsed: `KEY=N`, `KEY.vfN.SETTING=VALUE`, a PF's own keys
//! (`probe_vf`, `eswitch`, `unmanaged_vfs`, `fdb_sync`), comments, and
//! lines that do not parse (kept, and reported).

use super::{MAX_COUNT, VfSel, parse_vf_sel};
use crate::pci::DevKey;
use crate::vf::Setting;

/// One line of the file, with its line ending, as the bytes it was read as
/// (a line that is not valid UTF-8 is kept too, byte for byte).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// `KEY=N`: a PF and its VF count. `KEY=X,Y,Z` (a ConnectX-3's VFs
    /// on port 1, on port 2, on both; `ports`) counts X+Y+Z.
    Count {
        /// The PF.
        key: DevKey,
        /// Its VF count.
        count: u32,
        /// The count per port, for `X,Y,Z`.
        ports: Option<[u32; 3]>,
        /// The line's bytes, as read.
        raw: Vec<u8>,
    },
    /// `KEY.probe_vf=N` (or `X,Y,Z`): how many of a ConnectX-3's VFs the
    /// host's own driver probes (mlx4_core's `probe_vf`).
    Probe {
        /// The PF.
        key: DevKey,
        /// The value.
        probe: crate::mlx4::Vfs,
        /// The line's bytes, as read.
        raw: Vec<u8>,
    },
    /// `KEY.port_type=ib,eth`: a ConnectX-3's port types (mlx4_core's
    /// `port_type_array`).
    PortType {
        /// The PF.
        key: DevKey,
        /// The types, port 1 first.
        types: crate::mlx4::PortTypes,
        /// The line's bytes, as read.
        raw: Vec<u8>,
    },
    /// `KEY.vfN.SETTING=VALUE` or `KEY.vfs.SETTING=VALUE`: a VF setting.
    Vf {
        /// The PF.
        key: DevKey,
        /// Which of its VFs.
        vf: VfSel,
        /// The setting.
        setting: Setting,
        /// The line's bytes, as read.
        raw: Vec<u8>,
    },
    /// `KEY.unmanaged_vfs=yes|no`, `KEY.fdb_sync=yes|no`: a PF's yes/no
    /// key ([`Flag`]).
    Flag {
        /// The PF.
        key: DevKey,
        /// Which key.
        flag: Flag,
        /// `yes`.
        on: bool,
        /// The line's bytes, as read.
        raw: Vec<u8>,
    },
    /// `KEY.eswitch=legacy|switchdev`: the PF's eswitch mode, set over
    /// devlink while it has no VFs, before they are created.
    Eswitch {
        /// The PF.
        key: DevKey,
        /// The mode.
        mode: crate::devlink::Mode,
        /// The line's bytes, as read.
        raw: Vec<u8>,
    },
    /// A comment or a blank line.
    Other(Vec<u8>),
    /// A line that does not parse, kept as it is and reported.
    Bad {
        /// The line's bytes, as read.
        raw: Vec<u8>,
        /// What is wrong with it.
        error: String,
    },
}

impl Line {
    /// The line's bytes, as read (or as vfnet wrote it).
    pub fn raw(&self) -> &[u8] {
        match self {
            Line::Count { raw, .. }
            | Line::Probe { raw, .. }
            | Line::PortType { raw, .. }
            | Line::Flag { raw, .. }
            | Line::Eswitch { raw, .. }
            | Line::Vf { raw, .. }
            | Line::Other(raw)
            | Line::Bad { raw, .. } => raw,
        }
    }
}

/// A PF's yes/no key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// `unmanaged_vfs`: NetworkManager and systemd-networkd leave the PF's
    /// VFs alone (written by `vfnet install`).
    UnmanagedVfs,
    /// `fdb_sync`: the MACs behind the bridge the PF is a port of go into
    /// the PF's own forwarding table (`vfnet fdb`; apply syncs once, the
    /// `--watch` service follows).
    FdbSync,
}

impl Flag {
    /// Both, as the config names them.
    pub const ALL: [(Flag, &'static str); 2] = [
        (Flag::UnmanagedVfs, "unmanaged_vfs"),
        (Flag::FdbSync, "fdb_sync"),
    ];
}

/// Parses one line (with its ending). `#` starts a comment anywhere.
pub fn parse_line(raw: &str) -> Line {
    parse_bytes(raw.as_bytes(), raw.as_bytes())
}

/// Parses `body` (the line, or the line after a byte-order mark), keeping
/// `raw` as the line's bytes. What comes before a `#` must be UTF-8.
pub(super) fn parse_bytes(raw: &[u8], body: &[u8]) -> Line {
    let before = body.split(|&b| b == b'#').next().unwrap_or(b"");
    let Ok(before) = std::str::from_utf8(before) else {
        return Line::Bad {
            raw: raw.to_vec(),
            error: crate::msg!(
                "not valid UTF-8 text: '{}' (the line is skipped)",
                crate::text::quote_bytes(crate::sysfs::trim(before))
            ),
        };
    };
    let body = before.trim();
    if body.is_empty() {
        return Line::Other(raw.to_vec());
    }
    let bad = |error: String| Line::Bad {
        raw: raw.to_vec(),
        error,
    };
    let raw = raw.to_vec();
    let Some((key, value)) = body.split_once('=') else {
        // The original vfnet's `iface:count` gets its fix.
        let old = body
            .rsplit_once(':')
            .filter(|(k, n)| parse_count(n).is_some() && DevKey::parse(k).is_ok());
        return bad(match old {
            Some((k, n)) => crate::msg!(
                "'{}' is the original vfnet's syntax: write {}={}",
                crate::text::quote(body),
                crate::text::quote(k),
                n
            ),
            None => crate::msg!(
                "expected KEY=N (a PCI address or interface name, '=', a VF count), found '{}'",
                crate::text::quote(body)
            ),
        });
    };
    let (key, value) = (key.trim(), value.trim());
    if let Some(why) = bad_vf_selection(key) {
        return bad(why);
    }
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
                raw,
            },
            Err(why) => bad(why),
        };
    }
    pf_key(&raw, key, value).unwrap_or_else(|| count_line(raw, key, value))
}

/// A PF key, `KEY.NAME=VALUE` (unmanaged_vfs, fdb_sync, eswitch, probe_vf,
/// port_type), VALUE
/// parsed by NAME's parser; `None` for a key that is none of them.
fn pf_key(raw: &[u8], key: &str, value: &str) -> Option<Line> {
    let bad = |error: String| Line::Bad {
        raw: raw.to_vec(),
        error,
    };
    let raw = raw.to_vec();
    for name in [
        "unmanaged_vfs",
        "fdb_sync",
        "eswitch",
        "probe_vf",
        "port_type",
    ] {
        let Some(dev) = key.strip_suffix(name).and_then(|k| k.strip_suffix('.')) else {
            continue;
        };
        let key = match DevKey::parse(dev) {
            Ok(k) => k,
            Err(why) => return Some(bad(why)),
        };
        let q = crate::text::quote(value);
        return Some(match (name, crate::text::boolean(value)) {
            ("eswitch" | "probe_vf" | "port_type", _) => pf_value(name, key, value, raw, bad),
            (_, Some(on)) => {
                let flag = Flag::ALL.iter().find(|f| f.1 == name).map(|f| f.0)?;
                Line::Flag { key, flag, on, raw }
            }
            (_, None) => bad(crate::msg!(
                "{} takes yes or no (or on/off, true/false, 1/0), not '{}'",
                name,
                q
            )),
        });
    }
    None
}

/// `KEY.eswitch=MODE`, `KEY.probe_vf=N` and `KEY.port_type=TYPES`.
fn pf_value(
    name: &str,
    key: DevKey,
    value: &str,
    raw: Vec<u8>,
    bad: impl Fn(String) -> Line,
) -> Line {
    let q = crate::text::quote(value);
    match name {
        "eswitch" => match crate::devlink::Mode::parse(value) {
            Some(mode) => Line::Eswitch { key, mode, raw },
            None => bad(crate::msg!(
                "eswitch takes legacy or switchdev, not '{}'",
                q
            )),
        },
        "port_type" => match crate::mlx4::PortTypes::parse(value, name) {
            Ok(types) => Line::PortType { key, types, raw },
            Err(e) => bad(e),
        },
        _ => match crate::mlx4::Vfs::parse(value) {
            Some(probe) => Line::Probe { key, probe, raw },
            None => bad(crate::msg!(
                "'{}' is not a probe_vf value (a number, or X,Y,Z for ports 1, 2 and both)",
                q
            )),
        },
    }
}

/// `KEY=N` (or `KEY=X,Y,Z` for a ConnectX-3's ports).
fn count_line(raw: Vec<u8>, key: &str, value: &str) -> Line {
    let bad = |error: String| Line::Bad {
        raw: raw.clone(),
        error,
    };
    let key = match DevKey::parse(key) {
        Ok(k) => k,
        Err(why) => return bad(why),
    };
    if let Some(crate::mlx4::Vfs::Ports(x, y, z)) = value
        .contains(',')
        .then(|| crate::mlx4::Vfs::parse(value))
        .flatten()
    {
        return Line::Count {
            key,
            count: x + y + z,
            ports: Some([x, y, z]),
            raw,
        };
    }
    match parse_count(value) {
        Some(count) => Line::Count {
            key,
            count,
            ports: None,
            raw,
        },
        None => bad(format!(
            "'{}' is not a VF count (expected a number from 0 to {MAX_COUNT}, or X,Y,Z for a ConnectX-3's ports)",
            crate::text::quote(value)
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
        n => parse_vf_sel(n)?,
    };
    Some((dev, sel, name))
}

/// Why `KEY` (`DEV.vfSEL.NAME`) has a VF selection that is none: `vf4-2`
/// (a range runs low to high), `vfx`. `None` for any other key.
fn bad_vf_selection(key: &str) -> Option<String> {
    let (rest, _) = key.rsplit_once('.')?;
    let (_, sel) = rest.rsplit_once('.')?;
    let n = sel.strip_prefix("vf")?;
    if n == "s" || parse_vf_sel(n).is_some() || DevKey::parse(rest).is_ok() {
        return None;
    }
    let q = crate::text::quote(sel);
    Some(
        match n
            .split_once('-')
            .map(|(a, b)| (a.parse::<u32>(), b.parse::<u32>()))
        {
            Some((Ok(a), Ok(b))) if a > b => {
                crate::msg!(
                    "'{}' is not a VF range: it runs from low to high (vf{}-{})",
                    q,
                    b,
                    a
                )
            }
            _ => crate::msg!("'{}' is not a VF selection (vfN, vfA-B or vfs)", q),
        },
    )
}

/// A VF count: digits only, at most [`MAX_COUNT`].
pub fn parse_count(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|&n| n <= MAX_COUNT)
}
