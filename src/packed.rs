//! Texts the binary carries packed (the commands' help in `help/`, the
//! boot glue and VM hooks without their comments, `pack::source`; then
//! vfnet's long messages, written in the code as [`msg!`]): LZSS, one
//! stream for all ([`SOURCES`] in order, then the messages), unpacked
//! when shown or written. About 20 KiB of the binary's 512 (README,
//! "Size"). Pure.
//!
//! The stream and its index are generated files in the repository
//! (`packed/texts.lz`, `packed/texts.rs`, `packed/messages.rs`, written by
//! `packed/pack.rs`):
//! no build script (it would make cargo walk the whole repository, the
//! demo tree's looping sysfs links too). The test `packed_texts_are_current`
//! fails when they differ from what the sources give;
//! `UPDATE_PACKED=1 cargo test --lib packed` rewrites them.
//!
//! The format: a little-endian u32 length, then items. The texts are
//! ASCII, so a byte below 0x80 is itself; `10` in the top bits starts a
//! two-byte match (`length-3` in the next 3 bits, `offset-1` in the low
//! 11: 3 to 10 bytes from 1 to 2048 back), `11` a three-byte one
//! (`length-3` in 7 bits, then 15 of offset: 3 to 130 bytes, up to 32768
//! back).

/// One of the packed texts: where it is in their unpacked whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packed {
    /// Its first byte's offset.
    pub at: u32,
    /// Its length.
    pub len: u32,
}

/// The files packed, in the stream's order; each is `texts::NAME`, NAME
/// its path in capitals with `/`, `-` and `.` as `_` (`help/set.txt` is
/// `HELP_SET_TXT`).
pub const SOURCES: [&str; 22] = [
    "help/vfnet.txt",
    "help/apply.txt",
    "help/capture.txt",
    "help/doctor.txt",
    "help/fdb.txt",
    "help/install.txt",
    "help/list.txt",
    "help/metrics.txt",
    "help/persist.txt",
    "help/set.txt",
    "help/vf.txt",
    "help/vfnet.conf",
    "systemd/vfnet.service",
    "systemd/vfnet-fdb.service",
    "openrc/vfnet",
    "openrc/vfnet-fdb",
    "initramfs-hooks/initramfs-tools/hooks/vfnet",
    "initramfs-hooks/initramfs-tools/scripts/init-premount/vfnet",
    "initramfs-hooks/dracut/90vfnet/module-setup.sh",
    "initramfs-hooks/dracut/90vfnet/vfnet-apply.sh",
    "initramfs-hooks/dracut/vfnet.conf",
    "hooks/vfnet-hook",
];

/// Every text, packed as one stream (so that each shares the others'
/// phrases).
static ALL: &[u8] = include_bytes!("packed/texts.lz");

/// Each text's place in the stream, by name (generated: not reformatted).
#[rustfmt::skip]
pub mod texts;

/// Each message's place in the stream, by its text (generated: not
/// reformatted). Only [`find`] reads it, at compile time: the texts in it
/// are not in the binary.
#[rustfmt::skip]
mod messages;

/// One of vfnet's messages, as a `String`: `msg!("text")`, or
/// `msg!("text {} more {}", a, b)`, each `{}` filled with the next
/// argument's `Display` (no other `{...}` is a placeholder). The text stays
/// in the code, where it is used; once packed (`UPDATE_PACKED=1 cargo test
/// --lib packed`, which `packed_texts_are_current` asks for when a message
/// is new or changed) the binary holds it only in the packed stream, found
/// at compile time. Until then it is the literal itself.
#[macro_export]
macro_rules! msg {
    ($text:literal $(, $arg:expr)* $(,)?) => {
        match const { $crate::packed::find($text) } {
            Some(code) => $crate::packed::message(code, &[$(&$arg as &dyn ::std::fmt::Display),*]),
            None => $crate::packed::fill(
                ::std::string::String::from($text),
                &[$(&$arg as &dyn ::std::fmt::Display),*],
            ),
        }
    };
}

/// The packed message `code` ([`find`]'s) filled with `args` ([`fill`]).
#[inline(never)]
pub fn message(code: u32, args: &[&dyn std::fmt::Display]) -> String {
    let text = Packed {
        at: code >> 12,
        len: code & 0xfff,
    }
    .text();
    match args.is_empty() {
        true => text,
        false => fill(text, args),
    }
}

