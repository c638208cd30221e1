//! `vfnet install` and `vfnet uninstall`: put the binary and the boot glue
//! in place (or take them away), print every file written and command run.
//!
//! [`plan`] is pure: which init systems, which config path, in; the list of
//! [`Task`]s out. Running a step compares what is there first, so a second
//! `install` writes nothing and runs nothing. Commands that refresh what the
//! files feed (`update-initramfs -u`, `dracut -f`, `systemctl
//! daemon-reload`) run only on the live system and only when that init
//! system's files changed; under `--root` they are printed, not run.

use crate::args::{self, Globals, Parsed};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::glue::{self, BINARY, Init};
use crate::inventory::{Inventory, Pf};
use crate::sysfs::Root;
use crate::system::System;
use crate::{files, out};
use lexopt::prelude::*;
use std::path::{Path, PathBuf};

mod extras;
pub mod package;
mod runner;
use runner::Runner;

/// `vfnet install -h` (and `vfnet uninstall -h`).
pub const USAGE: crate::packed::Packed = crate::packed::texts::HELP_INSTALL_TXT;

#[derive(Debug, Clone, PartialEq, Eq)]
/// `vfnet install`'s (and `uninstall`'s) arguments.
pub struct Args {
    /// Uninstall: remove what install put in place.
    pub remove: bool,
    /// Empty: auto.
    pub inits: Vec<Init>,
    /// `--dry-run`: say what would be done.
    pub dry_run: bool,
    /// `--driver NAME`: kernel modules an initramfs must hold, added by hand.
    pub drivers: Vec<String>,
    /// `--unmanaged-vfs`: NetworkManager and systemd-networkd leave the VFs
    /// alone.
    pub unmanaged_vfs: bool,
    /// `--fdb-sync`: the `vfnet fdb --watch` service too.
    pub fdb_sync: bool,
    /// `--metrics DIR`: refresh `DIR/vfnet.prom` every minute.
    pub metrics: Option<String>,
    /// `--hooks LIST`: the VM hooks to add (uninstall: to remove), as
    /// places in `glue::HOOKS`.
    pub hooks: Vec<usize>,
    /// `uninstall --hooks`: the hooks alone.
    pub only_hooks: bool,
}

/// Parses `vfnet install`'s or (`remove`) `vfnet uninstall`'s arguments.
#[inline(never)]
pub fn parse(p: &mut lexopt::Parser, g: &mut Globals, remove: bool) -> Result<Parsed<Args>> {
    let cmd = if remove { "uninstall" } else { "install" };
    let mut args = Args {
        remove,
        inits: Vec::new(),
        dry_run: false,
        drivers: Vec::new(),
        unmanaged_vfs: false,
        fdb_sync: false,
        metrics: None,
        hooks: Vec::new(),
        only_hooks: false,
    };
    while let Some(arg) = p.next()? {
        crate::prologue!(arg, p, g, USAGE);
        match arg {
            Short('n') | Long("dry-run") => args.dry_run = true,
            Long("unmanaged-vfs") if !remove => args.unmanaged_vfs = true,
            Long("fdb-sync") if !remove => args.fdb_sync = true,
            Long("metrics") if !remove => {
                let v = args::text(cmd, "--metrics", p.value()?)?;
                if !v.starts_with('/') {
                    return Err(args::usage(
                        cmd,
                        crate::msg!(
                            "--metrics takes node_exporter's textfile directory as an absolute path, not '{}'",
                            crate::text::quote(&v)
                        ),
                    ));
                }
                args.metrics = Some(v);
            }
            Long("driver") if !remove => {
                let v = args::text(cmd, "--driver", p.value()?)?;
                for name in v.split(',') {
                    if !glue::valid_module(name) {
                        return Err(args::usage(
                            cmd,
                            crate::msg!(
                                "--driver takes kernel module names (letters, digits, _ and -), not '{}'",
                                crate::text::quote(name)
                            ),
                        ));
                    }
                    if !args.drivers.iter().any(|d| d == name) {
                        args.drivers.push(name.to_string());
                    }
                }
            }
            Long("hooks") => {
                // uninstall --hooks: the hooks alone (without a value: all).
                args.only_hooks = remove;
                let v = match remove {
                    true => p.optional_value(),
                    false => Some(p.value()?),
                };
                hooks_arg(cmd, v, &mut args.hooks)?;
            }
            Long("init") => inits_arg(cmd, p.value()?, &mut args.inits)?,
            _ => return Err(args::unexpected(cmd, USAGE, arg)),
        }
    }
    Ok(Parsed::Run(args))
}

