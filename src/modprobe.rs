//! vfnet's modprobe.d file (`/etc/modprobe.d/vfnet-mlx4.conf`), derived
//! from the config's ConnectX-3 entries: one `options mlx4_core` line for
//! every ConnectX-3 of the host (see `mlx4` for its forms), rewritten
//! whenever `persist` or `set --reload` changes such an entry, removed when
//! none wants VFs. Other modprobe.d files are never touched; a line there
//! that sets the same parameters is reported, since modprobe passes both
//! and the later one wins. So is the initramfs, which carries a copy of
//! modprobe.d: mlx4_core loaded from it reads the copy.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::glue::{self, Init};
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
    let inv = crate::scan::scan(sys, false);
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
    line_for(root, cfg, &inv).map(Some)
}

/// Writes (or removes) vfnet's modprobe.d file for `line`, and returns
/// what the user must know: conflicting lines elsewhere, and the
/// initramfs to rebuild (run at once with `refresh`, live only).
pub fn sync(root: &Root, line: Option<&str>, refresh: bool) -> Result<Vec<String>> {
    let text = line.map(mlx4::modprobe_file);
    let changed = modules::write(root, mlx4::MODPROBE_FILE, text.as_deref())?;
    let mut notes = Vec::new();
    match (&line, changed) {
        (Some(l), true) => notes.push(format!("wrote {} ({l})", mlx4::MODPROBE_FILE)),
        (None, true) => notes.push(crate::msg!(
            "removed {} (no ConnectX-3 wants VFs)",
            mlx4::MODPROBE_FILE
        )),
        (_, false) => {}
    }
    if line.is_some() {
        for (path, text) in modules::modprobe_files(root, mlx4::MODPROBE_FILE) {
            for c in mlx4::conflicts(&text, line.unwrap_or_default()) {
                notes.push(crate::msg!("warning: {}:{}: sets {} for mlx4_core too; modprobe passes both and the later wins: remove it", crate::text::quote(&path), c.line, c.param));
            }
        }
    }
    if changed {
        notes.extend(initramfs(root, refresh));
    }
    Ok(notes)
}

/// The initramfs generators present: their images carry modprobe.d, so
/// mlx4_core loaded from the image needs it rebuilt.
fn initramfs(root: &Root, refresh: bool) -> Vec<String> {
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
            notes.push(crate::msg!("the initramfs ({}) carries a copy of modprobe.d and may load mlx4_core: rebuild it ({}, \
                 or add --refresh-initramfs) before rebooting", g.name(), line));
        }
    }
    notes
}