/// Where `text` is in the stream, if it is packed (compile time only: see
/// [`msg!`]): its offset times 4096 plus its length.
pub const fn find(text: &str) -> Option<u32> {
    let (all, want) = (&messages::ALL, text.as_bytes());
    let mut i = 0;
    while i < all.len() {
        let have = all[i].0.as_bytes();
        if have.len() == want.len() {
            let mut k = 0;
            while k < want.len() && have[k] == want[k] {
                k += 1;
            }
            if k == want.len() {
                let p = all[i].1;
                assert!(p.len < 4096 && p.at < 1 << 20, "a message too long to pack");
                return Some(p.at << 12 | p.len);
            }
        }
        i += 1;
    }
    None
}

/// `template` with each `{}` replaced by the next of `args` (a `{}` past
/// the last one stays).
pub fn fill(template: String, args: &[&dyn std::fmt::Display]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(template.len() + 16 * args.len());
    let (mut rest, mut args) = (template.as_str(), args.iter());
    while let Some(i) = rest.find("{}") {
        out.push_str(&rest[..i]);
        match args.next() {
            Some(a) => {
                let _ = write!(out, "{a}");
            }
            None => out.push_str("{}"),
        }
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    out
}

impl Packed {
    /// The text. Packed from UTF-8 files, so it is UTF-8; a damaged one
    /// comes out lossily, never panicking.
    pub fn text(&self) -> String {
        // Unpacked once, on first use: messages come many to a run.
        static WHOLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let all = WHOLE.get_or_init(|| unpack(ALL, usize::MAX));
        let end = (self.at + self.len) as usize;
        let part = all.get(self.at as usize..end).unwrap_or_default();
        String::from_utf8_lossy(part).into_owned()
    }
}

/// `pack`'s inverse, its first `want` bytes (a few more when a match
/// runs past them; `usize::MAX`: all). Stops at the first item that points
/// before the start or runs past the end.
pub fn unpack(b: &[u8], want: usize) -> Vec<u8> {
    let Some(len) = b
        .get(..4)
        .map(|l| (u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize).min(want))
    else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(len.min(1 << 20));
    let mut i = 4;
    while out.len() < len && i < b.len() {
        let first = b[i] as usize;
        if first < 0x80 {
            out.push(b[i]);
            i += 1;
            continue;
        }
        // 10: two bytes, 11: three; the rest of the bits, big-endian.
        let size = 2 + (first >> 6 & 1);
        let Some(bytes) = b.get(i..i + size) else {
            return out;
        };
        i += size;
        let v = bytes[1..]
            .iter()
            .fold(first & 0x3f, |v, &c| v << 8 | c as usize);
        let bits = 4 * size + 3; // offset bits: 11 or 15
        let (n, back) = ((v >> bits) + 3, (v & ((1 << bits) - 1)) + 1);
        let Some(from) = out.len().checked_sub(back) else {
            return out;
        };
        for k in 0..n {
            let c = out[from + k];
            out.push(c);
        }
    }
    out
}

/// The packer.
#[cfg(test)]
mod pack;

#[cfg(test)]
mod tests {
    use super::pack::pack;
    use super::*;

    #[test]
    fn what_is_packed_unpacks_to_itself() {
        for t in [
            &b""[..],
            b"a",
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            b"Usage: vfnet set DEV N\n  --dry-run  say what would change\n  --dry-run again\n",
        ] {
            assert_eq!(unpack(&pack(t), usize::MAX), t);
        }
        let long: Vec<u8> = (0..20000u32).map(|i| (i * 7 % 127) as u8).collect();
        assert_eq!(unpack(&pack(&long), usize::MAX), long);
        let help = include_bytes!("../help/set.txt");
        assert_eq!(texts::HELP_SET_TXT.text().as_bytes(), help);
        let unit = include_bytes!("../systemd/vfnet.service");
        let unit = super::pack::source("systemd/vfnet.service", unit);
        assert_eq!(texts::SYSTEMD_VFNET_SERVICE.text().as_bytes(), unit);
        let whole = unpack(ALL, usize::MAX).len();
        assert!(
            ALL.len() < whole / 2,
            "the texts pack to less than half: {} of {whole}",
            ALL.len()
        );
    }

    /// The stream and its index as the sources give them (with
    /// `UPDATE_PACKED=1`: rewritten).
    #[test]
    fn packed_texts_are_current() {
        let top = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (mut all, mut index) = (
            Vec::new(),
            String::from(
                "//! Generated by `UPDATE_PACKED=1 cargo test --lib packed` from\n\
             //! `crate::packed::SOURCES`: each text's place in `texts.lz`.\n\n\
             use super::Packed;\n",
            ),
        );
        for path in SOURCES {
            let data = super::pack::source(path, &std::fs::read(top.join(path)).unwrap());
            let name = path.replace(['/', '-', '.'], "_").to_uppercase();
            index.push_str(&format!(
                "\n/// `{path}`.\npub const {name}: Packed = Packed {{\n    at: {},\n    len: {},\n}};\n",
                all.len(),
                data.len()
            ));
            all.extend_from_slice(&data);
        }
        let mut messages = String::from(
            "//! Generated by `UPDATE_PACKED=1 cargo test --lib packed` from the\n\
             //! `msg!` texts in `src/`: each one's place in `texts.lz`.\n\n\
             use super::Packed;\n\n\
             /// Each message and where it is.\n",
        );
        let found = super::pack::messages(&top.join("src"));
        messages.push_str(&format!(
            "pub const ALL: [(&str, Packed); {}] = [\n",
            found.len()
        ));
        for m in &found {
            messages.push_str(&format!(
                "    ({m:?}, Packed {{ at: {}, len: {} }}),\n",
                all.len(),
                m.len()
            ));
            all.extend_from_slice(m.as_bytes());
        }
        messages.push_str("];\n");
        let packed = pack(&all);
        let lz = top.join("src/packed/texts.lz");
        let rs = top.join("src/packed/texts.rs");
        let ms = top.join("src/packed/messages.rs");
        if std::env::var_os("UPDATE_PACKED").is_some() {
            std::fs::write(&lz, &packed).unwrap();
            std::fs::write(&rs, &index).unwrap();
            std::fs::write(&ms, &messages).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&ms).unwrap_or_default(),
            messages,
            "a msg! text is new or changed: UPDATE_PACKED=1 cargo test --lib packed"
        );
        assert_eq!(
            std::fs::read_to_string(&rs).unwrap(),
            index,
            "UPDATE_PACKED=1 cargo test --lib packed"
        );
        assert!(
            std::fs::read(&lz).unwrap() == packed,
            "texts.lz is stale: UPDATE_PACKED=1 cargo test --lib packed"
        );
        assert_eq!(unpack(&packed, usize::MAX), all);
    }

    #[test]
    fn a_message_is_filled_in_turn_and_found_only_when_packed() {
        let (a, b) = (7, "eth0");
        assert_eq!(
            fill("VF {} of {}: {}".into(), &[&a, &b]),
            "VF 7 of eth0: {}"
        );
        assert_eq!(find("no such message was ever packed"), None);
        // The packed ones come back as they were written.
        for (text, at) in messages::ALL {
            assert_eq!(at.text(), text);
            assert_eq!(find(text), Some(at.at << 12 | at.len));
            assert_eq!(message(at.at << 12 | at.len, &[]), text);
        }
        let pf = "0000:01:00.0";
        assert_eq!(
            crate::msg!(
                "{}: a message not packed (it is only in this test) comes out whole",
                pf
            ),
            "0000:01:00.0: a message not packed (it is only in this test) comes out whole"
        );
    }

    #[test]
    fn a_prefix_is_unpacked_alone() {
        let all = b"one two one two one two, three";
        let p = pack(all);
        let head = unpack(&p, 7);
        assert!(head.len() >= 7 && all.starts_with(&head), "{head:?}");
    }

    #[test]
    fn damaged_input_never_panics() {
        let good = pack(b"hello hello hello hello");
        for cut in 0..good.len() {
            let _ = unpack(&good[..cut], usize::MAX);
        }
        // A match pointing before the start.
        assert_eq!(unpack(&[5, 0, 0, 0, 0xff, 0xf0, 0], usize::MAX), b"");
        assert_eq!(unpack(&[5, 0, 0, 0, b'a', 0x80, 1], usize::MAX), b"a");
    }
}
