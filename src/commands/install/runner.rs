//! install's executor: carries out the [`Task`]s `plan` made, one at a
//! time, comparing what is there first (a second install writes nothing),
//! printing each file written or removed and each command run (`would ...`
//! in a dry run, the same lines otherwise).

use super::{Task, host_path};
use crate::error::{Error, Result};
use crate::glue::{self, Init};
use crate::sysfs::Root;
use crate::{files, out};
use std::path::{Path, PathBuf};

/// One run of install's tasks, and what it did.
pub(super) struct Runner {
    /// The root the tasks' system paths are under.
    pub root: Root,
    /// The config file as seen from here (inside the root).
    pub config_host: PathBuf,
    /// `--dry-run`: say, do nothing.
    pub dry_run: bool,
    /// Init systems whose files changed.
    pub changed: Vec<Init>,
    /// Files removed (with --dry-run: that would be).
    pub removed: Vec<PathBuf>,
    /// Commands that failed.
    pub failed: usize,
}

impl Runner {
    /// `wrote PATH` once it is done, or `would write PATH` in a dry run.
    fn say(&self, (done, todo): (&str, &str), what: &str) {
        if self.dry_run {
            out::print(&crate::msg!("would {} {}\n", todo, what));
        } else {
            out::print(&format!("{done} {what}\n"));
        }
    }

    fn changed(&mut self, init: Option<Init>) {
        if let Some(i) = init {
            if !self.changed.contains(&i) {
                self.changed.push(i);
            }
        }
    }

    /// Where the system path `sys` is here, its last component not
    /// followed (a link to make or remove is the link itself).
    fn at(&self, sys: &str) -> PathBuf {
        let p = Path::new(sys);
        match (p.parent(), p.file_name()) {
            (Some(dir), Some(name)) => host_path(&self.root, &dir.to_string_lossy()).join(name),
            _ => host_path(&self.root, sys),
        }
    }

    pub(super) fn step(&mut self, step: &Task) -> Result<()> {
        match step {
            Task::Binary(dest) => {
                let me = crate::sysfs::read_file(Path::new("/proc/self/exe"))
                    .map_err(|e| Error::io("read", Path::new("/proc/self/exe"), e))?;
                if dynamic(&me) {
                    out::warn(
                        "this vfnet is dynamically linked: an initramfs or appliance \
                         needs the static build (scripts/build-release, or the package)",
                    );
                }
                self.write(&host_path(&self.root, dest), &me, 0o755, None)?;
            }
            Task::Config => self.config()?,
            Task::Write {
                path,
                text,
                mode,
                init,
            } => {
                let at = host_path(&self.root, path);
                self.write(&at, text.as_bytes(), *mode, Some(*init))?;
            }
            Task::Link { path, target, init } => self.link(path, target, *init)?,
            Task::Remove { path, init } => {
                let at = self.at(path);
                if std::fs::symlink_metadata(&at).is_err() {
                    return Ok(());
                }
                if !self.dry_run {
                    nix::unistd::unlink(&at).map_err(|e| Error::io("remove", &at, e))?;
                }
                self.say(("removed", "remove"), &at.display().to_string());
                self.removed.push(at);
                self.changed(*init);
            }
            Task::RemoveDir(dir) => {
                let at = self.at(dir);
                // A dry run: the directory goes if all it holds goes.
                let emptied = || {
                    let mut all = true;
                    let listed = crate::sysfs::Dir::open(&at).and_then(|d| {
                        d.for_each_entry(|e| all &= self.removed.contains(&at.join(e)))
                    });
                    listed.is_ok() && all
                };
                if self.dry_run && emptied() {
                    out::print(&crate::msg!("would remove {}\n", at.display()));
                } else if !self.dry_run && std::fs::remove_dir(&at).is_ok() {
                    out::print(&format!("removed {}\n", at.display()));
                }
            }
            Task::Refresh(init) => {
                if self.changed.contains(init) {
                    self.command(init.refresh());
                }
            }
            Task::File { path, text, mode } => {
                self.write(&host_path(&self.root, path), text.as_bytes(), *mode, None)?;
            }
            Task::Drivers(drivers) => self.drivers(drivers)?,
            Task::Truenas { command, remove } => self.truenas(command, *remove),
        }
        Ok(())
    }

    /// The example config, unless there is one. A config that is a
    /// symlink (to a pool) is followed: the example goes to its target,
    /// and the link stays.
    fn config(&mut self) -> Result<()> {
        let target = files::resolve(&self.config_host, None)
            .map_err(|e| Error::io("resolve", &self.config_host, e))?;
        if target.path.exists() {
            let verb = if self.dry_run { "would keep" } else { "kept" };
            out::print(&crate::msg!(
                "{} {} (the existing config)\n",
                verb,
                self.config_host.display()
            ));
        } else if target.via_link && !files::parent(&target.path).is_dir() {
            return Err(Error::fail(crate::msg!(
                "{} is a symlink to {}, whose directory does not exist: is the pool mounted?",
                self.config_host.display(),
                target.path.display()
            )));
        } else {
            self.write(
                &target.path,
                glue::EXAMPLE_CONFIG.text().as_bytes(),
                0o644,
                None,
            )?;
        }
        Ok(())
    }

    /// A glue symlink, made unless it already leads to `target`.
    fn link(&mut self, path: &str, target: &str, init: Init) -> Result<()> {
        let at = self.at(path);
        if std::fs::read_link(&at).is_ok_and(|t| t == Path::new(target)) {
            out::print(&crate::msg!("unchanged {} -> {}\n", at.display(), target));
            return Ok(());
        }
        if !self.dry_run {
            files::mkdir_p(files::parent(&at))?;
            let _ = nix::unistd::unlink(&at);
            std::os::unix::fs::symlink(target, &at)
                .map_err(|e| Error::io("link", &at, files::errno(&e)))?;
        }
        self.say(("linked", "link"), &format!("{} -> {target}", at.display()));
        self.changed(Some(init));
        Ok(())
    }

