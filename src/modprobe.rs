//! vfnet's modprobe.d files: `/etc/modprobe.d/vfnet-gpu.conf` for the
//! Intel GPU drivers' `max_vfs` (and i915's `enable_guc`, `crate::gpu`),
//! and `/etc/modprobe.d/vfnet-mlx4.conf`, derived from the config's
//! ConnectX-3 entries: one `options mlx4_core` line for
//! every ConnectX-3 of the host (see `mlx4` for its forms), rewritten
//! whenever `persist` or `set --reload` changes such an entry, removed when
//! none wants VFs. Other modprobe.d files are never touched; a line there
//! that sets the same parameters is reported, since modprobe passes both
//! and the later one wins. So is the initramfs, which carries a copy of
//! modprobe.d: mlx4_core loaded from it reads the copy.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::glue::{self, Init};
use crate::gpu;
use crate::inventory::Inventory;
use crate::mlx4::{self, Want};
use crate::modules;
use crate::sysfs::Root;

/// The options line the config asks for (`None`: no ConnectX-3 wants
/// VFs), or why mlx4_core could not take it.
pub fn line_for(root: &Root, cfg: &Config, inv: &Inventory) -> Result<Option<String>> {
    let mut wants: Vec<Want> = Vec::new();
    for e in cfg.entries() {
        let Some(p) = inv.pf_by_key(e.key) else {
            continue;
        };
        let pf = &inv.pfs[p];
        if !pf.count_at_load() || wants.iter().any(|w| w.addr == pf.addr) {
            continue;
        }
        let vfs = e.mlx4();
        let probe = cfg
            .probe(pf.addr, &pf.interfaces)
            .unwrap_or_else(|| vfs.none_like());
        wants.push(Want {
            addr: pf.addr,
            vfs,
            probe,
            ports: cfg.port_types(pf.addr, &pf.interfaces),
        });
    }
    let others: Vec<_> = inv
        .pfs
        .iter()
        .filter(|p| p.count_at_load() && !wants.iter().any(|w| w.addr == p.addr))
        .map(|p| p.addr)
        .collect();
    if wants.is_empty() {
        return Ok(None);
    }
    let dialect = mlx4::dialect(modules::param(root, mlx4::MODULE, "num_vfs").as_deref());
    mlx4::options_line(&wants, &others, dialect).map_err(Error::fail)
}

/// [`line_for`] when a ConnectX-3 is present or has a `probe_vf` line
/// (`None`: none is, and the file is left alone).
pub fn line_if_any(
    root: &Root,
    sys: &crate::sysfs::Dir,
    cfg: &Config,
) -> Result<Option<Option<String>>> {
    // Every SR-IOV function: a ConnectX-3 whose ports have no netdev
    // (mlx4_en not loaded) is still mlx4_core's, as `lines` sees it.
    line_in(root, &crate::scan::scan(sys, true), cfg)
}

/// [`line_if_any`] and [`gpu_lines`] from one scan.
pub fn lines(root: &Root, sys: &crate::sysfs::Dir, cfg: &Config) -> Result<Lines> {
    let inv = crate::scan::scan(sys, true);
    Ok((line_in(root, &inv, cfg)?, gpu_lines(&inv, cfg)))
}

/// The options lines of vfnet's modprobe.d files a config asks for: the
/// ConnectX-3s', the Intel GPUs' (`None`: that file is not concerned;
/// `Some(None)`: removed).
pub type Lines = (Option<Option<String>>, Option<Option<String>>);

fn line_in(root: &Root, inv: &Inventory, cfg: &Config) -> Result<Option<Option<String>>> {
    let any = inv.pfs.iter().any(|p| p.count_at_load())
        || cfg.lines.iter().any(|l| {
            matches!(
                l,
                crate::config::Line::Probe { .. } | crate::config::Line::PortType { .. }
            )
        });
    if !any {
        return Ok(None);
    }
    line_for(root, cfg, inv).map(Some)
}

/// Writes (or removes) vfnet's modprobe.d file for `line`, and returns
/// what the user must know: conflicting lines elsewhere, and the
/// initramfs to rebuild (run at once with `refresh`, live only).
pub fn sync(root: &Root, line: Option<&str>, refresh: bool) -> Result<Vec<String>> {
    let file = Owned {
        path: mlx4::MODPROBE_FILE,
        text: line.map(mlx4::modprobe_file),
        removed: "no ConnectX-3 wants VFs",
        module: mlx4::MODULE,
        params: vec![(mlx4::MODULE, mlx4::params(line.unwrap_or_default()))],
    };
    write_owned(root, &file, line, refresh)
}

