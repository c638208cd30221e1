//! `IfName`: a network interface name that passed the kernel's own rules.
//!
//! Interface names come from users (`vfnet set eth0 4`) and from config files
//! and end up in paths (`/sys/class/net/NAME`). The only way to build an
//! `IfName` is [`IfName::parse`], which applies the kernel's `dev_valid_name`
//! rules, so a name containing `/` or `..` can never reach a path.

use std::fmt;

/// At most 15 bytes (`IFNAMSIZ` minus the NUL).
pub const IFNAME_MAX: usize = 15;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
/// A valid interface name (1-15 bytes, no `/`, white space or control characters).
pub struct IfName(heapless::String<IFNAME_MAX>);

impl IfName {
    /// Checks `s` as the kernel does: 1 to 15 bytes, not `.` or `..`, and no
    /// `/`, `:`, NUL or whitespace. The error says what is wrong.
    pub fn parse(s: &str) -> Result<IfName, &'static str> {
        if s.is_empty() {
            return Err("an interface name cannot be empty");
        }
        if s.len() > IFNAME_MAX {
            return Err("an interface name has at most 15 bytes");
        }
        if s == "." || s == ".." {
            return Err("an interface name cannot be \".\" or \"..\"");
        }
        if s.bytes()
            .any(|b| b == b'/' || b == b':' || b == 0 || b.is_ascii_whitespace())
        {
            return Err("an interface name cannot contain '/', ':', NUL or whitespace");
        }
        let mut name = heapless::String::new();
        name.push_str(s)
            .map_err(|_| "an interface name has at most 15 bytes")?;
        Ok(IfName(name))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Orders names the way people count: `eth2` before `eth10`.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, _) => return std::cmp::Ordering::Less,
            (_, None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (strip_zeros(&a[..da]), strip_zeros(&b[..db]));
                let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
                if ord.is_ne() {
                    return ord;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn strip_zeros(d: &[u8]) -> &[u8] {
    let z = d.iter().take_while(|&&c| c == b'0').count();
    &d[z.min(d.len().saturating_sub(1))..]
}

/// Sorts interface names in natural order (`eth2` before `eth10`): one
/// sort for every list of names vfnet shows.
pub fn sort(names: &mut [IfName]) {
    names.sort_unstable_by(|a, b| natural_cmp(a.as_str(), b.as_str()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_kernel_accepts() {
        for ok in [
            "eth0",
            "enp1s0f0v12",
            "a",
            "x".repeat(15).as_str(),
            "br-lan",
            "wg.0",
        ] {
            assert_eq!(IfName::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn names_that_could_leave_sysfs_are_refused() {
        let long = "x".repeat(16);
        for bad in [
            "", ".", "..", "../etc", "a/b", "eth0:1", "a b", "a\tb", "a\nb", "a\0b", &long,
        ] {
            assert!(IfName::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn natural_order_counts_numbers() {
        let mut v = ["virtfn10", "virtfn9", "virtfn1", "eth10", "eth2", "eth02"];
        v.sort_unstable_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            v,
            ["eth2", "eth02", "eth10", "virtfn1", "virtfn9", "virtfn10"]
        );
    }
}
