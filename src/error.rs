//! The one error type: its `Display` is the sentence the user reads.
//!
//! Usage errors (a bad command line) exit 2; everything else exits 1. Each
//! message names the device or file, what failed, and the fix when there is
//! one; `main` prints it once on stderr, prefixed with `vfnet: `.

use nix::errno::Errno;
use std::fmt;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
/// What can go wrong, by exit status.
pub enum Error {
    /// The command line is wrong: exit status 2.
    Usage(String),
    /// Anything else that failed: exit status 1.
    Fail(String),
}

/// vfnet's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A usage error (exit status 2).
    pub fn usage(msg: impl Into<String>) -> Error {
        Error::Usage(msg.into())
    }

    /// A failure (exit status 1).
    pub fn fail(msg: impl Into<String>) -> Error {
        Error::Fail(msg.into())
    }

    /// A failed file operation: `cannot VERB PATH: strerror`, with the
    /// root hint when permission was the problem.
    pub fn io(verb: &str, path: &Path, errno: Errno) -> Error {
        let mut msg = crate::msg!("cannot {} {}: {}", verb, path.display(), strerror(errno));
        if matches!(errno, Errno::EACCES | Errno::EPERM) {
            msg.push_str(" (run vfnet as root)");
        }
        Error::Fail(msg)
    }

    /// The exit status: 2 for usage errors, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            Error::Fail(_) => 1,
        }
    }
}

/// The C library's text for an errno ("No such file or directory").
pub fn strerror(e: Errno) -> &'static str {
    // SAFETY: musl's and glibc's strerror return a pointer to a static,
    // NUL-terminated string for every value.
    let s = unsafe { std::ffi::CStr::from_ptr(nix::libc::strerror(e as i32)) };
    s.to_str().unwrap_or("unknown error")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) | Error::Fail(m) => f.write_str(m),
        }
    }
}

impl From<lexopt::Error> for Error {
    /// lexopt's errors in vfnet's words, each value quoted and escaped
    /// (not lexopt's own text, which shows values with `Debug`).
    fn from(e: lexopt::Error) -> Error {
        use crate::text::quote;
        let os = |v: &std::ffi::OsString| quote(&v.to_string_lossy());
        Error::Usage(match e {
            lexopt::Error::MissingValue { option: Some(o) } => {
                crate::msg!("missing argument for option '{}' (see vfnet -h)", quote(&o))
            }
            lexopt::Error::MissingValue { option: None } => crate::msg!("missing argument"),
            lexopt::Error::UnexpectedOption(o) => crate::msg!("invalid option '{}'", quote(&o)),
            lexopt::Error::UnexpectedArgument(v) => crate::msg!("unexpected argument '{}'", os(&v)),
            lexopt::Error::UnexpectedValue { option, value } => crate::msg!(
                "unexpected argument for option '{}': '{}'",
                quote(&option),
                os(&value)
            ),
            lexopt::Error::ParsingFailed { value, error } => {
                crate::msg!("cannot parse argument '{}': {}", quote(&value), error)
            }
            lexopt::Error::NonUnicodeValue(v) => {
                crate::msg!("argument is invalid unicode: '{}'", os(&v))
            }
            lexopt::Error::Custom(c) => c.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_tell_usage_from_failure() {
        assert_eq!(Error::usage("x").exit_code(), 2);
        assert_eq!(Error::fail("x").exit_code(), 1);
        let e = Error::io("write", Path::new("/etc/vfnet/vfnet.conf"), Errno::EACCES);
        assert_eq!(
            e.to_string(),
            "cannot write /etc/vfnet/vfnet.conf: Permission denied (run vfnet as root)"
        );
    }
}
