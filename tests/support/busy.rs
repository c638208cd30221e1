//! A running host in a fake tree, with a fake /proc: a libvirt VM holds
//! VF 1 of the x550t's first PF (0000:01:00.0) through vfio, a container
//! owns VF 2's netdev, VF 3 is in the host's bridge; VF 0 is free.

use super::machines::x550t;
use super::tree::Tree;
use std::os::unix::fs::symlink;
use std::path::Path;

/// The busy PF.
pub const BUSY_PF: &str = "0000:01:00.0";

/// A process of the fake /proc: its command line, name, open files and
/// network namespace.
pub fn process(root: &Path, pid: u32, argv: &[&str], comm: &str, fds: &[&str], netns: &str) {
    let d = root.join(format!("proc/{pid}"));
    std::fs::create_dir_all(d.join("fd")).unwrap();
    std::fs::create_dir_all(d.join("ns")).unwrap();
    let mut cmdline = argv.join("\0");
    cmdline.push('\0');
    std::fs::write(d.join("cmdline"), cmdline).unwrap();
    std::fs::write(d.join("comm"), format!("{comm}\n")).unwrap();
    for (i, f) in fds.iter().enumerate() {
        symlink(f, d.join(format!("fd/{}", i + 3))).unwrap();
    }
    symlink(netns, d.join("ns/net")).unwrap();
}

/// A fake /proc's PID 1, which vfnet itself stands for (`self`), in the
/// host's network namespace.
pub fn host_init(root: &Path) {
    process(
        root,
        1,
        &["/sbin/init"],
        "systemd",
        &["/dev/null"],
        "net:[4026531840]",
    );
    symlink("1", root.join("proc/self")).unwrap();
}

/// Binds VF `n` of `pf` to vfio-pci and returns its IOMMU group's number.
pub fn vfio_group(tree: &Tree, pf: &str, n: u32) -> String {
    tree.bind_vf_vfio(pf, n);
    let group = std::fs::read_link(tree.vf_dir(pf, n).join("iommu_group")).unwrap();
    group.file_name().unwrap().to_string_lossy().into_owned()
}

/// Makes VF `n` of `pf`'s netdev a port of the master netdev `master`
/// (its `master` link, as the kernel has it for a bridge or bond port).
pub fn enslave(tree: &Tree, pf: &str, n: u32, master: &str) {
    let vf = tree.vf_dir(pf, n);
    let ifname = std::fs::read_dir(vf.join("net"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name();
    symlink(
        format!("../../../../../virtual/net/{master}"),
        vf.join("net").join(ifname).join("master"),
    )
    .unwrap();
}

/// The machine of the module doc.
pub fn busy_host() -> Tree {
    let tree = Tree::build(&x550t());
    let root = tree.root();
    host_init(root);
    // VF 1 on vfio-pci, held by a libvirt VM.
    let group = vfio_group(&tree, BUSY_PF, 1);
    process(
        root,
        2211,
        &[
            "/usr/bin/qemu-system-x86_64",
            "-name",
            "guest=win11,debug-threads=on",
            "-m",
            "4096",
        ],
        "qemu-system-x86",
        &["/dev/null", "/dev/vfio/vfio", &format!("/dev/vfio/{group}")],
        "net:[4026531840]",
    );
    // VF 2's netdev moved into a container's namespace: gone from ours.
    let vf2 = tree.vf_dir(BUSY_PF, 2);
    for e in std::fs::read_dir(vf2.join("net")).unwrap() {
        let name = e.unwrap().file_name();
        std::fs::remove_dir_all(vf2.join("net").join(&name)).unwrap();
        let _ = std::fs::remove_file(tree.path("sys/class/net").join(&name));
    }
    process(
        root,
        3310,
        &["/bin/sleep", "infinity"],
        "sleep",
        &[],
        "net:[4026532999]",
    );
    // VF 3 in the host's bridge.
    enslave(&tree, BUSY_PF, 3, "br0");
    tree
}
