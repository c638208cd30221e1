//! Text helpers shared by the parsers and the messages: quoting input that
//! is echoed back, and numbers as users write them.
//!
//! Anything a user or a file supplied is hostile until checked. [`quote`]
//! makes such text safe to put in a message: at most [`QUOTE_MAX`] bytes of
//! it, with every control character escaped, so no input can start a new
//! line on stderr, move the cursor or hide what follows.

use std::fmt::Write as _;

/// How many bytes of an input a message repeats.
pub const QUOTE_MAX: usize = 80;

/// `s` as a message may repeat it: control characters (newline, CR, ESC,
/// NUL, DEL, the C1 range) as `\n`, `\r`, `\t` or `\xHH`, and cut after
/// [`QUOTE_MAX`] bytes of input with `...`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(QUOTE_MAX) + 8);
    let mut used = 0;
    for c in s.chars() {
        if used + c.len_utf8() > QUOTE_MAX {
            out.push_str("...");
            break;
        }
        used += c.len_utf8();
        escape_char(&mut out, c);
    }
    out
}

/// [`quote`] for bytes that may not be UTF-8: each invalid byte as `\xHH`.
pub fn quote_bytes(b: &[u8]) -> String {
    let mut s = String::new();
    for chunk in b.utf8_chunks() {
        s.push_str(chunk.valid());
        for byte in chunk.invalid() {
            // A placeholder that quote() turns into \xHH below.
            let _ = write!(s, "\u{fffd}{byte:02x}");
        }
    }
    quote(&s).replace('\u{fffd}', "\\x")
}

/// Escapes the control characters of a whole message (the last line of
/// defence: `out::error` runs every message through it).
pub fn escape_controls(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        escape_char(&mut out, c);
    }
    out
}

fn escape_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_control() => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => out.push(c),
    }
}

/// `s` as one POSIX sh word: as it is when every byte is plainly safe,
/// else in single quotes (a `'` inside written `'\''`). Control characters
/// (a newline would split a line of generated code) are refused.
pub fn sh_quote(s: &str) -> Result<String, String> {
    if s.chars().any(char::is_control) {
        return Err(crate::msg!(
            "'{}' has a control character (a newline?): it cannot be written into a script safely",
            quote(s)
        ));
    }
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"/._+,:@%=-".contains(&b);
    if !s.is_empty() && s.bytes().all(plain) {
        return Ok(s.to_string());
    }
    Ok(format!("'{}'", s.replace('\'', "'\\''")))
}

/// `s` as a path in a systemd unit (`RequiresMountsFor=`, `Environment=`,
/// `ConditionPathExists=`): `%` doubled (specifiers). Whitespace (a list
/// separator there), quotes, backslashes and control characters are
/// refused: no quoting would mean the same in every one of those settings.
pub fn systemd_path(s: &str) -> Result<String, String> {
    if let Some(c) = s
        .chars()
        .find(|&c| c.is_control() || c.is_whitespace() || matches!(c, '"' | '\'' | '\\'))
    {
        return Err(crate::msg!(
            "'{}' has {} which a systemd unit cannot hold safely in a path",
            quote(s),
            match c {
                c if c.is_whitespace() && !c.is_control() => "white space".to_string(),
                c if c.is_control() => crate::msg!("a control character"),
                c => format!("a {c}"),
            }
        ));
    }
    Ok(s.replace('%', "%%"))
}

/// A decimal number of at most `max` (digits only: no sign, no spaces).
pub fn parse_u32_max(s: &str, max: u32) -> Option<u32> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u64>()
        .ok()
        .filter(|&n| n <= max as u64)
        .map(|n| n as u32)
}

