//! vfnet: manage SR-IOV virtual functions (VFs) of network cards on Linux.
//!
//! Data flows one way: `cli` parses the command line into a command of
//! `commands/` (each parses its own arguments with `args`); the command
//! runs on one `system::System` and reads it through `sysfs` (every path
//! under the root override, sandboxed there). `scan` turns sysfs into an
//! `inventory::Inventory` of plain data, and `survey` is the one place it
//! is completed (names, settings, eswitch modes, users; live or captured
//! decided once); `render` prints it. Changes are planned by pure functions
//! (`change::plan` for one PF's count and eswitch mode, `sriov::plan`,
//! `commands::apply::plan`, `commands::install::plan`) and then executed;
//! per-VF settings go through the VF `engine` (rtnetlink, `netlink`), a
//! PF's eswitch mode through `eswitch` (devlink, `devlink`). Commands never
//! import each other. README's "Where things are" lists every file.

#![deny(missing_docs)]

pub mod args;
pub mod change;
pub mod chase;
pub mod cli;
pub mod clidef;
pub mod commands;
pub mod completion;
pub mod conffile;
pub mod config;
pub mod device;
pub mod devlink;
pub mod drivers;
pub mod engine;
pub mod error;
pub mod eswitch;
pub mod exec;
pub mod fdb;
pub mod fdbsync;
pub mod files;
pub mod glue;
pub mod gpu;
pub mod guard;
pub mod guid;
pub mod heap;
pub mod hypervisor;
pub mod ifname;
pub mod inventory;
pub mod json;
pub mod kmsg;
pub mod lock;
pub mod mac;
pub mod manpage;
pub mod memcpy;
pub mod mlx4;
pub mod modprobe;
pub mod modules;
pub mod neigh;
pub mod netlink;
#[cfg(vfnet_no_unwinder)]
pub mod nounwind;
pub mod out;
pub mod packed;
pub mod parallel;
pub mod pci;
pub mod pciids;
pub mod procfs;
pub mod prom;
pub mod render;
pub mod replay;
pub mod report;
pub mod scan;
pub mod signals;
pub mod sriov;
pub mod survey;
pub mod sysfs;
pub mod system;
pub mod table;
pub mod tar;
pub mod text;
pub mod truenas;
pub mod uevent;
pub mod usage;
pub mod vf;
pub mod wait;
