//! `vfnet install` and `vfnet uninstall`: put the binary and the boot glue
//! in place (or take them away), print every file written and command run.
//!
//! [`plan`] is pure: which init systems, which config path, in; the list of
//! [`Step`]s out. Running a step compares what is there first, so a second
//! `install` writes nothing and runs nothing. Commands that refresh what the
//! files feed (`update-initramfs -u`, `dracut -f`, `systemctl
//! daemon-reload`) run only on the live system and only when that init
//! system's files changed; under `--root` they are printed, not run.

use crate::cli::{self, Command, Globals};
use crate::error::{Error, Result};
use crate::glue::{self, BINARY, Found, Init};
use crate::sysfs::Root;
use crate::{files, json, out};
use lexopt::prelude::*;
use std::path::{Path, PathBuf};

pub const USAGE: &str = "\
Usage: vfnet install [--init INIT[,INIT...]] [--dry-run]
       vfnet uninstall [--init INIT[,INIT...]] [--dry-run]

install copies this binary to /usr/local/sbin/vfnet, creates the config file
if there is none (a commented example), and installs and enables the boot
glue that runs `vfnet apply --wait` early at boot, before networking:

  systemd           /etc/systemd/system/vfnet.service, enabled for sysinit.target
  openrc            /etc/init.d/vfnet, in the sysinit runlevel
  initramfs-tools   a hook and an init-premount script; update-initramfs -u
  dracut            the module 90vfnet; dracut -f
  truenas           the binary next to the config on a pool (--config
                    /mnt/POOL/...), registered as a pre-init command
  auto              the running init system and the initramfs generator
                    (the default); TrueNAS alone on TrueNAS

It prints every file it writes and every command it runs; a second run
changes nothing. uninstall removes what install added and keeps the config.

Options:
  --init INIT    which glue (repeat, or separate with commas)
  -n, --dry-run  print what would be done and do nothing
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub remove: bool,
    /// Empty: auto.
    pub inits: Vec<Init>,
    pub dry_run: bool,
}

pub fn parse(p: &mut lexopt::Parser, g: &mut Globals, remove: bool) -> Result<Command> {
    let cmd = if remove { "uninstall" } else { "install" };
    let mut args = Args {
        remove,
        inits: Vec::new(),
        dry_run: false,
    };
    while let Some(arg) = p.next()? {
        if let Some(opt) = Globals::option(&arg) {
            g.set(opt, p)?;
            continue;
        }
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help(USAGE)),
            Short('n') | Long("dry-run") => args.dry_run = true,
            Long("init") => {
                let v = cli::text(cmd, "--init", p.value()?)?;
                for name in v.split(',') {
                    match Init::parse(name) {
                        Some(i) if !args.inits.contains(&i) => args.inits.push(i),
                        Some(_) => {}
                        None if name == "auto" => {}
                        None => {
                            return Err(cli::usage(
                                cmd,
                                format!(
                                    "unknown init system '{}' (systemd, openrc, initramfs-tools, dracut, truenas, auto)",
                                    crate::text::quote(name)
                                ),
                            ));
                        }
                    }
                }
            }
            _ => return Err(cli::unexpected(cmd, arg)),
        }
    }
    Ok(Command::Install(args))
}

/// One thing to put in place or take away. Paths are system paths; they
/// are joined under the root when the step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Copy the running binary here.
    Binary(String),
    /// Create the config file with an example when it is missing.
    Config,
    Write {
        path: String,
        text: String,
        mode: u32,
        init: Init,
    },
    Link {
        path: String,
        target: String,
        init: Init,
    },
    Remove {
        path: String,
        init: Option<Init>,
    },
    /// Remove a directory of vfnet's own once it is empty.
    RemoveDir(String),
    /// Run the init system's refresh command if its files changed.
    Refresh(Init),
    /// Register (or, removing, unregister) the TrueNAS pre-init command.
    Truenas {
        binary: String,
        config: String,
        remove: bool,
    },
}

