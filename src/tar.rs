//! A small tar writer (POSIX ustar, with pax records for long names): what
//! `vfnet capture` packs a machine's sysfs into. Pure: entries in, bytes
//! out; no file-system access.
//!
//! Every entry is a directory, a regular file or a symbolic link, owned by
//! root, with a fixed time (0), so the same machine state gives the same
//! archive. A name or link target over ustar's 100 bytes goes in a pax
//! extended header (`path=`, `linkpath=`), which GNU tar, bsdtar and
//! busybox tar read.

/// The archive being built.
#[derive(Debug, Default)]
pub struct Tar {
    out: Vec<u8>,
}

const BLOCK: usize = 512;

impl Tar {
    /// An empty archive.
    pub fn new() -> Tar {
        Tar::default()
    }

    /// A directory (`name` without a trailing `/`).
    pub fn dir(&mut self, name: &str) {
        self.entry(name, b'5', 0o755, &[], "");
    }

    /// A regular file holding `data`.
    pub fn file(&mut self, name: &str, mode: u32, data: &[u8]) {
        self.entry(name, b'0', mode, data, "");
    }

    /// A symbolic link to `target`.
    pub fn link(&mut self, name: &str, target: &str) {
        self.entry(name, b'2', 0o777, &[], target);
    }

    /// The archive, with its end (two zero blocks).
    pub fn finish(mut self) -> Vec<u8> {
        self.out.extend_from_slice(&[0; 2 * BLOCK]);
        self.out
    }

    fn entry(&mut self, name: &str, kind: u8, mode: u32, data: &[u8], link: &str) {
        let name = if kind == b'5' {
            format!("{}/", name.trim_end_matches('/'))
        } else {
            name.to_string()
        };
        let long_name = name.len() > 100;
        let long_link = link.len() > 100;
        if long_name || long_link {
            let mut records = Vec::new();
            if long_name {
                records.extend(pax_record("path", &name));
            }
            if long_link {
                records.extend(pax_record("linkpath", link));
            }
            let pax_name = format!("PaxHeaders/{}", short(&name, 80));
            self.header(&pax_name, b'x', 0o644, records.len(), "");
            self.data(&records);
        }
        self.header(
            &short(&name, 100),
            kind,
            mode,
            data.len(),
            &short(link, 100),
        );
        self.data(data);
    }

    fn header(&mut self, name: &str, kind: u8, mode: u32, size: usize, link: &str) {
        let mut h = [0u8; BLOCK];
        put(&mut h[0..100], name.as_bytes());
        octal(&mut h[100..108], mode as u64);
        octal(&mut h[108..116], 0); // uid
        octal(&mut h[116..124], 0); // gid
        octal(&mut h[124..136], size as u64);
        octal(&mut h[136..148], 0); // mtime
        h[148..156].copy_from_slice(b"        "); // checksum, as spaces while summing
        h[156] = kind;
        put(&mut h[157..257], link.as_bytes());
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        put(&mut h[265..297], b"root");
        put(&mut h[297..329], b"root");
        let sum: u32 = h.iter().map(|&b| b as u32).sum();
        // Six octal digits, NUL, space: the form every tar accepts.
        let digits = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(digits.as_bytes());
        self.out.extend_from_slice(&h);
    }

    fn data(&mut self, data: &[u8]) {
        self.out.extend_from_slice(data);
        let pad = (BLOCK - data.len() % BLOCK) % BLOCK;
        self.out.extend(std::iter::repeat_n(0, pad));
    }
}

/// The first `max` bytes of `s`, not cutting a character.
fn short(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

fn put(field: &mut [u8], v: &[u8]) {
    let n = v.len().min(field.len());
    field[..n].copy_from_slice(&v[..n]);
}

/// `v` in octal, zero-padded, NUL-terminated, filling `field`.
fn octal(field: &mut [u8], v: u64) {
    let s = format!("{v:0width$o}\0", width = field.len() - 1);
    field.copy_from_slice(s.as_bytes());
}

/// One pax record: `LEN KEY=VALUE\n`, LEN counting itself.
fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while format!("{len}").len() + body.len() != len {
        len += 1;
    }
    format!("{len}{body}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(h: &[u8], a: usize, b: usize) -> String {
        String::from_utf8_lossy(&h[a..b])
            .trim_end_matches('\0')
            .to_string()
    }

    #[test]
    fn headers_are_ustar_with_a_valid_checksum() {
        let mut t = Tar::new();
        t.file("sys/a", 0o644, b"7\n");
        let a = t.finish();
        assert_eq!(a.len(), 512 + 512 + 1024);
        let h = &a[..512];
        assert_eq!(field(h, 0, 100), "sys/a");
        assert_eq!(field(h, 124, 136), "00000000002");
        assert_eq!(&h[257..263], b"ustar\0");
        let mut copy = h.to_vec();
        copy[148..156].copy_from_slice(b"        ");
        let sum: u32 = copy.iter().map(|&b| b as u32).sum();
        let stored = u32::from_str_radix(field(h, 148, 154).trim(), 8).unwrap();
        assert_eq!(stored, sum);
        assert_eq!(&a[512..514], b"7\n");
        assert!(a[514..].iter().all(|&b| b == 0));
    }

    #[test]
    fn long_names_and_targets_go_in_pax_records() {
        let long = format!("sys/devices/{}/virtfn0", "x".repeat(120));
        let target = format!("../{}", "y".repeat(130));
        let mut t = Tar::new();
        t.link(&long, &target);
        let a = t.finish();
        assert_eq!(a[156], b'x');
        let size = usize::from_str_radix(&field(&a, 124, 135), 8).unwrap();
        let records = String::from_utf8(a[512..512 + size].to_vec()).unwrap();
        for line in records.lines() {
            let (len, rest) = line.split_once(' ').unwrap();
            assert_eq!(len.parse::<usize>().unwrap(), line.len() + 1, "{line}");
            assert!(rest.starts_with("path=") || rest.starts_with("linkpath="));
        }
        assert!(records.contains(&format!("path={long}\n")));
        assert!(records.contains(&format!("linkpath={target}\n")));
        let next = &a[1024..1536];
        assert_eq!(next[156], b'2');
    }

    #[test]
    fn pax_record_lengths_count_themselves() {
        assert_eq!(pax_record("path", "ab"), b"11 path=ab\n");
        let r = pax_record("path", &"z".repeat(93));
        assert_eq!(r.len(), 103);
        assert!(r.starts_with(b"103 "));
    }
}