/// The Intel GPU drivers' options lines the config asks for (`None`: no
/// GPU is present, and the file is left alone; `Some(None)`: none wants
/// VFs).
fn gpu_lines(inv: &Inventory, cfg: &Config) -> Option<Option<String>> {
    let mut any = false;
    let mut wants = Vec::new();
    for p in &inv.pfs {
        let Some(d) = p.driver.as_deref().filter(|d| gpu::is_gpu(Some(d))) else {
            continue;
        };
        any = true;
        wants.extend(cfg.find(p.addr, &p.interfaces).map(|e| (d, e.count)));
    }
    any.then(|| gpu::options(&wants))
}

/// [`sync`] for the GPUs' file: the kernel command line's settings of the
/// same parameters are named too (they win over modprobe.d).
pub fn sync_gpu(root: &Root, lines: Option<&str>, refresh: bool) -> Result<Vec<String>> {
    let file = Owned {
        path: gpu::MODPROBE_FILE,
        text: lines.map(|l| {
            crate::msg!(
                "# Written by vfnet persist from /etc/vfnet/vfnet.conf: the VF limits of the host's Intel\n\
                 # GPUs, which i915 and xe take only when they load. Edit with vfnet persist, not here.\n{}\n",
                l
            )
        }),
        removed: "no Intel GPU wants VFs",
        module: "i915 or xe",
        params: ["i915", "xe"].map(|m| (m, gpu::params(m))).to_vec(),
    };
    let mut notes = write_owned(root, &file, lines, refresh)?;
    let cmdline = modules::read(root, "/proc/cmdline").unwrap_or_default();
    for module in ["i915", "xe"] {
        for p in gpu::params(module) {
            if let Some(v) = gpu::cmdline(&cmdline, module, p).filter(|_| lines.is_some()) {
                notes.push(crate::msg!(
                    "warning: the kernel command line sets {}.{}={} too, and wins over modprobe.d: change or remove it",
                    module,
                    p,
                    crate::text::quote(&v)
                ));
            }
        }
    }
    Ok(notes)
}

/// One of vfnet's modprobe.d files, as it is to be.
struct Owned {
    /// Its path.
    path: &'static str,
    /// Its text (`None`: removed).
    text: Option<String>,
    /// Why it is removed, for the note.
    removed: &'static str,
    /// The module an initramfs may load with it.
    module: &'static str,
    /// The parameters it sets, by module: another file setting one of
    /// them is named.
    params: Vec<(&'static str, Vec<&'static str>)>,
}

/// Writes `file`, names the lines of other modprobe.d files that set the
/// same parameters, and the initramfs to rebuild.
fn write_owned(
    root: &Root,
    file: &Owned,
    line: Option<&str>,
    refresh: bool,
) -> Result<Vec<String>> {
    let changed = modules::write(root, file.path, file.text.as_deref())?;
    let mut notes = Vec::new();
    match (&line, changed) {
        (Some(l), true) => notes.push(format!("wrote {} ({})", file.path, l.replace('\n', "; "))),
        (None, true) => notes.push(crate::msg!("removed {} ({})", file.path, file.removed)),
        (_, false) => {}
    }
    if line.is_some() {
        for (path, text) in modules::modprobe_files(root, file.path) {
            for (module, ours) in &file.params {
                for (n, param, _) in modules::options(&text, module) {
                    if !ours.contains(&param.as_str()) {
                        continue;
                    }
                    notes.push(crate::msg!("warning: {}:{}: sets {} for {} too; modprobe passes both and the later wins: remove it", crate::text::quote(&path), n, param, module));
                }
            }
        }
    }
    if changed {
        notes.extend(initramfs(root, refresh, file.module));
    }
    Ok(notes)
}

/// The initramfs generators present: their images carry modprobe.d, so
/// `module` loaded from the image needs it rebuilt.
fn initramfs(root: &Root, refresh: bool, module: &str) -> Vec<String> {
    let mut notes = Vec::new();
    let gens = glue::detect(&glue::found(root))
        .into_iter()
        .filter(|i| matches!(i, Init::InitramfsTools | Init::Dracut));
    for g in gens {
        let cmd = g.refresh();
        let line = cmd.join(" ");
        if refresh && root.is_live() {
            match crate::exec::run(cmd) {
                Ok(()) => notes.push(format!("ran {line}")),
                Err(e) => notes.push(crate::msg!("error: {}: {}", line, e)),
            }
        } else {
            notes.push(crate::msg!(
                "the initramfs ({}) carries a copy of modprobe.d and may load {}: rebuild it ({}, \
                 or add --refresh-initramfs) before rebooting",
                g.name(),
                module,
                line
            ));
        }
    }
    notes
}
