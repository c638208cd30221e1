//! Kernel modules, for drivers that take the VF count only when they load
//! (see `mlx4`): what a loaded module's parameters read in
//! `/sys/module/NAME/parameters`, the modprobe.d files, vfnet's own one
//! among them, and unloading and loading with modprobe.
//!
//! Everything is read under the root. modprobe runs only on the live
//! system; under `--root` the program named by `VFNET_MODPROBE` runs
//! instead (the tests' stand-in, which records its calls), or nothing.

use crate::error::{Error, Result};
use crate::files;
use crate::sysfs::Root;
use std::path::PathBuf;

/// The directories modprobe reads `*.conf` from, in its order of precedence.
pub const MODPROBE_DIRS: [&str; 4] = [
    "/etc/modprobe.d",
    "/run/modprobe.d",
    "/usr/local/lib/modprobe.d",
    "/lib/modprobe.d",
];

/// How long a module unloaded by [`reload`] gets to load again when the
/// command's deadline has passed: once out, it goes back in.
pub const LOAD_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// The largest modprobe.d file read.
const MAX_FILE: usize = 256 << 10;

/// Whether module `name` is loaded (or built in): `/sys/module/NAME` exists.
pub fn loaded(root: &Root, name: &str) -> bool {
    root.open(&crate::msg!("sys/module/{}", name)).is_ok()
}

