//! The config file on disk: where it is (`--config`, `VFNET_CONFIG`, the
//! default under the root), reading it (a regular file of at most
//! [`MAX_SIZE`] bytes, its symlinks followed; the original vfnet's file
//! when only that exists), refusing one others could have written
//! ([`check_trusted`]), and editing it ([`edit`]): flock a lock file, write
//! a temp file in the same directory, fsync, rename over, fsync the
//! directory. A crash leaves the old file or the new one; concurrent edits
//! serialize. The model and its parser are `crate::config`'s.

use crate::config::{Config, DEFAULT_PATH, LEGACY_PATH, Source};
use crate::error::{Error, Result};
use crate::files;
use crate::sysfs::Root;
use nix::errno::Errno;
use std::path::{Path, PathBuf};

/// The config file path: `--config`, else `$VFNET_CONFIG`, else under the
/// root. Under `--root`, every command takes an absolute path as install
/// does: a path of the system in the tree (`--root R --config
/// /mnt/tank/vfnet.conf` is `R/mnt/tank/vfnet.conf`); a path already under
/// the root, or a relative one, is taken as given.
pub fn path(root: &Root, flag: Option<PathBuf>) -> PathBuf {
    let given = flag
        .or_else(|| std::env::var_os("VFNET_CONFIG").map(PathBuf::from))
        .filter(|p| !p.as_os_str().is_empty());
    match given {
        None => root.join(DEFAULT_PATH),
        Some(p) if root.is_live() || !p.is_absolute() || p.starts_with(root.join("/")) => p,
        Some(p) => match p.to_str() {
            Some(s) => root.join(s),
            None => root.join("/").join(p.strip_prefix("/").unwrap_or(&p)),
        },
    }
}

/// The largest config file vfnet reads: thousands of PFs fit in far less.
pub const MAX_SIZE: usize = 1 << 20;

/// Whether `path` was chosen by the user (`--config`, `VFNET_CONFIG`) rather
/// than being the default under the root.
pub fn explicit(root: &Root, path: &Path) -> bool {
    path != root.join(DEFAULT_PATH)
}

/// Why an explicitly named config (`--config`, `VFNET_CONFIG`) cannot be
/// used, from what [`load`] gave: doctor reports it as a finding. `None`
/// for the default path (a missing default config is no problem) or when
/// it was read.
pub fn explicit_problem(root: &Root, path: &Path, loaded: &Result<Config>) -> Option<String> {
    if !explicit(root, path) {
        return None;
    }
    match loaded {
        Err(e) => Some(e.to_string()),
        Ok(c) if c.source == Source::Missing => Some(crate::msg!(
            "no config file {} (named by --config or VFNET_CONFIG)",
            path.display()
        )),
        Ok(_) => None,
    }
}

/// Where the file at `path` really is: its symlinks followed (for a path
/// under the root, inside it: nothing the tree links to lies outside it; a
/// relative `--config` is taken as the host sees it).
pub fn resolve(root: &Root, path: &Path) -> Result<crate::files::Resolved> {
    // Inside the root (the default, or an absolute --config joined under
    // it), links and `..` resolve inside it too; a relative --config is
    // the host's, as given.
    let base: std::path::PathBuf = root.join("/").components().collect();
    let jail = (!root.is_live() && path.starts_with(&base)).then_some(base);
    files::resolve(path, jail.as_deref()).map_err(|e| Error::io("resolve", path, e))
}

/// Reads the config, or the legacy file when only that exists, or an empty
/// config when neither does. The file must be a regular file of at most
/// [`MAX_SIZE`] bytes; symlinks to it are followed. A file named explicitly
/// (or reached through a symlink) that is not there is an error unless
/// `create` (persist creates it): at boot that means its file system is
/// not mounted yet.
pub fn load(root: &Root, path: &Path) -> Result<Config> {
    load_for(root, path, false)
}

