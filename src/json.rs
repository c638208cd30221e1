//! A small JSON writer: objects, arrays, escaped strings, numbers.
//!
//! vfnet prints one document per run; this writes it into a `String`
//! without a serialization framework. [`string`] escapes as RFC 8259 asks:
//! `"` and `\`, and every control character.

use std::fmt::Write;

/// Writes `s` as a JSON string. Runs of bytes that need no escape are
/// copied whole: listing writes thousands of strings.
pub fn string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    escaped(out, s);
    out.push('"');
}

/// Writes what `v` displays as a JSON string, straight into `out`: no
/// `String` of its own first (listing writes an address and a MAC per VF).
pub fn display(out: &mut String, v: impl std::fmt::Display) {
    out.push('"');
    let _ = write!(Escaping(out), "{v}");
    out.push('"');
}

/// A `fmt::Write` that escapes as it goes. Escapes are per byte and never
/// span two pieces, so a value may arrive in any number of pieces.
struct Escaping<'a>(&'a mut String);

impl std::fmt::Write for Escaping<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        escaped(self.0, s);
        Ok(())
    }
}

/// The body of a JSON string, without its quotes.
fn escaped(out: &mut String, s: &str) {
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f | 0x7f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// An object being written: members are separated by commas as they come.
pub struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    /// Starts an object at the end of `out`.
    pub fn new(out: &'a mut String) -> Obj<'a> {
        out.push('{');
        Obj { out, first: true }
    }

    fn key(&mut self, k: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        // Keys are vfnet's own constants: nothing in them to escape.
        debug_assert!(k.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\'));
        self.out.push('"');
        self.out.push_str(k);
        self.out.push_str("\":");
        self.out
    }

    /// A string member.
    pub fn str(&mut self, k: &str, v: &str) -> &mut Self {
        string(self.key(k), v);
        self
    }

    /// A string, or `null`.
    pub fn opt_str(&mut self, k: &str, v: Option<impl std::fmt::Display>) -> &mut Self {
        match v {
            Some(v) => display(self.key(k), v),
            None => self.key(k).push_str("null"),
        }
        self
    }

    /// A string member: what `v` displays.
    pub fn display(&mut self, k: &str, v: impl std::fmt::Display) -> &mut Self {
        display(self.key(k), v);
        self
    }

    /// A string member only when there is one (a member that older
    /// documents never had, so that they stay as they were).
    pub fn some_str(&mut self, k: &str, v: Option<&str>) -> &mut Self {
        if let Some(v) = v {
            self.str(k, v);
        }
        self
    }

    /// A number, or `null`.
    pub fn num(&mut self, k: &str, v: Option<u32>) -> &mut Self {
        match v {
            Some(v) => {
                let _ = write!(self.key(k), "{v}");
            }
            None => self.key(k).push_str("null"),
        }
        self
    }

    /// A boolean member.
    pub fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.key(k).push_str(if v { "true" } else { "false" });
        self
    }

    /// A boolean, or `null`.
    pub fn opt_bool(&mut self, k: &str, v: Option<bool>) -> &mut Self {
        match v {
            Some(v) => self.bool(k, v),
            None => {
                self.key(k).push_str("null");
                self
            }
        }
    }

    /// An array of strings.
    pub fn strs<'s>(&mut self, k: &str, v: impl IntoIterator<Item = &'s str>) -> &mut Self {
        let out = self.key(k);
        out.push('[');
        for (i, s) in v.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            string(out, s);
        }
        out.push(']');
        self
    }

    /// A list of strings, or `null`.
    pub fn opt_strs(&mut self, k: &str, v: Option<&[String]>) -> &mut Self {
        match v {
            Some(v) => self.strs(k, v.iter().map(String::as_str)),
            None => self.raw(k, |out| out.push_str("null")),
        }
    }

    /// A member whose value `f` writes.
    pub fn raw(&mut self, k: &str, f: impl FnOnce(&mut String)) -> &mut Self {
        f(self.key(k));
        self
    }

    /// Closes the object.
    pub fn end(self) {
        self.out.push('}');
    }
}

/// Writes an array with one element per line.
pub fn lines<T>(out: &mut String, items: &[T], mut f: impl FnMut(&mut String, &T)) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        f(out, item);
    }
    if !items.is_empty() {
        out.push('\n');
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        let mut s = String::new();
        string(&mut s, "a\"b\\c\nd\te\u{1}f\u{7f}é");
        assert_eq!(s, r#""a\"b\\c\nd\te\u0001f\u007fé""#);
    }

    #[test]
    fn objects_and_arrays() {
        let mut s = String::new();
        let mut o = Obj::new(&mut s);
        o.str("pci", "0000:01:00.0")
            .num("n", Some(3))
            .num("g", None)
            .bool("ok", true);
        o.opt_str("i", None::<&str>).strs("names", ["a", "b"]);
        o.raw("list", |out| {
            lines(out, &[1, 2], |out, n| out.push_str(&n.to_string()))
        });
        o.end();
        assert_eq!(
            s,
            "{\"pci\":\"0000:01:00.0\",\"n\":3,\"g\":null,\"ok\":true,\"i\":null,\"names\":[\"a\",\"b\"],\"list\":[\n1,\n2\n]}"
        );
    }
}