/// A yes-or-no value in any of the spellings config files and command
/// lines use (`on`/`off`, `yes`/`no`, `true`/`false`, `1`/`0`, any case):
/// every boolean setting and key takes all of them.
pub fn boolean(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" | "1" => Some(true),
        "off" | "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// The known name closest to `name` in spelling, if it is close enough to
/// be what was meant ("did you mean"): at most one edit for a name of up
/// to 4 bytes, two for longer ones (an edit: a byte added, dropped,
/// changed, or two neighbours swapped). Ties go to the first candidate.
pub fn closest<'c>(name: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let limit = if name.len() <= 4 { 1 } else { 2 };
    let mut best: Option<(usize, &str)> = None;
    for &c in candidates {
        let d = edits(name.as_bytes(), c.as_bytes());
        if d > 0 && d <= limit && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// ` (did you mean 'X'?)` for [`closest`], or nothing.
pub fn did_you_mean(name: &str, candidates: &[&str]) -> String {
    closest(name, candidates).map_or_else(String::new, |c| {
        crate::msg!(" (did you mean '{}'?)", quote(c))
    })
}

/// Edits from `a` to `b`: insertions, deletions, substitutions and swaps of
/// neighbours (optimal string alignment). Names are short: this is plain
/// dynamic programming, with a cap on the lengths it looks at.
fn edits(a: &[u8], b: &[u8]) -> usize {
    let (a, b) = (&a[..a.len().min(64)], &b[..b.len().min(64)]);
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            d[i * w + j] = if i == 0 || j == 0 {
                i + j
            } else {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut v = (d[(i - 1) * w + j] + 1)
                    .min(d[i * w + j - 1] + 1)
                    .min(d[(i - 1) * w + j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    v = v.min(d[(i - 2) * w + j - 2] + 1);
                }
                v
            };
        }
    }
    d[a.len() * w + b.len()]
}

/// The long options (`--name`) a usage text names, in order.
pub fn long_options(usage: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = usage;
    while let Some(i) = rest.find("--") {
        let tail = &rest[i + 2..];
        let n = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
            .unwrap_or(tail.len());
        let name = &tail[..n];
        if !name.is_empty() && !name.starts_with('-') && !out.contains(&name) {
            out.push(name);
        }
        rest = &tail[n..];
    }
    out
}

/// `paragraph` (words separated by spaces) as lines of at most `width`
/// characters, the later ones indented by `indent` spaces; a word longer
/// than a line gets a line of its own. Each line ends in a newline.
pub fn fill(paragraph: &str, width: usize, indent: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in paragraph.split_whitespace() {
        let room = line.chars().count() + 1 + word.chars().count();
        if !line.trim().is_empty() && room > width {
            out.push_str(&line);
            out.push('\n');
            line = " ".repeat(indent);
        } else if !line.trim().is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.trim().is_empty() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_near_miss_gets_its_closest_spelling_and_a_far_one_nothing() {
        let commands = [
            "list",
            "set",
            "vf",
            "persist",
            "apply",
            "install",
            "uninstall",
            "doctor",
            "capture",
        ];
        assert_eq!(closest("lsit", &commands), Some("list"));
        assert_eq!(closest("aply", &commands), Some("apply"));
        assert_eq!(closest("docter", &commands), Some("doctor"));
        assert_eq!(closest("frob", &commands), None);
        assert_eq!(
            closest("list", &commands),
            None,
            "an exact name is not a miss"
        );
        assert_eq!(closest("tust", &["mac", "trust", "state"]), Some("trust"));
        assert_eq!(closest("maxc", &["mac", "vlan", "mtu"]), Some("mac"));
        assert_eq!(
            closest("dryrun", &["dry-run", "json", "quiet"]),
            Some("dry-run")
        );
        assert_eq!(
            closest("enp1s0f", &["enp1s0f0", "enp1s0f1", "lo"]),
            Some("enp1s0f0")
        );
        assert_eq!(did_you_mean("x", &["vf"]), "");
        assert_eq!(did_you_mean("sett", &["set"]), " (did you mean 'set'?)");
        assert_eq!(edits(b"ab", b"ba"), 1);
        assert_eq!(edits(b"", b"abc"), 3);
    }

    #[test]
    fn booleans_take_every_usual_spelling() {
        for v in ["on", "yes", "true", "1", "ON", "Yes"] {
            assert_eq!(boolean(v), Some(true), "{v}");
        }
        for v in ["off", "no", "false", "0", "OFF"] {
            assert_eq!(boolean(v), Some(false), "{v}");
        }
        for v in ["", "2", "y", "enable"] {
            assert_eq!(boolean(v), None, "{v}");
        }
    }

    #[test]
    fn long_options_are_read_from_a_usage_text() {
        let usage = "usage: vfnet set DEV N [--timeout S] [--dry-run]\n  -n, --dry-run  say\n  --no-headers x --\n";
        assert_eq!(long_options(usage), ["timeout", "dry-run", "no-headers"]);
    }

    #[test]
    fn quoted_input_cannot_start_a_line_or_move_the_cursor() {
        assert_eq!(quote("eth0"), "eth0");
        assert_eq!(quote("a\nvfnet: forged"), "a\\nvfnet: forged");
        assert_eq!(quote("\x1b[2J\r\0"), "\\x1b[2J\\r\\x00");
        assert_eq!(quote("\u{9b}31m"), "\\x9b31m");
        assert_eq!(quote("x\u{7f}"), "x\\x7f");
    }

    #[test]
    fn quoted_input_is_cut_after_80_bytes() {
        let long = "a".repeat(10_000);
        let q = quote(&long);
        assert_eq!(q, format!("{}...", "a".repeat(80)));
        // Never inside a character.
        let q = quote(&"é".repeat(100));
        assert_eq!(q, format!("{}...", "é".repeat(40)));
        assert_eq!(quote(&"a".repeat(80)), "a".repeat(80));
    }

    #[test]
    fn invalid_bytes_are_shown_as_hex() {
        assert_eq!(quote_bytes(b"eth0=\xff\xfe1"), "eth0=\\xff\\xfe1");
        assert_eq!(quote_bytes(b"ok"), "ok");
    }

    #[test]
    fn numbers_take_the_full_range_and_nothing_else() {
        assert_eq!(parse_u32_max("4294967295", u32::MAX), Some(u32::MAX));
        assert_eq!(parse_u32_max("4294967296", u32::MAX), None);
        assert_eq!(parse_u32_max("100000", 65535), None);
        for bad in ["", "-1", "+1", " 1", "1e3", "0x10", "99999999999"] {
            assert_eq!(parse_u32_max(bad, u32::MAX), None, "{bad}");
        }
    }

    #[test]
    fn sh_words_are_quoted_or_refused() {
        assert_eq!(
            sh_quote("/etc/vfnet/vfnet.conf").unwrap(),
            "/etc/vfnet/vfnet.conf"
        );
        assert_eq!(sh_quote("/mnt/my pool/x").unwrap(), "'/mnt/my pool/x'");
        assert_eq!(sh_quote("/a/$(reboot)").unwrap(), "'/a/$(reboot)'");
        assert_eq!(sh_quote("/a/`id`").unwrap(), "'/a/`id`'");
        assert_eq!(sh_quote("/it's").unwrap(), "'/it'\\''s'");
        assert_eq!(sh_quote("").unwrap(), "''");
        assert!(sh_quote("/a\nreboot").is_err());
    }

    #[test]
    fn systemd_paths_escape_specifiers_and_refuse_what_cannot_be_held() {
        assert_eq!(
            systemd_path("/mnt/tank/v.conf").unwrap(),
            "/mnt/tank/v.conf"
        );
        assert_eq!(systemd_path("/mnt/100%/v").unwrap(), "/mnt/100%%/v");
        for bad in ["/my pool/v", "/a\"b", "/a'b", "/a\\b", "/a\nb", "/a\tb"] {
            assert!(systemd_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn whole_messages_lose_their_control_characters() {
        assert_eq!(escape_controls("plain"), "plain");
        assert_eq!(escape_controls("a\nb\x1b"), "a\\nb\\x1b");
    }

    #[test]
    fn fill_wraps_at_the_width_and_indents_the_later_lines() {
        assert_eq!(fill("aa bb cc dd", 5, 2), "aa bb\n  cc\n  dd\n");
        assert_eq!(fill("a verylongword b", 4, 0), "a\nverylongword\nb\n");
        assert_eq!(fill("  one   two ", 80, 0), "one two\n");
        assert_eq!(fill("", 10, 0), "");
    }
}