/// [`load`], for a command that will create the file when it is missing.
pub fn load_for(root: &Root, path: &Path, create: bool) -> Result<Config> {
    let target = resolve(root, path)?;
    match read(&target.path) {
        Ok((bytes, owner)) => {
            let mut cfg = Config::parse(target.path.clone(), bytes);
            cfg.source = Source::Read {
                uid: owner.uid,
                mode: owner.mode,
            };
            Ok(cfg)
        }
        Err(Err(Errno::ENOENT)) => {
            let dir_missing = !files::parent(&target.path).is_dir();
            if target.via_link && (!create || dir_missing) {
                return Err(Error::fail(crate::msg!(
                    "{} is a symlink to {}, which does not exist: is the file system that holds it mounted \
                     (a pool not imported yet)?",
                    path.display(),
                    target.path.display()
                )));
            }
            if explicit(root, path) && (!create || dir_missing) {
                return Err(Error::fail(format!(
                    "no config file {}{}: is the file system that holds it mounted? (named by --config or \
                     VFNET_CONFIG; without them vfnet reads {DEFAULT_PATH})",
                    path.display(),
                    if dir_missing {
                        " (nor its directory)"
                    } else {
                        ""
                    }
                )));
            }
            let missing = Config {
                path: target.path.clone(),
                source: Source::Missing,
                lines: Vec::new(),
            };
            if explicit(root, path) {
                return Ok(missing);
            }
            let legacy = resolve(root, &root.join(LEGACY_PATH))?.path;
            match read(&legacy) {
                Ok((bytes, owner)) => {
                    let mut cfg = Config::parse_legacy(target.path, legacy.clone(), bytes);
                    cfg.source = Source::Legacy(legacy, owner.uid, owner.mode);
                    Ok(cfg)
                }
                Err(Err(Errno::ENOENT)) => Ok(missing),
                Err(Err(e)) => Err(Error::io("read", &legacy, e)),
                Err(Ok(e)) => Err(e),
            }
        }
        Err(Err(e)) => Err(Error::io("read", &target.path, e)),
        Err(Ok(e)) => Err(e),
    }
}

/// Reads a config file: the bytes and who owns it, or the errno (`Err`),
/// or the sentence for a file that is not a small regular file (`Ok`).
fn read(
    path: &Path,
) -> std::result::Result<(Vec<u8>, files::Owner), std::result::Result<Error, Errno>> {
    use files::ReadError;
    files::read_regular(path, MAX_SIZE).map_err(|e| match e {
        ReadError::Errno(e) => Err(e),
        ReadError::NotRegular(what) => Ok(Error::fail(crate::msg!("{} is {}, not a regular file: refusing to read it as a config file", path.display(), what))),
        ReadError::TooLarge(n) => Ok(Error::fail(format!(
            "{} is too large for a config file ({}{n} bytes; at most {MAX_SIZE}): refusing to read it",
            path.display(),
            if n > MAX_SIZE as u64 { "" } else { "over " }
        ))),
    })
}

/// Refuses a config file that someone other than root (or the user running
/// vfnet) could have written, as sshd's StrictModes does: at boot, `apply`
/// runs as root and would do what the file says. The file is judged by
/// `fstat` on the descriptor it was read from (no check-then-open race);
/// then every directory from `/` down to it, on the real path (through
/// symlinks: the target's directories), since a writable directory lets
/// anyone replace the file. A sticky root-owned directory (`/tmp`) is fine:
/// others cannot replace what they do not own there.
pub fn check_trusted(config: &Config) -> Result<()> {
    let (path, uid, mode) = match &config.source {
        Source::Read { uid, mode } => (config.path.clone(), *uid, *mode),
        Source::Legacy(p, uid, mode) => (p.clone(), *uid, *mode),
        Source::File | Source::Missing => return Ok(()),
    };
    let me = nix::unistd::geteuid().as_raw();
    judge(&path, &path, "file", uid, mode, me)?;
    let mut dir = files::parent(&path).to_path_buf();
    if dir.is_relative() {
        dir = files::cwd()
            .map_err(|e| Error::io("check", &dir, e))?
            .join(dir);
    }
    let mut chain: Vec<PathBuf> = dir.ancestors().map(Path::to_path_buf).collect();
    chain.reverse();
    for d in chain {
        let st = nix::sys::stat::stat(&d).map_err(|e| Error::io("check", &d, e))?;
        judge(&path, &d, "directory", st.st_uid, st.st_mode & 0o7777, me)?;
    }
    Ok(())
}