    /// The initramfs driver list: the drivers recorded before, and these.
    fn drivers(&mut self, drivers: &[String]) -> Result<()> {
        let path = host_path(&self.root, glue::DRIVERS);
        let mut all = glue::read_drivers(&path).map_err(Error::fail)?;
        for d in drivers {
            if !all.contains(d) {
                all.push(d.clone());
            }
        }
        if all.is_empty() {
            out::warn(format_args!(
                "no driver is known for the PFs in the config (none is visible now): an initramfs \
                 built here will lack them; name them with vfnet install --driver NAME (e.g. igb, ixgbe, i40e)"
            ));
            return Ok(());
        }
        self.write(&path, glue::drivers_file(&all).as_bytes(), 0o644, None)
    }

    /// TrueNAS's pre-init command, registered over midclt unless it is;
    /// removing, exactly vfnet's entry for it is deleted (found by
    /// `initshutdownscript.query`: see `crate::truenas`).
    fn truenas(&mut self, cmd: &str, remove: bool) {
        let scripts = match self.root.is_live() {
            false if remove => {
                out::print(&crate::msg!(
                    "not run under --root: midclt call initshutdownscript.query, then midclt call initshutdownscript.delete ID for each pre-init command {}\n",
                    cmd
                ));
                return;
            }
            false => Vec::new(),
            true => match crate::truenas::query() {
                Ok(scripts) => scripts,
                Err(e) => {
                    out::error(format_args!("{e}"));
                    self.failed += 1;
                    return;
                }
            },
        };
        for step in crate::truenas::plan(&scripts, cmd, remove) {
            match step.argv() {
                Some(argv) => self.command(&argv.iter().map(String::as_str).collect::<Vec<_>>()),
                None => out::print(&step.said(cmd)),
            }
        }
    }

    /// Writes `bytes` at `path` unless it already holds them, then says so
    /// (never before: a root that cannot be written reports an error, not
    /// a file as written).
    fn write(&mut self, path: &Path, bytes: &[u8], mode: u32, init: Option<Init>) -> Result<()> {
        if files::read_regular(path, 64 << 20).is_ok_and(|(old, _)| old == bytes) {
            out::print(&format!("unchanged {}\n", path.display()));
            return Ok(());
        }
        if !self.dry_run {
            files::mkdir_p(files::parent(path))?;
            files::write_atomic(path, bytes, mode)?;
        }
        self.say(("wrote", "write"), &path.display().to_string());
        self.changed(init);
        Ok(())
    }

    /// Runs a command on the live system; under --root or --dry-run, says so.
    fn command(&mut self, argv: &[&str]) {
        let line = argv.join(" ");
        if !self.root.is_live() {
            // The same line in a dry run: it is not run either way.
            out::print(&crate::msg!("not run under --root: {}\n", line));
        } else if self.dry_run {
            out::print(&crate::msg!("would run {}\n", line));
        } else {
            out::print(&format!("running {line}\n"));
            if let Err(e) = crate::exec::run(argv) {
                out::error(format_args!("{line}: {e}"));
                self.failed += 1;
            }
        }
    }
}

/// Whether an ELF image asks for a program interpreter (a `PT_INTERP`
/// program header): a dynamically linked program, whose libraries would
/// have to go where it goes. 64-bit little-endian, as vfnet's targets.
fn dynamic(elf: &[u8]) -> bool {
    let int = |at: usize, n: usize| {
        elf.get(at..at.checked_add(n)?)
            .map(|b| b.iter().rev().fold(0usize, |a, &x| a << 8 | x as usize))
    };
    if elf.get(..5) != Some(b"\x7fELF\x02") {
        return false;
    }
    let (Some(at), Some(size), Some(count)) = (int(0x20, 8), int(0x36, 2), int(0x38, 2)) else {
        return false;
    };
    (0..count).any(|i| int(at.wrapping_add(i * size), 4) == Some(3))
}

#[cfg(test)]
mod tests {
    use super::dynamic;

    /// An ELF header with program headers of `types`.
    fn elf(types: &[u32]) -> Vec<u8> {
        let mut e = vec![0u8; 64];
        e[..5].copy_from_slice(b"\x7fELF\x02");
        e[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        e[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        e[0x38..0x3a].copy_from_slice(&(types.len() as u16).to_le_bytes());
        for t in types {
            let mut ph = vec![0u8; 56];
            ph[..4].copy_from_slice(&t.to_le_bytes());
            e.extend(ph);
        }
        e
    }

    #[test]
    fn an_interpreter_header_means_dynamically_linked() {
        // PT_PHDR, PT_INTERP, PT_LOAD: a dynamic program.
        assert!(dynamic(&elf(&[6, 3, 1])));
        // PT_LOAD, PT_DYNAMIC, PT_GNU_STACK: a static-pie one has no interpreter.
        assert!(!dynamic(&elf(&[1, 2, 0x6474_e551])));
        // Not ELF, cut short, or headers pointing past the end: not dynamic.
        assert!(!dynamic(b"#!/bin/sh\n"));
        assert!(!dynamic(&elf(&[3])[..66]));
        let mut far = elf(&[3]);
        far[0x20..0x28].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(!dynamic(&far));
    }

    #[test]
    fn the_test_binary_itself_is_told_apart() {
        // cargo's test binaries are dynamically linked (glibc).
        let me = std::fs::read("/proc/self/exe").unwrap();
        assert!(dynamic(&me));
    }
}
