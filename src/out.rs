//! Writing to the terminal: whole outputs in one write, errors as one safe
//! line, and the terminal's width.
//!
//! A write to stdout that fails is not ignored: a closed pipe (`vfnet list |
//! head -1`) ends vfnet quietly, at once; any other failure (ENOSPC, EIO) is
//! one line on stderr and exit status 1. Every state change vfnet makes
//! finishes before it prints about it, so stopping at a print never stops a
//! change halfway.

use nix::errno::Errno;
use std::os::fd::AsRawFd;

/// Writes `s` to stdout (see the module doc for what a failure does),
/// unless muted.
pub fn print(s: &str) {
    if MUTED.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    if let Err(e) = write_all(std::io::stdout(), s.as_bytes()) {
        stdout_failed(e);
    }
}

/// What a failed write to stdout does: exit quietly on a closed pipe (with
/// status 0 when only reading, as `head` expects), else say so and exit 1.
pub fn stdout_failed(e: Errno) -> ! {
    if e == Errno::EPIPE {
        std::process::exit(if changing() { 1 } else { 0 });
    }
    error(format_args!(
        "cannot write to standard output: {}",
        crate::error::strerror(e)
    ));
    std::process::exit(1)
}

static MUTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Mutes stdout's text (or lets it through again): a command that prints
/// one JSON document instead runs its text path muted (`set --json`).
/// stderr is never muted.
pub fn mute(on: bool) {
    MUTED.store(on, std::sync::atomic::Ordering::Relaxed);
}

static CHANGING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Marks this run as one that changes the system: a closed stdout then
/// exits 1, since what is left of the command did not run.
pub fn set_changing() {
    CHANGING.store(true, std::sync::atomic::Ordering::Relaxed);
}

fn changing() -> bool {
    CHANGING.load(std::sync::atomic::Ordering::Relaxed)
}

static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--quiet`: progress notes are not printed, errors still are.
pub fn set_quiet() {
    QUIET.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// A progress line on stderr, unless `--quiet`: the message alone, with no
/// `vfnet:` prefix (`enp1s0f0 (0000:01:00.0): 61 of 125 VFs, 58 with a
/// driver, 21 s`). stderr's three forms: `vfnet: MSG` is an error,
/// `vfnet: warning: MSG` a warning (the command goes on), a line without
/// the prefix progress. The boot glue tags each line it logs.
pub fn note(msg: impl std::fmt::Display) {
    if !QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        let line = format!("{}\n", crate::text::escape_controls(&msg.to_string()));
        let _ = write_all(std::io::stderr(), line.as_bytes());
    }
}

/// Writes `vfnet: MSG` as one line on stderr, in one write: a line sent to
/// /dev/kmsg or a log pipe stays one record. Control characters in the
/// message are escaped, so nothing in it can forge another line.
pub fn error(msg: impl std::fmt::Display) {
    let line = format!(
        "vfnet: {}\n",
        crate::text::escape_controls(&msg.to_string())
    );
    let _ = write_all(std::io::stderr(), line.as_bytes());
}

/// Writes `vfnet: warning: MSG` as one line on stderr: something is off,
/// and the command goes on.
pub fn warn(msg: impl std::fmt::Display) {
    error(format_args!("warning: {msg}"));
}

/// Writes all of `rest`, retrying short writes and EINTR.
pub fn write_all(fd: impl std::os::fd::AsFd, mut rest: &[u8]) -> Result<(), Errno> {
    while !rest.is_empty() {
        match nix::unistd::write(&fd, rest) {
            Ok(0) => return Err(Errno::EIO),
            Ok(n) => rest = &rest[n..],
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The width to fit tables to: `$COLUMNS` when set to a positive number,
/// else the terminal's when stdout is one, else none (whole tables).
pub fn width() -> Option<usize> {
    if let Some(cols) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .filter(|&c| c > 0)
    {
        return Some(cols);
    }
    let mut ws = nix::libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes a winsize into ws, which outlives the call.
    let r = unsafe {
        nix::libc::ioctl(
            std::io::stdout().as_raw_fd(),
            nix::libc::TIOCGWINSZ,
            &mut ws,
        )
    };
    (r == 0 && ws.ws_col > 0).then_some(ws.ws_col as usize)
}

/// `1 VF`, `4 VFs`.
pub fn vfs(n: u32) -> String {
    format!("{n} VF{}", if n == 1 { "" } else { "s" })
}

/// `1 unit`, `2 units`: a count with its noun, never `unit(s)`.
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> Plural<'a> {
    Plural(n, if n == 1 { one } else { many })
}

/// A count and its noun, shown as `2 units` (see [`plural`]).
pub struct Plural<'a>(usize, &'a str);

impl std::fmt::Display for Plural<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0, self.1)
    }
}