/// A loaded module's parameter as it reads now (`None`: not loaded, or no
/// such parameter).
pub fn param(root: &Root, module: &str, name: &str) -> Option<String> {
    let dir = root
        .open(&crate::msg!("sys/module/{}/parameters", module))
        .ok()?;
    let bytes = dir.read_to_end(name, 4096)?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The parameters a modprobe.d file's `text` gives `module`: (line, name,
/// value), read as kmod reads them (libkmod-config.c): a line ending in `\`
/// goes on on the next one, a line whose first word starts with `#` is a
/// comment, and `-` and `_` are the same in module and parameter names.
/// Pure.
pub fn options(text: &str, module: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let mut joined = String::new();
    let mut first = 0;
    for (i, line) in text.lines().enumerate() {
        if joined.is_empty() {
            first = i + 1;
        }
        match line.strip_suffix('\\') {
            Some(part) => {
                joined.push_str(part);
                joined.push(' ');
                continue;
            }
            None => joined.push_str(line),
        }
        let logical = std::mem::take(&mut joined);
        let mut words = logical.split_whitespace();
        let ours = |w: Option<&str>| w.is_some_and(|w| w.replace('-', "_") == module);
        if words.next() != Some("options") || !ours(words.next()) {
            continue;
        }
        for w in words {
            let (name, value) = w.split_once('=').unwrap_or((w, ""));
            out.push((first, name.replace('-', "_"), value.to_string()));
        }
    }
    out
}

/// Every modprobe.d `*.conf` file but `except` (vfnet's own), with its
/// text: path as shown to the user, text. Unreadable files are skipped.
pub fn modprobe_files(root: &Root, except: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in MODPROBE_DIRS {
        let Ok(d) = root.open(dir.trim_start_matches('/')) else {
            continue;
        };
        let mut names: Vec<String> = Vec::new();
        let _ = d.for_each_entry(|n| {
            if n.ends_with(".conf") {
                names.push(n.to_string());
            }
        });
        names.sort_unstable();
        for name in names {
            let shown = format!("{dir}/{name}");
            if shown == except {
                continue;
            }
            // A file linked elsewhere counts (a link to /dev/null masks
            // one: not a regular file, so nothing is read from it).
            if let Some(text) = read(root, &shown) {
                out.push((shown, text));
            }
        }
    }
    out
}

/// Where the system path `path` really is: its symlinks followed, on the
/// live system too (a file the user linked elsewhere is read and written
/// there, the link stays), and under a root, inside it.
fn target(root: &Root, path: &str) -> PathBuf {
    if !root.is_live() {
        return root.real(path);
    }
    files::resolve(&root.join(path), None)
        .map(|r| r.path)
        .unwrap_or_else(|_| root.join(path))
}

/// What `path` (a system path such as vfnet's modprobe.d file) holds now:
/// a regular file of at most 256 KiB, read through its symlinks.
pub fn read(root: &Root, path: &str) -> Option<String> {
    let (bytes, _) = files::read_regular(&target(root, path), MAX_FILE).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Writes `text` at the system path `path` (its symlinks followed, inside
/// the root), or removes the file when `text` is `None`. Returns whether
/// anything changed.
pub fn write(root: &Root, path: &str, text: Option<&str>) -> Result<bool> {
    let target = target(root, path);
    let old = read(root, path);
    match text {
        Some(t) if old.as_deref() == Some(t) => Ok(false),
        Some(t) => {
            files::mkdir_p(files::parent(&target))?;
            files::write_atomic(&target, t.as_bytes(), 0o644)?;
            Ok(true)
        }
        None if old.is_none() => Ok(false),
        None => match nix::unistd::unlink(&target) {
            Ok(()) | Err(nix::errno::Errno::ENOENT) => Ok(true),
            Err(e) => Err(Error::io("remove", &target, e)),
        },
    }
}

/// The modprobe program to run: `modprobe` on the live system,
/// `$VFNET_MODPROBE` under a root (none: nothing may run there).
pub fn program(root: &Root) -> Option<String> {
    match std::env::var("VFNET_MODPROBE") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => root.is_live().then(|| "modprobe".to_string()),
    }
}

/// Runs `modprobe ARGS...`, waiting no later than `deadline`; the error
/// names the command.
pub fn modprobe(root: &Root, args: &[&str], deadline: &crate::wait::Deadline) -> Result<()> {
    let Some(prog) = program(root) else {
        return Err(Error::fail(crate::msg!(
            "modprobe {} is not run under --root (set VFNET_MODPROBE to a stand-in)",
            args.join(" ")
        )));
    };
    let mut argv = vec![prog.as_str()];
    argv.extend_from_slice(args);
    crate::exec::run_until(&argv, deadline)
        .map_err(|e| Error::fail(crate::msg!("modprobe {}: {}", args.join(" "), e)))
}

/// Reloads `module` so that it reads its parameters again: the loaded
/// modules of `upper` (which use it) are unloaded first, in order, then
/// `module`, which is loaded again, then the upper ones it had. The stop
/// signals are held from the first unload to the last load: once a
/// module is out, it goes back in. Each modprobe waits no later than
/// `deadline`; the loads back are tried even after it. Returns the
/// commands run.
pub fn reload(
    root: &Root,
    module: &str,
    upper: &[&str],
    deadline: &crate::wait::Deadline,
) -> Result<Vec<String>> {
    let had: Vec<&str> = upper.iter().copied().filter(|m| loaded(root, m)).collect();
    let mut ran = Vec::new();
    let held = crate::signals::hold();
    let mut result = Ok(());
    for m in had.iter().chain(std::iter::once(&module)) {
        result = modprobe(root, &["-r", m], deadline);
        ran.push(format!("modprobe -r {m}"));
        if result.is_err() {
            break;
        }
    }
    // Whatever was unloaded goes back, even after a failed unload or the
    // deadline: each load then gets a short grace of its own.
    let grace = || match deadline.remaining() {
        left if left.is_zero() => crate::wait::Deadline::after(LOAD_GRACE),
        left => crate::wait::Deadline::after(left),
    };
    let load = modprobe(root, &[module], &grace());
    ran.push(crate::msg!("modprobe {}", module));
    for m in had.iter().rev() {
        let _ = modprobe(root, &[m], &grace());
        ran.push(format!("modprobe {m}"));
    }
    if let Some(sig) = held.release() {
        crate::out::error(format_args!(
            "stopped by {} after reloading {module}: {}",
            sig.as_str(),
            ran.join(", ")
        ));
        std::process::exit(crate::signals::exit_status(sig));
    }
    result.and(load).map(|()| ran)
}
