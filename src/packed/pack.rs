//! The packer of `crate::packed`'s format, run by the tests
//! (`UPDATE_PACKED=1 cargo test --lib packed`).

/// Packs `data` (ASCII; the tests write the stream with it): the cheapest
/// parse (a literal costs 1 byte, a near match 2, a far one 3), from the
/// longest match at each byte among the last 2048 bytes and among the
/// last 32768, found through chains of earlier positions whose next 3
/// bytes are alike; any shorter prefix of a match is one too.
pub fn pack(data: &[u8]) -> Vec<u8> {
    assert!(data.is_ascii(), "the packed texts are ASCII");
    let n = data.len();
    let key = |i: usize| {
        ((data[i] as usize) << 14 | (data[i + 1] as usize) << 7 | data[i + 2] as usize) & 0x1f_ffff
    };
    let mut head = vec![usize::MAX; 1 << 21];
    let mut prev = vec![usize::MAX; n];
    // At each byte: the longest (length, back) near and far.
    let mut near = vec![(0usize, 0usize); n];
    let mut far = vec![(0usize, 0usize); n];
    for i in 0..n.saturating_sub(2) {
        let mut j = head[key(i)];
        while j != usize::MAX && i - j <= 32768 {
            let mut l = 0;
            while l < 130 && i + l < n && data[j + l] == data[i + l] {
                l += 1;
            }
            if i - j <= 2048 && l.min(10) > near[i].0 {
                near[i] = (l.min(10), i - j);
            }
            if l > far[i].0 {
                far[i] = (l, i - j);
            }
            j = prev[j];
        }
        let k = key(i);
        prev[i] = head[k];
        head[k] = i;
    }
    // cost[i]: the fewest bytes that code data[i..]; step[i]: how.
    #[derive(Clone, Copy)]
    enum Step {
        Literal,
        Near(usize),
        Far(usize),
    }
    let mut cost = vec![0usize; n + 1];
    let mut step = vec![Step::Literal; n];
    for i in (0..n).rev() {
        cost[i] = 1 + cost[i + 1];
        for l in 3..=near[i].0 {
            if 2 + cost[i + l] < cost[i] {
                (cost[i], step[i]) = (2 + cost[i + l], Step::Near(l));
            }
        }
        for l in 3..=far[i].0 {
            if 3 + cost[i + l] < cost[i] {
                (cost[i], step[i]) = (3 + cost[i + l], Step::Far(l));
            }
        }
    }
    let mut out = (n as u32).to_le_bytes().to_vec();
    let mut i = 0;
    while i < n {
        match step[i] {
            Step::Literal => {
                out.push(data[i]);
                i += 1;
            }
            Step::Near(l) => {
                let v = 0x8000 | (l - 3) << 11 | (near[i].1 - 1);
                out.extend_from_slice(&(v as u16).to_be_bytes());
                i += l;
            }
            Step::Far(l) => {
                let v = 0xc0_0000 | (l - 3) << 15 | (far[i].1 - 1);
                out.extend_from_slice(&(v as u32).to_be_bytes()[1..]);
                i += l;
            }
        }
    }
    out
}

/// The text packed for the file at `path` (in the repository): a help
/// text as it is; of the glue (boot glue, units, VM hooks), the first two
/// lines (the `#!` line or the first comment, what the file is) and the
/// code. The other comment lines, blank lines and indentation stay in the
/// repository's copy, which the README points to: about 5 KiB of the
/// binary.
pub fn source(path: &str, data: &[u8]) -> Vec<u8> {
    if path.starts_with("help/") {
        return data.to_vec();
    }
    let text = String::from_utf8_lossy(data);
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.lines().enumerate() {
        let code = line.trim_start_matches('\t');
        if n >= 2 && (code.starts_with('#') || code.is_empty()) {
            continue;
        }
        out.push_str(code);
        out.push('\n');
    }
    out.into_bytes()
}

/// The texts of every `msg!("...")` in the source files under `dir` (not
/// in its tests, which the binary does not hold): each once, in the order
/// of the files' paths.
pub fn messages(dir: &std::path::Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            match p.is_dir() {
                true => todo.push(p),
                false if p.extension().is_some_and(|x| x == "rs") => files.push(p),
                false => {}
            }
        }
    }
    files.sort();
    let mut out: Vec<String> = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
        // Not in comments (the examples of msg! in its own).
        let code: String = code
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .flat_map(|l| [l, "\n"])
            .collect();
        let mut rest = code.as_str();
        while let Some(i) = rest.find("msg!(") {
            rest = rest[i + 5..].trim_start();
            if !rest.starts_with('"') {
                continue;
            }
            let (m, used) = literal(rest)
                .unwrap_or_else(|| panic!("{}: a msg! text it cannot read", f.display()));
            rest = &rest[used..];
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    out
}

/// The value of the Rust string literal `s` starts with, and its length in
/// `s`; `None` for an escape it does not know.
fn literal(s: &str) -> Option<(String, usize)> {
    let b = s.as_bytes();
    let (mut out, mut i) = (String::new(), 1);
    loop {
        match *b.get(i)? {
            b'"' => return Some((out, i + 1)),
            b'\\' => {
                i += 1;
                match *b.get(i)? {
                    b'n' => out.push('\n'),
                    b't' => out.push('\t'),
                    b'r' => out.push('\r'),
                    b'0' => out.push('\0'),
                    c @ (b'\\' | b'"' | b'\'') => out.push(c as char),
                    b'\n' => {
                        while b.get(i + 1).is_some_and(|c| c.is_ascii_whitespace()) {
                            i += 1;
                        }
                    }
                    _ => return None,
                }
                i += 1;
            }
            _ => {
                let c = s[i..].chars().next()?;
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
}