/// What installing (or removing) the glue for `inits` takes, with the config
/// file at the system path `config`.
pub fn plan(inits: &[Init], config: &str, remove: bool) -> Vec<Step> {
    let mut steps = Vec::new();
    let truenas_binary = format!("{}/vfnet", files::parent(Path::new(config)).display());
    for &init in inits {
        for f in init.files() {
            steps.push(if remove {
                Step::Remove {
                    path: f.path.into(),
                    init: Some(init),
                }
            } else {
                let text = glue::text(f, config).into_owned();
                Step::Write {
                    path: f.path.into(),
                    text,
                    mode: f.mode,
                    init,
                }
            });
        }
        for l in init.links() {
            steps.push(if remove {
                Step::Remove {
                    path: l.path.into(),
                    init: Some(init),
                }
            } else {
                Step::Link {
                    path: l.path.into(),
                    target: l.target.into(),
                    init,
                }
            });
        }
        if remove {
            steps.extend(init.own_dir().map(|d| Step::RemoveDir(d.into())));
        }
        if init == Init::Truenas {
            steps.push(Step::Truenas {
                binary: truenas_binary.clone(),
                config: config.into(),
                remove,
            });
        }
    }
    let binaries = inits.iter().map(|&i| {
        if i == Init::Truenas {
            truenas_binary.clone()
        } else {
            BINARY.to_string()
        }
    });
    let mut binaries: Vec<String> = binaries.collect();
    binaries.dedup();
    for b in binaries.into_iter().rev() {
        steps.insert(
            0,
            if remove {
                Step::Remove {
                    path: b,
                    init: None,
                }
            } else {
                Step::Binary(b)
            },
        );
    }
    if !remove {
        steps.insert(1, Step::Config);
    }
    steps.extend(
        inits
            .iter()
            .filter(|i| !i.refresh().is_empty())
            .map(|&i| Step::Refresh(i)),
    );
    steps
}

pub fn run(g: &Globals, args: &Args) -> Result<()> {
    let root = g.root();
    let config_path = g.config(&root);
    let config = system_path(&root, &config_path);
    let inits = if args.inits.is_empty() {
        let found = detect(&root);
        let mut inits = glue::detect(&found);
        if args.remove {
            // Whatever an earlier install may have added, wherever it is.
            let truenas = inits.contains(&Init::Truenas);
            inits = glue::ALL
                .into_iter()
                .filter(|&i| i != Init::Truenas || truenas)
                .collect();
        }
        if inits.is_empty() {
            return Err(Error::fail(
                "no init system found (systemd, OpenRC, initramfs-tools, dracut, TrueNAS): pick one with --init",
            ));
        }
        inits
    } else {
        args.inits.clone()
    };
    if inits.contains(&Init::Truenas) && !config.starts_with("/mnt/") && !args.remove {
        return Err(Error::fail(format!(
            "TrueNAS replaces its root file system on upgrade: keep the config and the binary on a pool, \
             e.g. vfnet --config /mnt/tank/vfnet/vfnet.conf install --init truenas (the config is {config})"
        )));
    }
    let mut run = Runner {
        root,
        config_path,
        dry_run: args.dry_run,
        changed: Vec::new(),
        failed: 0,
    };
    for step in plan(&inits, &config, args.remove) {
        run.step(&step)?;
    }
    if run.failed > 0 {
        return Err(Error::fail(format!(
            "{} command(s) failed; the files are in place",
            run.failed
        )));
    }
    Ok(())
}

/// Reads the markers of [`glue::MARKERS`] under the root.
pub fn detect(root: &Root) -> Found {
    let mut found = Found::default();
    for (path, set) in glue::MARKERS {
        if root.real(path).exists() {
            set(&mut found);
        }
    }
    found
}

/// `path` as the system will see it: without the root prefix.
fn system_path(root: &Root, path: &Path) -> String {
    let base = root.join("/");
    match path.strip_prefix(&base) {
        Ok(rel) if !root.is_live() => format!("/{}", rel.display()),
        _ => path.display().to_string(),
    }
}

struct Runner {
    root: Root,
    config_path: PathBuf,
    dry_run: bool,
    /// Init systems whose files changed.
    changed: Vec<Init>,
    failed: usize,
}

