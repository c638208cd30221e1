//! Runs bridge FDB sync's plans (`crate::fdb`) on the running kernel: one
//! link dump and one `AF_BRIDGE` neighbour dump over rtnetlink, each PF's
//! plan, its adds and removes (one request each, as `bridge fdb add|del
//! MAC dev PF self`), and the record of what vfnet added, one file a PF:
//! `/run/vfnet/fdb/PCI`. `vfnet fdb` (once, or `--watch`) and `apply`
//! (once, for PFs with `fdb_sync=yes`) call [`sync`].

use crate::error::{Error, Result};
use crate::fdb::{self, Plan};
use crate::mac::Mac;
use crate::neigh::{self, parse_fdb, parse_iface};
use crate::netlink::Socket;
use crate::pci::PciAddr;
use crate::sysfs::Root;
use nix::errno::Errno;

/// A PF to sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Its address.
    pub pci: PciAddr,
    /// Its netdev.
    pub interface: String,
    /// Its VFs now: with none, it needs nothing behind its bridge (and
    /// what vfnet added is removed).
    pub vfs: u32,
}

/// What happened to one PF's table (or, in a dry run, would).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The bridges it is a port of, by name.
    pub bridges: Vec<String>,
    /// The MACs behind them that its table needs.
    pub behind: Vec<Mac>,
    /// What was (to be) added, removed and kept.
    pub plan: Plan,
    /// MACs the NIC had no room for (the driver said ENOSPC or ENOMEM:
    /// ixgbe_ndo_fdb_add answers -ENOMEM once its RAR entries are used).
    pub did_not_fit: Vec<Mac>,
    /// Other refusals: the MAC, whether it was an add, and the errno.
    pub failed: Vec<(Mac, bool, Errno)>,
    /// Why the PF could not be synced at all (its netdev is gone).
    pub error: Option<String>,
}

/// The record of one PF: `ROOT/run/vfnet/fdb/PCI`, in a tree with its
/// links resolved inside the tree (a `run` that is a link to the host's
/// /run means the tree's): the record is read and written in the sandbox.
pub fn record_path(root: &Root, pci: PciAddr) -> std::path::PathBuf {
    root.real(&crate::msg!("/run/vfnet/fdb/{}", pci))
}

/// What vfnet added to this PF's table before (nothing when the record is
/// missing or not a regular file).
pub fn recorded(root: &Root, pci: PciAddr) -> Vec<Mac> {
    crate::files::read_regular(&record_path(root, pci), 64 * 1024)
        .map(|(b, _)| fdb::parse_record(&b))
        .unwrap_or_default()
}

/// Syncs each target: reads the links and the tables, plans, and (unless
/// `dry_run`) changes the tables and the records. Fails only when the
/// dumps cannot be had.
pub fn sync(
    route: &mut Socket,
    root: &Root,
    targets: &[Target],
    dry_run: bool,
) -> Result<Vec<Outcome>> {
    let dumped = |e: Errno| {
        Error::fail(crate::msg!(
            "cannot read the links and bridge tables over rtnetlink: {}",
            crate::error::strerror(e)
        ))
    };
    let (mut links, mut entries) = (Vec::new(), Vec::new());
    route
        .dump_each(&|s| neigh::dump(s, false), neigh::RTM_NEWLINK, &mut |b| {
            links.extend(parse_iface(b))
        })
        .map_err(dumped)?;
    route
        .dump_each(&|s| neigh::dump(s, true), neigh::RTM_NEWNEIGH, &mut |b| {
            entries.extend(parse_fdb(b))
        })
        .map_err(dumped)?;
    let mut out = Vec::with_capacity(targets.len());
    for t in targets {
        let Some(me) = links.iter().find(|l| l.name == t.interface) else {
            out.push(Outcome {
                error: Some(crate::msg!(
                    "{} ({}): the kernel has no interface of that name now",
                    crate::text::quote(&t.interface),
                    t.pci
                )),
                ..Outcome::default()
            });
            continue;
        };
        let ports = fdb::ports(&links, me.index);
        let mut o = Outcome::default();
        for p in &ports {
            if let Some(b) = links.iter().find(|l| l.index == p.bridge) {
                if !o.bridges.contains(&b.name) {
                    o.bridges.push(b.name.clone());
                }
            }
        }
        if t.vfs > 0 {
            o.behind = fdb::behind(&entries, &ports, me.mac);
        }
        let before = recorded(root, t.pci);
        o.plan = fdb::plan(&o.behind, &fdb::present(&entries, me.index), &before);
        if !dry_run && !o.plan.is_empty() {
            change(route, me.index, &mut o);
            let mut now = o.plan.keep.clone();
            now.extend_from_slice(&o.plan.add);
            now.extend(o.failed.iter().filter(|f| !f.1).map(|f| f.0));
            now.sort_unstable();
            if now != before {
                write_record(root, t.pci, &now)?;
            }
        }
        out.push(o);
    }
    Ok(out)
}

/// Carries out `o.plan` on the device `index`; what the kernel refused
/// leaves the plan for `did_not_fit` and `failed`.
fn change(route: &mut Socket, index: i32, o: &mut Outcome) {
    let mut added = Vec::with_capacity(o.plan.add.len());
    for &m in &o.plan.add {
        match route.acked(|s| neigh::fdb_change(s, true, index, m)) {
            // EEXIST: it is in the table after all (someone was quicker);
            // not ours, so not recorded.
            Ok(()) => added.push(m),
            Err(Errno::EEXIST) => {}
            Err(Errno::ENOSPC | Errno::ENOMEM) => o.did_not_fit.push(m),
            Err(e) => o.failed.push((m, true, e)),
        }
    }
    o.plan.add = added;
    let mut removed = Vec::with_capacity(o.plan.remove.len());
    for &m in &o.plan.remove {
        match route.acked(|s| neigh::fdb_change(s, false, index, m)) {
            Ok(()) | Err(Errno::ENOENT) => removed.push(m),
            Err(e) => o.failed.push((m, false, e)),
        }
    }
    o.plan.remove = removed;
}

/// Writes (or, empty, removes) a PF's record.
fn write_record(root: &Root, pci: PciAddr, macs: &[Mac]) -> Result<()> {
    let path = record_path(root, pci);
    if macs.is_empty() {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::io("remove", &path, crate::files::errno(&e)))
            }
            _ => Ok(()),
        };
    }
    crate::files::mkdir_p(crate::files::parent(&path))?;
    crate::files::write_atomic(&path, fdb::record_text(macs).as_bytes(), 0o644)
}

/// MACs, comma-separated, as a message shows them.
pub struct Macs<'a>(pub &'a [Mac]);

impl std::fmt::Display for Macs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, m) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            m.fmt(f)?;
        }
        Ok(())
    }
}

/// A refusal: `add MAC: errno text`.
pub struct Refused<'a>(pub &'a (Mac, bool, Errno));

impl std::fmt::Display for Refused<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (m, add, e) = self.0;
        let verb = if *add { "add" } else { "remove" };
        write!(f, "{verb} {m}: {}", crate::error::strerror(*e))
    }
}
