//! Writing to the terminal: whole outputs in one write, and its width.

use std::os::fd::AsRawFd;

/// Writes `s` to stdout. A closed pipe (`vfnet | head`) is not an error.
pub fn print(s: &str) {
    write_all(std::io::stdout(), s.as_bytes());
}

/// Writes `vfnet: MSG` as one line on stderr, in one write: a line sent to
/// /dev/kmsg or a log pipe stays one record.
pub fn error(msg: impl std::fmt::Display) {
    write_all(std::io::stderr(), format!("vfnet: {msg}\n").as_bytes());
}

fn write_all(fd: impl std::os::fd::AsFd, mut rest: &[u8]) {
    while !rest.is_empty() {
        match nix::unistd::write(&fd, rest) {
            Ok(n) => rest = &rest[n..],
            Err(nix::errno::Errno::EINTR) => {}
            Err(_) => return,
        }
    }
}

/// The width to fit tables to: `$COLUMNS` when set, else the terminal's
/// when stdout is one, else none (a pipe gets whole tables).
pub fn width() -> Option<usize> {
    if let Some(cols) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
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