fn judge(file: &Path, p: &Path, what: &str, uid: u32, mode: u32, me: u32) -> Result<()> {
    // The file itself: named once. A directory above it: both named.
    let whose = match file == p {
        true => "it ".to_string(),
        false => format!("the {what} {} ", p.display()),
    };
    if uid != 0 && uid != me {
        return Err(Error::fail(crate::msg!(
            "refusing {}: {}is owned by uid {}, not root: chown root {}",
            file.display(),
            whose,
            uid,
            p.display()
        )));
    }
    let sticky_dir = what == "directory" && mode & 0o1000 != 0 && uid == 0;
    if mode & 0o022 != 0 && !sticky_dir {
        return Err(Error::fail(format!(
            "refusing {}: {whose}can be written by other users (mode {mode:04o}): chmod go-w {}",
            file.display(),
            p.display()
        )));
    }
    Ok(())
}

/// Locks the config, loads it, lets `change` modify it, and saves it
/// atomically when it changed. Returns what `change` returned. A symlinked
/// config is followed: the new file replaces the link's target, in the
/// target's directory, and the link stays a link. Waiting for another
/// vfnet's edit ends at `deadline`.
pub fn edit<T>(
    root: &Root,
    path: &Path,
    deadline: &crate::wait::Deadline,
    change: impl FnOnce(&mut Config) -> Result<T>,
) -> Result<T> {
    edit_or_plan(root, path, deadline, true, change).map(|(out, _)| out)
}

/// [`edit`], or with `write` false, the same edit planned: nothing is
/// written or created, and the second value is the file as it would be.
pub fn edit_or_plan<T>(
    root: &Root,
    path: &Path,
    deadline: &crate::wait::Deadline,
    write: bool,
    change: impl FnOnce(&mut Config) -> Result<T>,
) -> Result<(T, Vec<u8>)> {
    if !write {
        let mut config = load_for(root, path, true)?;
        let out = change(&mut config)?;
        return Ok((out, config.render()));
    }
    let target = resolve(root, path)?;
    let dir = files::parent(&target.path);
    if !dir.is_dir() && (target.via_link || explicit(root, path)) {
        // The pool is not mounted: load says so (and nothing is created).
        load_for(root, path, true)?;
    }
    if !target.via_link {
        // The default path: its directories made as needed (a capture's
        // tree has no /etc at all).
        files::mkdir_p(dir)?;
    }
    let _lock = crate::lock::exclusive(&files::sibling(&target.path, ".lock"), deadline)?;
    let mut config = load_for(root, path, true)?;
    let before = config.render();
    let migrating = matches!(config.source, Source::Legacy(..));
    let out = change(&mut config)?;
    let after = config.render();
    if after != before || migrating {
        save(&config)?;
    }
    Ok((out, after))
}

/// Writes the config atomically to the file it was read from (the real
/// path), keeping the old file's mode (0644 for a new one). The caller
/// holds the lock.
fn save(config: &Config) -> Result<()> {
    let mode = match config.source {
        Source::Read { mode, .. } => mode,
        _ => nix::sys::stat::stat(&config.path)
            .map(|st| st.st_mode & 0o7777)
            .unwrap_or(0o644),
    };
    files::write_atomic(&config.path, &config.render(), mode)
}
