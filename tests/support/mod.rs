//! Test support for vfnet: fake sysfs trees and a fake kernel, so integration
//! tests run without root or SR-IOV hardware. Use it from a test with `mod support;`.
//!
//! - `spec`: machines as plain data (`Machine`, `PciFn`, `Sriov`, `NetDev`, ...).
//! - `machines`: the machine profiles (`x550t()`, `igb_qemu()`, `many(8, 128)`, ...).
//! - `pciids`: pci.ids names and the excerpt each machine ships.
//! - `layout`: how every sysfs file and link is written (SYSFS.md's layout).
//! - `tree`: `Tree::build(&machine)` and the mutators tests use.
//! - `readme`: the README's fenced blocks, by the marker that names their test.
//! - `kernel`: `FakeKernel`, which reacts to `sriov_numvfs` writes like the kernel.
//!
//! ```ignore
//! let tree = Tree::build(&igb_qemu());
//! let kernel = FakeKernel::start(&tree, KernelOpts::default());
//! // run `vfnet --root tree.root() set eth0 3` ...
//! assert!(kernel.wait_idle(Duration::from_secs(5)));
//! assert_eq!(kernel.violations(), []);
//! ```
#![allow(dead_code, unused_imports)]

pub mod busy;
pub mod kernel;
pub mod layout;
pub mod machines;
pub mod pciids;
pub mod readme;
#[cfg(test)] // runs the binary: integration tests only, not examples/mktree
pub mod run;
pub mod spec;
pub mod tree;

pub use busy::{BUSY_PF, busy_host, enslave, host_init, process, vfio_group};
pub use kernel::{FakeKernel, KernelOpts, Stuck, Violation};
pub use machines::*;
#[cfg(test)]
pub use run::{Run, golden, vfnet};
pub use spec::*;
pub use tree::{Entry, Tree, diff, snapshot};

/// One of the QEMU suite's captures (`tests/captures/qemu-igb/STATE.tar.gz`)
/// unpacked into a new directory, with the system's tar.
pub fn unpack_capture(state: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let tar = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/captures/qemu-igb/{state}.tar.gz"));
    let st = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(&tar)
        .arg("-C")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(st.success(), "tar -xzf {}", tar.display());
    dir
}

/// The seconds of each `... -> N VFs in T s.` line apply printed, in order
/// (tests/slow.rs and examples/bootbench read the same lines).
pub fn vf_times(stdout: &str) -> Vec<f64> {
    stdout
        .lines()
        .filter_map(|l| {
            l.split(" VFs in ")
                .nth(1)?
                .strip_suffix(" s.")?
                .parse()
                .ok()
        })
        .collect()
}
