//! The one handle to the system a command works on, built once from the
//! global options: the root (`/`, or a tree under `--root`), its `/sys`
//! opened when first needed, the config file's path, and rtnetlink, which
//! exists only on the live system and is opened only when asked for.

use crate::args::Globals;
use crate::error::{Error, Result};
use crate::netlink::Socket;
use crate::sysfs::{Dir, Root};
use nix::errno::Errno;
use std::cell::OnceCell;
use std::path::PathBuf;

/// What a command reads and changes.
#[derive(Debug)]
pub struct System {
    /// The root (`/`, or the tree under `--root`).
    pub root: Root,
    /// The config file (`--config`, `VFNET_CONFIG`, or the default under the root).
    pub config: PathBuf,
    sys: OnceCell<Dir>,
}

impl System {
    /// The system the global options name. Nothing is opened yet.
    pub fn new(g: &Globals) -> System {
        let root = g.root();
        let config = g.config(&root);
        System {
            root,
            config,
            sys: OnceCell::new(),
        }
    }

    /// `ROOT/sys`, opened once: the one failure that stops a command that
    /// needs it.
    pub fn sys(&self) -> Result<&Dir> {
        if let Some(d) = self.sys.get() {
            return Ok(d);
        }
        let d = self.root.sys().map_err(|e| {
            let base = self.root.join("/");
            match (self.live(), base.is_dir()) {
                (false, false) => Error::fail(crate::msg!(
                    "--root {}: no such directory (a tree: an unpacked capture, or one made by \
                         cargo run --example mktree -- MACHINE DIR)",
                    base.display().to_string().trim_end_matches('/')
                )),
                _ => Error::io("open", &self.root.join("/sys"), e),
            }
        })?;
        Ok(self.sys.get_or_init(|| d))
    }

    /// True on the live system (no `--root`).
    pub fn live(&self) -> bool {
        self.root.is_live()
    }

    /// Takes the state lock that serializes changes to VFs (`crate::lock`),
    /// waiting for another vfnet until `deadline`.
    pub fn state_lock(&self, deadline: &crate::wait::Deadline) -> Result<crate::lock::Lock> {
        let real = crate::conffile::resolve(&self.root, &self.config)
            .map(|r| r.path)
            .unwrap_or_else(|_| self.config.clone());
        crate::lock::state(&self.root, &real, deadline)
    }

    /// A new rtnetlink socket: on the live system only (`None` under
    /// `--root`, where there is no kernel to ask).
    pub fn route(&self) -> Option<std::result::Result<Socket, Errno>> {
        self.live().then(Socket::route)
    }

    /// rtnetlink for the bridges' tables (`vfnet fdb`, apply's
    /// `fdb_sync`): [`System::route`], or, under `--root` with
    /// `VFNET_TEST_ROUTE=1`, this network namespace's (the tests pair a
    /// fake tree's PFs with a namespace's veths and bridge).
    pub fn bridges(&self) -> Option<std::result::Result<Socket, Errno>> {
        let test = || std::env::var_os("VFNET_TEST_ROUTE").is_some_and(|v| v == "1");
        (self.live() || test()).then(Socket::route)
    }
}
