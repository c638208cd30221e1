//! Properties of the config file, over generated files: parse then render
//! is the identity, and recording entries keeps every comment and every
//! line vfnet does not own, in order.

use proptest::prelude::*;
use std::path::PathBuf;
use vfnet::config::{Config, Line, VfSel};
use vfnet::ifname::IfName;
use vfnet::pci::PciAddr;
use vfnet::vf::Setting;

/// Lines a config file may hold: entries, VF settings, comments, blank
/// lines, junk, with odd spacing and CRLF endings.
fn line() -> impl Strategy<Value = String> {
    let addr = (0u8..4, 0u8..32, 0u8..8).prop_map(|(b, d, f)| format!("0000:{b:02x}:{d:02x}.{f}"));
    let name = "[a-z][a-z0-9]{0,10}";
    prop_oneof![
        (addr.clone(), 0u32..70000, " {0,2}").prop_map(|(a, n, sp)| format!("{a}{sp}={sp}{n}")),
        (name, 0u32..300).prop_map(|(n, c)| format!("{n}={c}")),
        (
            addr,
            0u32..10,
            prop::sample::select(vec![
                "mac=auto",
                "vlan=100",
                "trust=on",
                "rate=0,100",
                "driver=vfio-pci"
            ])
        )
            .prop_map(|(a, vf, s)| format!("{a}.vf{vf}.{s}")),
        "# [ -~]{0,30}",
        " {0,3}",
        "[ -~]{0,40}",
    ]
}

fn file() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((line(), prop::bool::ANY), 0..20),
        prop::bool::ANY,
    )
        .prop_map(|(lines, last_newline)| {
            let mut s = String::new();
            for (i, (l, crlf)) in lines.iter().enumerate() {
                s.push_str(l);
                if i + 1 < lines.len() || last_newline {
                    s.push_str(if *crlf { "\r\n" } else { "\n" });
                }
            }
            s
        })
}

fn parse(text: impl AsRef<[u8]>) -> Config {
    Config::parse(PathBuf::from("/etc/vfnet/vfnet.conf"), text)
}

/// The lines that no `set` of `addr` may touch: everything but its own
/// entries and the `# NAME` comment `set` writes above them.
fn untouched(c: &Config, addr: PciAddr) -> Vec<String> {
    c.lines
        .iter()
        .filter(|l| match l {
            Line::Count {
                key: vfnet::pci::DevKey::Pci(a),
                ..
            }
            | Line::Vf {
                key: vfnet::pci::DevKey::Pci(a),
                ..
            } => *a != addr,
            Line::Other(raw) => raw != b"# eth9\n",
            _ => true,
        })
        .map(|l| {
            String::from_utf8_lossy(l.raw())
                .trim_end_matches('\n')
                .to_string()
        })
        .collect()
}

proptest! {
    #[test]
    fn parse_then_render_is_the_identity(text in file()) {
        prop_assert_eq!(parse(&text).render(), text.as_bytes());
    }

    /// Any bytes at all: a bad byte spoils its own line, never another, and
    /// the file comes back byte for byte.
    #[test]
    fn any_bytes_parse_line_by_line(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let c = parse(&bytes);
        prop_assert_eq!(c.render(), bytes.clone());
        prop_assert_eq!(c.lines.len(), bytes.split_inclusive(|&b| b == b'\n').count());
        for (line, raw) in c.lines.iter().zip(bytes.split_inclusive(|&b| b == b'\n')) {
            let alone = parse(raw);
            prop_assert_eq!(&alone.lines[0], line);
        }
    }

    #[test]
    fn parse_render_parse_gives_the_same_lines(text in file()) {
        let once = parse(&text);
        prop_assert_eq!(parse(once.render()), once);
    }

    #[test]
    fn recording_keeps_comments_and_other_lines(text in file(), n in 0u32..64, vf in 0u32..8) {
        let addr = PciAddr::parse("0000:01:00.0").unwrap();
        let name = IfName::parse("eth9").unwrap();
        let before = parse(&text);
        let mut after = before.clone();
        after.set(addr, std::slice::from_ref(&name), n);
        after.set_vf(addr, std::slice::from_ref(&name), VfSel::One(vf), Setting::parse("vlan", "5").unwrap());
        let reread = parse(after.render());
        prop_assert_eq!(untouched(&before, addr), untouched(&reread, addr));
        prop_assert_eq!(reread.find(addr, &[]).map(|e| e.count), Some(n));
        let comments = |c: &Config| c.lines.iter().filter(|l| String::from_utf8_lossy(l.raw()).trim_start().starts_with('#')).count();
        prop_assert!(comments(&reread) >= comments(&before));
    }
}