/// `--init LIST` into `inits` (`auto`: none named, found at run time).
// Called once: inlined, as the code it came out of was.
#[inline(always)]
fn inits_arg(cmd: &str, v: std::ffi::OsString, inits: &mut Vec<Init>) -> Result<()> {
    let v = args::text(cmd, "--init", v)?;
    for name in v.split(',') {
        match Init::parse(name) {
            Some(i) if !inits.contains(&i) => inits.push(i),
            Some(_) => {}
            None if name == "auto" => {}
            None => {
                return Err(args::usage(
                    cmd,
                    crate::msg!(
                        "unknown init system '{}' (systemd, openrc, initramfs-tools, dracut, truenas, auto)",
                        crate::text::quote(name)
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// `--hooks LIST` (none: every hook) into `hooks`, as places in
/// `glue::HOOKS`.
// Called once: inlined, as the code it came out of was.
#[inline(always)]
fn hooks_arg(cmd: &str, v: Option<std::ffi::OsString>, hooks: &mut Vec<usize>) -> Result<()> {
    let v = v.map_or(Ok("libvirt,proxmox".into()), |v| {
        args::text(cmd, "--hooks", v)
    })?;
    for name in v.split(',') {
        let h = glue::HOOKS
            .iter()
            .position(|h| h.0 == name)
            .ok_or_else(|| {
                args::usage(
                    cmd,
                    crate::msg!(
                        "unknown VM hook '{}' (libvirt, proxmox)",
                        crate::text::quote(name)
                    ),
                )
            })?;
        if !hooks.contains(&h) {
            hooks.push(h);
        }
    }
    Ok(())
}

/// One thing to put in place or take away. Paths are system paths; they
/// are joined under the root when the step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Task {
    /// Copy the running binary here.
    Binary(String),
    /// Create the config file with an example when it is missing.
    Config,
    /// Write a glue file.
    Write {
        /// Where (a system path).
        path: String,
        /// Its content.
        text: String,
        /// Its mode.
        mode: u32,
        /// The init system it belongs to.
        init: Init,
    },
    /// Make a symlink (a service's enablement).
    Link {
        /// Where the link goes.
        path: String,
        /// What it points to.
        target: String,
        /// The init system it belongs to.
        init: Init,
    },
    /// Remove a file or link.
    Remove {
        /// Which (a system path).
        path: String,
        /// The init system it belonged to, if any.
        init: Option<Init>,
    },
    /// Remove a directory of vfnet's own once it is empty.
    RemoveDir(String),
    /// Run the init system's refresh command if its files changed.
    Refresh(Init),
    /// Register (or, removing, unregister) the TrueNAS pre-init command
    /// (already quoted for the shell TrueNAS runs it with).
    Truenas {
        /// The command, quoted for sh.
        command: String,
        /// Unregister instead.
        remove: bool,
    },
    /// Record the kernel modules an initramfs needs for the configured PFs
    /// (and their VFs), for images built where the NICs are not visible.
    Drivers(Vec<String>),
    /// A file that belongs to no init system (`--unmanaged-vfs`, a VM
    /// hook).
    File {
        /// Where (a system path).
        path: String,
        /// Its content.
        text: String,
        /// Its mode.
        mode: u32,
    },
}

/// The glue files, links and registrations of one init system (their
/// removal, with `remove`), or why a path cannot be written into them.
fn init_tasks(
    init: Init,
    config: &str,
    truenas_binary: &str,
    remove: bool,
) -> std::result::Result<Vec<Task>, String> {
    let mut steps = Vec::new();
    for f in init.files() {
        steps.push(if remove {
            Task::Remove {
                path: f.path.into(),
                init: Some(init),
            }
        } else {
            let text = glue::text(f, config)?.into_owned();
            Task::Write {
                path: f.path.into(),
                text,
                mode: f.mode,
                init,
            }
        });
    }
    for l in init.links() {
        steps.push(if remove {
            Task::Remove {
                path: l.path.into(),
                init: Some(init),
            }
        } else {
            Task::Link {
                path: l.path.into(),
                target: l.target.into(),
                init,
            }
        });
    }
    if remove {
        steps.extend(init.own_dir().map(|d| Task::RemoveDir(d.into())));
    }
    if init == Init::Truenas {
        let command = glue::truenas_command(truenas_binary, config)?;
        steps.push(Task::Truenas { command, remove });
    }
    Ok(steps)
}

/// What installing (or removing) the glue for `inits` takes, with the config
/// file at the system path `config`; or, when a path cannot be written into
/// some glue safely, why (nothing is done then).
pub fn plan(inits: &[Init], config: &str, remove: bool) -> Result<Vec<Task>> {
    let mut steps = Vec::new();
    let refuse = |init: Init, why: String| {
        Error::fail(crate::msg!(
            "cannot install the {} glue for the config file {}: {}; choose a config path of letters, digits \
             and / . _ - (nothing was written)",
            init.name(),
            crate::text::quote(config),
            why
        ))
    };
    if !config.starts_with('/') {
        return Err(Error::fail(crate::msg!(
            "the config path {} is not absolute: boot glue needs a path that means the same at boot",
            crate::text::quote(config)
        )));
    }
    let truenas_binary = format!("{}/vfnet", files::parent(Path::new(config)).display());
    for &init in inits {
        steps.extend(
            init_tasks(init, config, &truenas_binary, remove).map_err(|why| refuse(init, why))?,
        );
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
                Task::Remove {
                    path: b,
                    init: None,
                }
            } else {
                Task::Binary(b)
            },
        );
    }
    if !remove {
        steps.insert(1, Task::Config);
    }
    steps.extend(
        inits
            .iter()
            .filter(|i| !i.refresh().is_empty())
            .map(|&i| Task::Refresh(i)),
    );
    Ok(steps)
}

/// Runs `vfnet install` (or uninstall) on the system `s`.
#[inline(never)]
pub fn run(s: &System, args: &Args) -> Result<()> {
    out::set_changing();
    let root = s.root.clone();
    let config = system_path(&root, &s.config)?;
    let config_host = host_path(&root, &config);
    let mut steps = Vec::new();
    if !args.only_hooks {
        let inits = inits_of(&root, args, &config)?;
        steps = plan(&inits, &config, args.remove)?;
        if args.remove {
            keep_shared_binary(&root, &inits, &mut steps);
        }
        // The config and the PFs it names, for the driver lists: loaded once.
        let found = (!args.remove)
            .then(|| configured(&root, &config_host))
            .flatten();
        extra_tasks(&mut steps, &inits, args, &config, found.as_ref())?;
    }
    extras::hook_tasks(&mut steps, args, &config)?;
    // Where the vfnet package is installed, its files are used as they are.
    if host_path(&root, package::MARKER).is_dir() {
        for p in package::packaged(&mut steps) {
            out::print(&crate::msg!("the vfnet package has {}: used as it is\n", p));
        }
    }
    let mut run = Runner {
        root,
        config_host,
        dry_run: args.dry_run,
        changed: Vec::new(),
        removed: Vec::new(),
        failed: 0,
    };
    for step in &steps {
        run.step(step)?;
    }
    if args.remove && run.removed.is_empty() && run.changed.is_empty() {
        out::print("nothing to remove: no vfnet boot glue is installed here\n");
    }
    if run.failed > 0 {
        return Err(Error::fail(crate::msg!(
            "{} failed; the files are in place",
            out::plural(run.failed, "command", "commands")
        )));
    }
    Ok(())
}

/// The init systems to install (or remove) the glue of: those named, else
/// those found (to remove: every glue an earlier install may have added).
fn inits_of(root: &Root, args: &Args, config: &str) -> Result<Vec<Init>> {
    let inits = if args.inits.is_empty() {
        let found = glue::found(root);
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
        return Err(Error::fail(crate::msg!(
            "TrueNAS replaces its root file system on upgrade: keep the config and the binary on a pool, \
             e.g. vfnet --config /mnt/tank/vfnet/vfnet.conf install --init truenas (the config is {})",
            crate::text::quote(config)
        )));
    }
    Ok(inits)
}

/// The tasks beside the glue: the initramfs driver list before the
/// refresh commands, and the NetworkManager and networkd files for
/// `--unmanaged-vfs` (their removal, uninstalling).
fn extra_tasks(
    steps: &mut Vec<Task>,
    inits: &[Init],
    args: &Args,
    config: &str,
    found: Option<&(Config, Inventory)>,
) -> Result<()> {
    let initramfs = inits
        .iter()
        .any(|i| matches!(i, Init::InitramfsTools | Init::Dracut));
    // Before the refresh commands: `dracut -f` on a live system reads it.
    let at = steps
        .iter()
        .position(|s| matches!(s, Task::Refresh(_)))
        .unwrap_or(steps.len());
    if initramfs {
        if args.remove {
            steps.insert(
                at,
                Task::Remove {
                    path: glue::DRIVERS.into(),
                    init: None,
                },
            );
        } else {
            let mut drivers = configured_drivers(found);
            for d in &args.drivers {
                if !drivers.contains(d) {
                    drivers.push(d.clone());
                }
            }
            steps.insert(at, Task::Drivers(drivers));
        }
    }
    extras::fdb_service(steps, inits, args, config)?;
    extras::metrics_tasks(steps, inits, args, config)?;
    if args.remove {
        for p in [glue::NM_UNMANAGED, glue::NETWORKD_UNMANAGED] {
            steps.push(Task::Remove {
                path: p.into(),
                init: None,
            });
        }
    } else if let Some(vf_drivers) = configured_vf_drivers(found, &args.drivers, args.unmanaged_vfs)
    {
        if vf_drivers.is_empty() {
            // --driver names modules for the initramfs too: one that also
            // drives PFs is no VF match, and the user hears why.
            let left: Vec<&str> = args
                .drivers
                .iter()
                .filter(|d| !glue::is_vf_driver(d))
                .map(String::as_str)
                .collect();
            let why = match left.is_empty() {
                true => String::new(),
                false => crate::msg!(
                    "; --driver {} was left out: it drives PFs too, which it would hide as well",
                    left.join(",")
                ),
            };
            return Err(Error::fail(crate::msg!(
                "--unmanaged-vfs (or unmanaged_vfs=yes): no VF driver of a configured PF is known (none visible now, or their VFs share \
                 their PF's driver, which cannot be told apart by driver){}: nothing was written",
                why
            )));
        }
        steps.push(Task::File {
            path: glue::NM_UNMANAGED.into(),
            text: glue::nm_unmanaged(&vf_drivers),
            mode: 0o644,
        });
        steps.push(Task::File {
            path: glue::NETWORKD_UNMANAGED.into(),
            text: glue::networkd_unmanaged(&vf_drivers),
            mode: 0o644,
        });
    }
    Ok(())
}

/// Uninstalling some glue removes the binary only with the last glue that
/// runs it: another init system's glue still installed (the initramfs
/// hook copies /usr/local/sbin/vfnet into every image it builds) keeps it.
fn keep_shared_binary(root: &Root, removing: &[Init], steps: &mut Vec<Task>) {
    let others: Vec<&str> = glue::ALL
        .into_iter()
        .filter(|i| !removing.contains(i) && *i != Init::Truenas)
        .filter(|i| i.files().iter().any(|f| host_path(root, f.path).exists()))
        .map(|i| i.name())
        .collect();
    if others.is_empty() {
        return;
    }
    let before = steps.len();
    steps.retain(|s| !matches!(s, Task::Remove { path, init: None } if path == BINARY));
    if steps.len() < before {
        out::print(&format!(
            "kept {BINARY}: the {} glue still runs it (vfnet uninstall --init {} removes it with that)\n",
            others.join(", "),
            others.join(",")
        ));
    }
}

/// The config and what the system shows of its PFs, loaded once for the
/// driver lists below (`None`: no config, or no /sys to scan).
fn configured(root: &Root, config_host: &Path) -> Option<(Config, Inventory)> {
    let cfg = crate::conffile::load_for(root, config_host, true).ok()?;
    let sys = crate::scan::open_sys(root).ok()?;
    Some((cfg, crate::scan::scan(&sys, true)))
}

/// The configured PFs, found in the inventory, each once.
fn configured_pfs<'i>(cfg: &Config, inv: &'i Inventory) -> impl Iterator<Item = &'i Pf> {
    let mut seen = Vec::new();
    cfg.entries().filter_map(move |e| {
        let i = inv.pf_by_key(e.key).filter(|i| !seen.contains(i))?;
        seen.push(i);
        Some(&inv.pfs[i])
    })
}

/// The VF drivers of the configured PFs that differ from their PF's (a
/// driver that serves both cannot single out the VFs): those bound to
/// their VFs now and the one each PF driver is known to pair with, for
/// every configured PF (`all`, `--unmanaged-vfs`) or those with
/// `KEY.unmanaged_vfs=yes`; and (for a root where no NIC is visible) the
/// known VF drivers among `named` (`--driver`). `None`: neither asked.
fn configured_vf_drivers(
    found: Option<&(Config, Inventory)>,
    named: &[String],
    all: bool,
) -> Option<Vec<String>> {
    let keys = found.map(|(c, _)| c.unmanaged()).unwrap_or_default();
    if !all && keys.is_empty() {
        return None;
    }
    let mut out: Vec<String> = named
        .iter()
        .filter(|d| glue::is_vf_driver(d))
        .cloned()
        .collect();
    let Some((cfg, inv)) = found else {
        return Some(out);
    };
    let wanted = |pf: &Pf| {
        all || keys
            .iter()
            .any(|k| inv.pf_by_key(k).is_some_and(|i| inv.pfs[i].addr == pf.addr))
    };
    for pf in configured_pfs(cfg, inv).filter(|pf| wanted(pf)) {
        let pf_driver = pf.driver.as_deref().unwrap_or("");
        let known = glue::vf_driver_of(pf_driver).map(str::to_string);
        let bound = pf
            .vfs
            .iter()
            .filter_map(|v| v.driver.as_deref().map(str::to_string));
        for d in known.into_iter().chain(bound) {
            if d != pf_driver && d != "vfio-pci" && glue::valid_module(&d) && !out.contains(&d) {
                out.push(d);
            }
        }
    }
    Some(out)
}

/// The kernel modules of the configured PFs and of their VFs, as far as the
/// running system shows them: each PF's bound driver, its VFs' drivers, or
/// the VF driver its PF driver is known to pair with.
fn configured_drivers(found: Option<&(Config, Inventory)>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let Some((cfg, inv)) = found else {
        return out;
    };
    let mut add = |d: &str| {
        if glue::valid_module(d) && !out.iter().any(|o| o == d) {
            out.push(d.to_string());
        }
    };
    for pf in configured_pfs(cfg, inv) {
        if let Some(d) = &pf.driver {
            add(d);
            if let Some(vf) = glue::vf_driver_of(d) {
                add(vf);
            }
        }
        for vf in &pf.vfs {
            if let Some(d) = vf.driver.as_deref().filter(|d| *d != "vfio-pci") {
                add(d);
            }
        }
    }
    out
}

/// The config path as the installed system will see it at boot: under
/// `--root`, a path inside the root loses the root's prefix, and a path
/// outside it is taken as a path of the installed system. A relative path
/// is made absolute from the current directory (on the live system).
fn system_path(root: &Root, path: &Path) -> Result<String> {
    let base = root.join("/");
    if !root.is_live() {
        if let Ok(rel) = path.strip_prefix(&base) {
            return text_path(&Path::new("/").join(rel));
        }
    }
    if path.is_absolute() {
        return text_path(path);
    }
    let cwd = files::cwd().map_err(|e| Error::io("read", Path::new("."), e))?;
    text_path(&cwd.join(path))
}

fn text_path(p: &Path) -> Result<String> {
    p.to_str().map(str::to_string).ok_or_else(|| {
        Error::fail(crate::msg!(
            "the config path {} is not valid UTF-8: boot glue cannot name it",
            crate::text::quote(&p.to_string_lossy())
        ))
    })
}

/// Where the system path `sys` is on this machine: under the root (its
/// symlinks resolved inside the root), or itself on the live system.
fn host_path(root: &Root, sys: &str) -> PathBuf {
    root.real(sys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_PATH;

    /// A plan as short lines: what each task does, where.
    pub(super) fn lines(tasks: &[Task]) -> Vec<String> {
        tasks
            .iter()
            .map(|t| match t {
                Task::Binary(p) => format!("binary {p}"),
                Task::Config => "config".into(),
                Task::Write { path, mode, .. } => format!("write {path} {mode:o}"),
                Task::Link { path, target, .. } => format!("link {path} -> {target}"),
                Task::Remove { path, .. } => format!("remove {path}"),
                Task::RemoveDir(p) => format!("rmdir {p}"),
                Task::Refresh(i) => format!("refresh {}", i.name()),
                Task::Truenas { command, remove } => format!("truenas {remove} {command}"),
                Task::Drivers(d) => format!("drivers {}", d.join(",")),
                Task::File { path, .. } => format!("file {path}"),
            })
            .collect()
    }

    /// A PF with `driver` at `addr` (interface `name`) and VFs bound to `vf_drivers`.
    fn pf(addr: &str, name: &str, driver: &str, vf_drivers: &[&str]) -> Pf {
        let a = |s: &str| crate::pci::PciAddr::parse(s).unwrap();
        Pf {
            addr: a(addr),
            interfaces: vec![crate::ifname::IfName::parse(name).unwrap()],
            subsystem: None,
            vendor: None,
            device: None,
            description: None,
            driver: crate::pci::Name::try_from(driver).ok(),
            sriov: true,
            total_vfs: Some(8),
            num_vfs: Some(vf_drivers.len() as u32),
            iommu_group: None,
            up: false,
            configured: None,
            eswitch: None,
            port_types: None,
            vfs: vf_drivers
                .iter()
                .enumerate()
                .map(|(i, d)| crate::inventory::Vf {
                    addr: a(&format!("{}.{}", &addr[..10], i + 1)),
                    index: Some(i as u32),
                    interface: None,
                    mac: None,
                    driver: crate::pci::Name::try_from(*d).ok(),
                    iommu_group: None,
                    settings: None,
                    used_by: None,
                    representor: None,
                })
                .collect(),
        }
    }

    fn found(conf: &str) -> (Config, Inventory) {
        let inv = Inventory {
            others: Vec::new(),
            pfs: vec![
                pf("0000:01:00.0", "eth0", "igb", &["igbvf", "vfio-pci"]),
                pf("0000:02:00.0", "eth1", "ixgbe", &[]),
                pf("0000:03:00.0", "eth2", "mlx5_core", &["mlx5_core"]),
            ],
            usage_known: false,
            usage_incomplete: false,
            settings_known: false,
        };
        (Config::parse("/c".into(), conf), inv)
    }

    #[test]
    fn the_initramfs_gets_each_configured_pfs_driver_and_its_vfs_once() {
        let f = found("0000:01:00.0=2\neth1=4\neth0.vf0.trust=on\n0000:03:00.0=1\n");
        assert_eq!(
            configured_drivers(Some(&f)),
            ["igb", "igbvf", "ixgbe", "ixgbevf", "mlx5_core"]
        );
        assert!(configured_drivers(None).is_empty());
    }

    #[test]
    fn unmanaged_vfs_are_matched_by_vf_drivers_that_are_not_the_pfs() {
        let f = found("0000:01:00.0=2\n0000:02:00.0=4\n0000:03:00.0=1\n");
        // --unmanaged-vfs: every configured PF; mlx5_core serves PFs too.
        assert_eq!(
            configured_vf_drivers(Some(&f), &[], true).unwrap(),
            ["igbvf", "ixgbevf"]
        );
        // Neither the flag nor a key: nothing asked.
        assert_eq!(configured_vf_drivers(Some(&f), &[], false), None);
        // The key, for one PF by name.
        let f = found("0000:01:00.0=2\n0000:02:00.0=4\neth1.unmanaged_vfs=yes\n");
        assert_eq!(
            configured_vf_drivers(Some(&f), &["iavf".into(), "igb".into()], false).unwrap(),
            ["iavf", "ixgbevf"]
        );
        // No tree to look at: the named VF drivers only.
        assert_eq!(
            configured_vf_drivers(None, &["iavf".into()], true).unwrap(),
            ["iavf"]
        );
    }

    #[test]
    fn systemd_and_initramfs_tools_get_the_binary_config_files_link_and_refreshes() {
        let plan = plan(&[Init::Systemd, Init::InitramfsTools], DEFAULT_PATH, false).unwrap();
        assert_eq!(
            lines(&plan),
            [
                "binary /usr/local/sbin/vfnet",
                "config",
                "write /etc/systemd/system/vfnet.service 644",
                "link /etc/systemd/system/sysinit.target.wants/vfnet.service -> /etc/systemd/system/vfnet.service",
                "write /etc/initramfs-tools/hooks/vfnet 755",
                "write /etc/initramfs-tools/scripts/init-premount/vfnet 755",
                "refresh systemd",
                "refresh initramfs-tools",
            ]
        );
    }

    #[test]
    fn removing_takes_away_what_installing_put_and_vfnets_own_directory() {
        let plan = plan(&[Init::Dracut], DEFAULT_PATH, true).unwrap();
        assert_eq!(
            lines(&plan),
            [
                "remove /usr/local/sbin/vfnet",
                "remove /usr/lib/dracut/modules.d/90vfnet/module-setup.sh",
                "remove /usr/lib/dracut/modules.d/90vfnet/vfnet-apply.sh",
                "remove /etc/dracut.conf.d/vfnet.conf",
                "rmdir /usr/lib/dracut/modules.d/90vfnet",
                "refresh dracut",
            ]
        );
    }

    #[test]
    fn truenas_keeps_the_binary_next_to_the_config_and_quotes_the_command() {
        let plan = plan(&[Init::Truenas], "/mnt/my pool/vfnet.conf", false).unwrap();
        assert_eq!(
            lines(&plan),
            [
                "binary /mnt/my pool/vfnet",
                "config",
                "truenas false '/mnt/my pool/vfnet' --config '/mnt/my pool/vfnet.conf' apply --wait 30",
            ]
        );
    }

    #[test]
    fn a_path_no_glue_can_hold_or_a_relative_one_is_refused_before_anything() {
        let e = plan(&[Init::Systemd], "/mnt/a b/v.conf", false).unwrap_err();
        assert!(
            e.to_string().contains("cannot install the systemd glue"),
            "{e}"
        );
        let e = plan(&[Init::Openrc], "/a\nb", false).unwrap_err();
        assert!(e.to_string().contains("control character"), "{e}");
        let e = plan(&[Init::Openrc], "etc/v.conf", false).unwrap_err();
        assert!(e.to_string().contains("not absolute"), "{e}");
        // The same path is fine for sh glue, quoted.
        let ok = plan(&[Init::Openrc], "/mnt/a b/v.conf", false).unwrap();
        let Task::Write { text, .. } = &ok[2] else {
            panic!("{:?}", ok[2])
        };
        assert!(text.contains("\nvfnet_config='/mnt/a b/v.conf'\n"));
    }
}
