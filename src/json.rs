//! A small JSON writer and reader: objects, arrays, escaped strings, numbers.
//!
//! vfnet prints one document per run; this writes it into a `String`
//! without a serialization framework. [`string`] escapes as RFC 8259 asks:
//! `"` and `\`, and every control character. [`parse`] reads the few
//! documents vfnet is given (TrueNAS's middleware answers) into a
//! [`Value`]: strictly, to a bounded depth, never panicking on any input.

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

/// The version of every JSON document vfnet prints (the `"version"` field
/// first in each): raised when a field changes its name, type or meaning,
/// not when one is added. The README's "JSON documents" section is the
/// schema.
pub const VERSION: u32 = 1;

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

    /// Starts a whole document: its `"version"` member first.
    pub fn document(out: &'a mut String) -> Obj<'a> {
        let mut o = Obj::new(out);
        o.num("version", Some(VERSION));
        o
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

    /// An array of what `v`'s items display, each as a string.
    pub fn displays<T: std::fmt::Display>(&mut self, k: &str, v: &[T]) -> &mut Self {
        let out = self.key(k);
        out.push('[');
        for (i, x) in v.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            display(out, x);
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

/// A JSON value read by [`parse`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true`, `false`.
    Bool(bool),
    /// A number, as its text (checked against JSON's grammar; vfnet only
    /// ever needs whole ones, [`Value::as_int`], and no float parser).
    Num(String),
    /// A string, unescaped.
    Str(String),
    /// An array.
    Arr(Vec<Value>),
    /// Members in document order.
    Obj(Vec<(String, Value)>),
}

impl Value {
    /// Member `k` of an object (the first, if a document repeats it).
    pub fn get(&self, k: &str) -> Option<&Value> {
        match self {
            Value::Obj(m) => m.iter().find(|(n, _)| n == k).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is a whole one written without a fraction or an
    /// exponent that fits an `i64`.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Num(n) => n.parse().ok(),
            _ => None,
        }
    }
}

/// How deep arrays and objects may nest: the middleware's answers are 2.
const MAX_DEPTH: usize = 64;

/// Reads one JSON document (surrounding whitespace allowed); `None` when
/// `text` is not one, or nests deeper than [`MAX_DEPTH`].
pub fn parse(text: &str) -> Option<Value> {
    let mut r = Reader {
        b: text.as_bytes(),
        i: 0,
    };
    let v = r.value(0)?;
    r.ws();
    (r.i == r.b.len()).then_some(v)
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn ws(&mut self) {
        while self.b.get(self.i).is_some_and(|c| b" \t\r\n".contains(c)) {
            self.i += 1;
        }
    }

    fn eat(&mut self, word: &[u8]) -> bool {
        let hit = self.b[self.i..].starts_with(word);
        if hit {
            self.i += word.len();
        }
        hit
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match *self.b.get(self.i)? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(Value::Str),
            b't' => self.eat(b"true").then_some(Value::Bool(true)),
            b'f' => self.eat(b"false").then_some(Value::Bool(false)),
            b'n' => self.eat(b"null").then_some(Value::Null),
            _ => self.number(),
        }
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        self.i += 1;
        let mut out = Vec::new();
        self.ws();
        if self.eat(b"]") {
            return Some(Value::Arr(out));
        }
        loop {
            out.push(self.value(depth + 1)?);
            self.ws();
            if self.eat(b"]") {
                return Some(Value::Arr(out));
            }
            if !self.eat(b",") {
                return None;
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        self.i += 1;
        let mut out = Vec::new();
        self.ws();
        if self.eat(b"}") {
            return Some(Value::Obj(out));
        }
        loop {
            self.ws();
            if self.b.get(self.i) != Some(&b'"') {
                return None;
            }
            let k = self.string()?;
            self.ws();
            if !self.eat(b":") {
                return None;
            }
            out.push((k, self.value(depth + 1)?));
            self.ws();
            if self.eat(b"}") {
                return Some(Value::Obj(out));
            }
            if !self.eat(b",") {
                return None;
            }
        }
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        while self
            .b
            .get(self.i)
            .is_some_and(|c| c.is_ascii_digit() || b"+-.eE".contains(c))
        {
            self.i += 1;
        }
        let t = std::str::from_utf8(&self.b[start..self.i]).ok()?;
        // JSON's grammar, which Rust's float syntax is wider than.
        let digits = t.strip_prefix('-').unwrap_or(t);
        let leading_zero =
            digits.len() > 1 && digits.starts_with('0') && digits.as_bytes()[1].is_ascii_digit();
        let ok = digits.starts_with(|c: char| c.is_ascii_digit())
            && !leading_zero
            && !t.contains("..")
            && !t.ends_with(['.', 'e', 'E', '+', '-']);
        ok.then(|| Value::Num(t.to_string()))
    }

    fn string(&mut self) -> Option<String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while self
                .b
                .get(self.i)
                .is_some_and(|&c| c != b'"' && c != b'\\' && c >= 0x20)
            {
                self.i += 1;
            }
            out.push_str(std::str::from_utf8(&self.b[start..self.i]).ok()?);
            match *self.b.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some(out);
                }
                b'\\' => {
                    self.i += 1;
                    let c = match *self.b.get(self.i)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.escaped_char()?,
                        _ => return None,
                    };
                    self.i += 1;
                    out.push(c);
                }
                // A raw control character: not JSON.
                _ => return None,
            }
        }
    }

    /// `\uXXXX` (the reader at its `u`), a surrogate pair taken whole;
    /// leaves the reader on the last hex digit.
    fn escaped_char(&mut self) -> Option<char> {
        let hex = |r: &Self, at: usize| -> Option<u32> {
            let h = r.b.get(at..at + 4)?;
            u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
        };
        let hi = hex(self, self.i + 1)?;
        self.i += 4;
        if (0xD800..0xDC00).contains(&hi) {
            if self.b.get(self.i + 1..self.i + 3) != Some(b"\\u") {
                return None;
            }
            let lo = hex(self, self.i + 3)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return None;
            }
            self.i += 6;
            return char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
        }
        char::from_u32(hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_read_strictly() {
        let v = parse(
            r#" [{"id": 3, "command": "a \"b\" \u00e9\ud83d\ude00", "x": [true, null, -1.5e2]}] "#,
        )
        .unwrap();
        let Value::Arr(items) = &v else {
            panic!("{v:?}")
        };
        assert_eq!(items[0].get("id").and_then(Value::as_int), Some(3));
        assert_eq!(
            items[0].get("command").and_then(Value::as_str),
            Some("a \"b\" é😀")
        );
        assert_eq!(
            items[0].get("x"),
            Some(&Value::Arr(vec![
                Value::Bool(true),
                Value::Null,
                Value::Num("-1.5e2".into())
            ]))
        );
        for bad in [
            "",
            "[",
            "[1,]",
            "{\"a\"}",
            "{\"a\":1,}",
            "01",
            "1.",
            "\"a",
            "\"\n\"",
            "[1] x",
            "\"\\ud800\"",
            "\"\\x\"",
            "nul",
            "{1:2}",
            "-",
            "1e",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert_eq!(parse(&deep), None, "too deep");
        assert!(parse(&("[".repeat(60) + &"]".repeat(60))).is_some());
        // Whatever comes back of what this module writes reads back the same.
        let mut out = String::new();
        string(&mut out, "q\"\\\n\u{1}é");
        assert_eq!(parse(&out), Some(Value::Str("q\"\\\n\u{1}é".into())));
    }

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
