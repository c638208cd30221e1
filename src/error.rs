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

/// The text for an errno ("No such file or directory"), as musl's
/// `strerror` words it (its table, `src/errno/__strerror.h`, line N for
/// errno N), on every build. vfnet's own: the C library's would link its
/// 2 KiB table, unpacked, into the shipped build.
pub fn strerror(e: Errno) -> String {
    #[rustfmt::skip]
    let all = crate::msg!("No error information\nOperation not permitted\nNo such file or directory\nNo such process\nInterrupted system call\nI/O error\nNo such device or address\nArgument list too long\nExec format error\nBad file descriptor\nNo child process\nResource temporarily unavailable\nOut of memory\nPermission denied\nBad address\nBlock device required\nResource busy\nFile exists\nCross-device link\nNo such device\nNot a directory\nIs a directory\nInvalid argument\nToo many open files in system\nNo file descriptors available\nNot a tty\nText file busy\nFile too large\nNo space left on device\nInvalid seek\nRead-only file system\nToo many links\nBroken pipe\nDomain error\nResult not representable\nResource deadlock would occur\nFilename too long\nNo locks available\nFunction not implemented\nDirectory not empty\nSymbolic link loop\nNo error information\nNo message of desired type\nIdentifier removed\nNo error information\nNo error information\nNo error information\nNo error information\nNo error information\nNo error information\nNo error information\nNo error information\nNo error information\nNo error information\nNo error information\nNo error information\nNo error information\nNo error information\nNo error information\nNo error information\nDevice not a stream\nNo data available\nDevice timeout\nOut of streams resources\nNo error information\nNo error information\nNo error information\nLink has been severed\nNo error information\nNo error information\nNo error information\nProtocol error\nMultihop attempted\nNo error information\nBad message\nValue too large for data type\nNo error information\nFile descriptor in bad state\nNo error information\nNo error information\nNo error information\nNo error information\nNo error information\nNo error information\nIllegal byte sequence\nNo error information\nNo error information\nNo error information\nNot a socket\nDestination address required\nMessage too large\nProtocol wrong type for socket\nProtocol not available\nProtocol not supported\nSocket type not supported\nNot supported\nProtocol family not supported\nAddress family not supported by protocol\nAddress in use\nAddress not available\nNetwork is down\nNetwork unreachable\nConnection reset by network\nConnection aborted\nConnection reset by peer\nNo buffer space available\nSocket is connected\nSocket not connected\nCannot send after socket shutdown\nNo error information\nOperation timed out\nConnection refused\nHost is down\nHost is unreachable\nOperation already in progress\nOperation in progress\nStale file handle\nNo error information\nNo error information\nNo error information\nNo error information\nRemote I/O error\nQuota exceeded\nNo medium found\nWrong medium type\nOperation canceled\nRequired key not available\nKey has expired\nKey has been revoked\nKey was rejected by service\nPrevious owner died\nState not recoverable");
    let n = (e as i32).max(0) as usize;
    all.lines()
        .nth(n)
        .unwrap_or("No error information")
        .to_string()
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
    fn errno_texts_are_musls_on_every_build() {
        assert_eq!(strerror(Errno::ENOENT), "No such file or directory");
        assert_eq!(strerror(Errno::EPERM), "Operation not permitted");
        assert_eq!(strerror(Errno::EBUSY), "Resource busy");
        assert_eq!(strerror(Errno::EOPNOTSUPP), "Not supported");
        assert_eq!(strerror(Errno::ENOTRECOVERABLE), "State not recoverable");
        assert_eq!(strerror(Errno::UnknownErrno), "No error information");
    }

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