impl Runner {
    /// `wrote PATH`, or `would write PATH` in a dry run.
    fn say(&self, (done, todo): (&str, &str), what: &str) {
        if self.dry_run {
            out::print(&format!("would {todo} {what}\n"));
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

    fn step(&mut self, step: &Step) -> Result<()> {
        match step {
            Step::Binary(dest) => {
                let me = crate::sysfs::read_file(Path::new("/proc/self/exe"))
                    .map_err(|e| Error::io("read", Path::new("/proc/self/exe"), e))?;
                self.write(&self.root.join(dest), &me, 0o755, None)?;
            }
            Step::Config => {
                let path = self.config_path.clone();
                if path.exists() {
                    out::print(&format!("kept {} (the existing config)\n", path.display()));
                } else {
                    self.write(&path, glue::EXAMPLE_CONFIG.as_bytes(), 0o644, None)?;
                }
            }
            Step::Write {
                path,
                text,
                mode,
                init,
            } => {
                self.write(&self.root.join(path), text.as_bytes(), *mode, Some(*init))?;
            }
            Step::Link { path, target, init } => {
                let at = self.root.join(path);
                if std::fs::read_link(&at).is_ok_and(|t| t == Path::new(target)) {
                    out::print(&format!("unchanged {} -> {target}\n", at.display()));
                    return Ok(());
                }
                self.say(("linked", "link"), &format!("{} -> {target}", at.display()));
                if !self.dry_run {
                    files::mkdir_p(files::parent(&at))?;
                    let _ = nix::unistd::unlink(&at);
                    std::os::unix::fs::symlink(target, &at)
                        .map_err(|e| Error::io("link", &at, files::errno(&e)))?;
                }
                self.changed(Some(*init));
            }
            Step::Remove { path, init } => {
                let at = self.root.join(path);
                if std::fs::symlink_metadata(&at).is_err() {
                    return Ok(());
                }
                self.say(("removed", "remove"), &at.display().to_string());
                if !self.dry_run {
                    nix::unistd::unlink(&at).map_err(|e| Error::io("remove", &at, e))?;
                }
                self.changed(*init);
            }
            Step::RemoveDir(dir) => {
                let at = self.root.join(dir);
                if !self.dry_run && std::fs::remove_dir(&at).is_ok() {
                    out::print(&format!("removed {}\n", at.display()));
                }
            }
            Step::Refresh(init) => {
                if self.changed.contains(init) {
                    self.command(init.refresh());
                }
            }
            Step::Truenas {
                binary,
                config,
                remove,
            } => {
                let cmd = glue::truenas_command(binary, config);
                if *remove {
                    out::print(&format!(
                        "remove the pre-init command \"{cmd}\" in System > Advanced > Init/Shutdown Scripts\n"
                    ));
                } else if self.registered(&cmd) {
                    out::print(&format!("unchanged TrueNAS pre-init command {cmd}\n"));
                } else {
                    let mut entry = String::new();
                    let mut o = json::Obj::new(&mut entry);
                    o.str("type", "COMMAND")
                        .str("command", &cmd)
                        .str("when", "PREINIT");
                    o.bool("enabled", true)
                        .num("timeout", Some(300))
                        .str("comment", "vfnet: SR-IOV VFs");
                    o.end();
                    self.command(&["midclt", "call", "initshutdownscript.create", &entry]);
                }
            }
        }
        Ok(())
    }

    /// Writes `bytes` at `path` unless it already holds them.
    fn write(&mut self, path: &Path, bytes: &[u8], mode: u32, init: Option<Init>) -> Result<()> {
        if crate::sysfs::read_file(path).is_ok_and(|old| old == bytes) {
            out::print(&format!("unchanged {}\n", path.display()));
            return Ok(());
        }
        self.say(("wrote", "write"), &path.display().to_string());
        if !self.dry_run {
            files::mkdir_p(files::parent(path))?;
            files::write_atomic(path, bytes, mode)?;
        }
        self.changed(init);
        Ok(())
    }

    /// Whether TrueNAS already runs `cmd` at pre-init (live systems only).
    fn registered(&self, cmd: &str) -> bool {
        self.root.is_live()
            && crate::proc::output(&["midclt", "call", "initshutdownscript.query"])
                .is_ok_and(|o| o.contains(cmd))
    }

    /// Runs a command on the live system; under --root or --dry-run, says so.
    fn command(&mut self, argv: &[&str]) {
        let line = argv.join(" ");
        if self.dry_run {
            out::print(&format!("would run {line}\n"));
        } else if !self.root.is_live() {
            out::print(&format!("not run under --root: {line}\n"));
        } else {
            out::print(&format!("running {line}\n"));
            if let Err(e) = crate::proc::run(argv) {
                out::error(format_args!("{line}: {e}"));
                self.failed += 1;
            }
        }
    }
}
