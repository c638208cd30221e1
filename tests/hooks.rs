//! The VM hook (`hooks/vfnet-hook`) run as libvirt and Proxmox run it,
//! against the busy fake host (VF 0 of enp1s0f0 free, VF 1 held by the
//! libvirt VM win11): a stand-in `vfnet` logs every call and answers
//! `free` with the real binary under `--root`; a stand-in `qm` prints a
//! VM's config. Settings cannot be made in a tree, so the log is the check.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::layout::write_file;
use support::readme::block_in;
use support::run::bin;
use support::*;

const HOOK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/hooks/vfnet-hook");

/// The stand-ins, in a directory of their own.
fn stand_ins(tree: &Tree) -> PathBuf {
    let dir = tree.root().join("stand-ins");
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("log");
    let vfnet = format!(
        "#!/bin/sh\necho \"vfnet $*\" >> '{}'\ncase \"$*\" in *free*) exec '{}' --root '{}' \"$@\" ;; esac\nexit 0\n",
        log.display(),
        bin().display(),
        tree.root().display()
    );
    write_file(&dir.join("vfnet"), vfnet.as_bytes(), 0o755);
    if !dir.join("qm.conf").exists() {
        write_file(&dir.join("qm.conf"), b"", 0o644);
    }
    let qm = format!("#!/bin/sh\ncat '{}'\n", dir.join("qm.conf").display());
    write_file(&dir.join("qm"), qm.as_bytes(), 0o755);
    dir
}

/// Runs `hook` with `args` and `stdin`; (exit code, stderr, log).
fn run(tree: &Tree, hook: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    run_env(tree, hook, args, stdin, &[])
}

/// `run` with more of the environment (`VFNET_HOOK_NODE`, say).
fn run_env(
    tree: &Tree,
    hook: &Path,
    args: &[&str],
    stdin: &str,
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let dir = stand_ins(tree);
    let spawn = || {
        Command::new(hook)
            .args(args)
            .envs(env.iter().copied())
            .env("VFNET", dir.join("vfnet"))
            .env("QM", dir.join("qm"))
            .env("VFNET_HOOK_ROOT", tree.root())
            .env("VFNET_PROXMOX_MAP", dir.join("proxmox.conf"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
    };
    // A script just written may be open in another test's fork a moment
    // longer (ETXTBSY).
    let mut child = spawn();
    for _ in 0..50 {
        match &child {
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(std::time::Duration::from_millis(20));
                child = spawn();
            }
            _ => break,
        }
    }
    let mut child = child.unwrap();
    use std::io::Write;
    // A phase the hook ignores exits before it reads: a broken pipe.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
    let _ = std::fs::remove_file(dir.join("log"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        log,
    )
}

/// A domain with VF `function` (0000:02:10.F) as a hostdev and one
/// vfnet:vf element with `attrs`.
fn domain(function: u32, attrs: &str) -> String {
    domain_with(
        function,
        &format!(
            "<metadata>\n    <vfnet:vf xmlns:vfnet=\"https://github.com/vfnet/vfnet/libvirt/1\" {attrs}/>\n  </metadata>"
        ),
    )
}

/// A domain with VF `function` as a hostdev and `metadata` as it is.
fn domain_with(function: u32, metadata: &str) -> String {
    format!(
        "<domain type='kvm'>\n  <name>web</name>\n  <uuid>0b8f4f4e-3c1a-4d2e-9f00-1234567890ab</uuid>\n  {metadata}\n  <devices>\n    \
         <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n        \
         <address domain='0x0000' bus='0x02' slot='0x10' function='0x{function}'/>\n      </source>\n      \
         <address type='pci' domain='0x0000' bus='0x07' slot='0x00' function='0x0'/>\n    </hostdev>\n  </devices>\n</domain>\n"
    )
}

fn libvirt_lifecycle(hook: &Path, xml: &str) {
    let tree = busy_host();
    // Each phase in turn: it succeeds, quietly, and makes these calls.
    for (op, sub, calls) in [
        ("prepare", "begin", "vf 0000:01:00.0 0 free"),
        (
            "start",
            "begin",
            "vf 0000:01:00.0 0 mac 52:54:00:12:34:56 vlan 100 trust on",
        ),
        // Phases it has nothing to do in run nothing.
        ("started", "begin", ""),
        (
            "release",
            "end",
            "vf 0000:01:00.0 0 mac 00:00:00:00:00:00 vlan 0 trust off",
        ),
        // Released once: a second release has nothing to undo.
        ("release", "end", ""),
    ] {
        let (rc, err, log) = run(&tree, hook, &["web", op, sub, "-"], xml);
        assert_eq!((rc, err.as_str()), (0, ""), "{op} {sub}: {log}");
        let want = match calls {
            "" => String::new(),
            c => format!("vfnet {c}\n"),
        };
        assert_eq!(log, want, "{op} {sub}");
    }
}

#[test]
fn libvirt_checks_sets_and_undoes() {
    libvirt_lifecycle(Path::new(HOOK), &domain(0, LIFECYCLE));
}

/// The settings the lifecycle checks, as vfnet:vf attributes.
const LIFECYCLE: &str = "pf=\"enp1s0f0\" mac=\"52:54:00:12:34:56\" vlan=\"100\" trust=\"on\"";

#[test]
fn readme_libvirt_hook() {
    // The README's metadata, as a domain has it, makes the same calls.
    let metadata = block_in("tests/hooks.rs", "readme_libvirt_hook");
    libvirt_lifecycle(Path::new(HOOK), &domain_with(0, metadata.trim_end()));
}

#[test]
fn readme_hook_refusal() {
    // The README's refusal is what the hook prints, whole.
    let tree = busy_host();
    let (rc, err, _) = run(
        &tree,
        Path::new(HOOK),
        &["web", "prepare", "begin", "-"],
        &domain(2, "pf=\"enp1s0f0\""),
    );
    assert_eq!(rc, 1);
    assert_eq!(err, block_in("tests/hooks.rs", "readme_hook_refusal"));
}

#[test]
fn readme_proxmox_hook() {
    // The README's proxmox.conf, for a VM whose hostpci0 is VF 0.
    let tree = busy_host();
    let dir = stand_ins(&tree);
    std::fs::write(dir.join("qm.conf"), "hostpci0: 0000:02:10.0,pcie=1\n").unwrap();
    let map = block_in("tests/hooks.rs", "readme_proxmox_hook");
    std::fs::write(dir.join("proxmox.conf"), map).unwrap();
    let (rc, err, log) = run(&tree, Path::new(HOOK), &["100", "pre-start"], "");
    assert_eq!((rc, err.as_str()), (0, ""));
    assert_eq!(
        log,
        "vfnet vf 0000:01:00.0 0 free\nvfnet vf 0000:01:00.0 0 mac 52:54:00:aa:bb:01 vlan 20\n"
    );
}

#[test]
fn libvirt_refuses_a_vf_another_vm_holds_in_one_line() {
    let tree = busy_host();
    let xml = domain(2, "pf=\"enp1s0f0\" vlan=\"7\"");
    let (rc, err, _) = run(
        &tree,
        Path::new(HOOK),
        &["web", "prepare", "begin", "-"],
        &xml,
    );
    assert_eq!(rc, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("vfnet hook: domain web not started: "),
        "{err}"
    );
    assert!(
        err.contains("VF 1 (0000:02:10.2) is in use: vm:win11"),
        "{err}"
    );
}

#[test]
fn libvirt_refuses_metadata_that_is_not_plain_or_no_setting() {
    let tree = busy_host();
    for (attrs, want) in [
        (
            "pf=\"enp1s0f0\" mac=\"$(reboot)\"",
            "vfnet:vf mac is not plain",
        ),
        (
            "pf=\"enp1s0f0\" speed=\"10\"",
            "vfnet:vf speed is no setting",
        ),
        ("mac=\"52:54:00:00:00:01\"", "vfnet:vf needs pf or pci"),
    ] {
        let (rc, err, log) = run(
            &tree,
            Path::new(HOOK),
            &["web", "start", "begin", "-"],
            &domain(0, attrs),
        );
        assert_eq!(rc, 1, "{attrs}");
        assert!(err.contains(want), "{attrs}: {err}");
        assert_eq!(log, "", "{attrs}: nothing is run");
    }
}

#[test]
fn a_domain_name_is_shown_escaped_and_cut() {
    let tree = busy_host();
    let name = format!("evil\x1b[2J{}", "x".repeat(100));
    let (rc, err, _) = run(
        &tree,
        Path::new(HOOK),
        &[&name, "prepare", "begin", "-"],
        &domain(2, "pf=\"enp1s0f0\""),
    );
    assert_eq!(rc, 1);
    assert!(!err.contains('\x1b'), "{err:?}");
    let shown = format!("domain evil??2J{} not started", "x".repeat(56));
    assert!(err.contains(&shown), "{err:?}");
}

#[test]
fn proxmox_sets_from_the_mapping_file_and_refuses_a_vf_in_use() {
    let tree = busy_host();
    let dir = stand_ins(&tree);
    std::fs::write(
        dir.join("qm.conf"),
        "boot: order=scsi0\nhostpci0: 0000:02:10.0,pcie=1\nmemory: 4096\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("proxmox.conf"),
        "# VM 100\n100.hostpci0.mac=52:54:00:aa:bb:01\n100.hostpci0.vlan=20\n1000.hostpci0.vlan=9\n",
    )
    .unwrap();
    let hook = Path::new(HOOK);
    let (rc, err, log) = run(&tree, hook, &["100", "pre-start"], "");
    assert_eq!((rc, err.as_str()), (0, ""));
    assert_eq!(
        log,
        "vfnet vf 0000:01:00.0 0 free\nvfnet vf 0000:01:00.0 0 mac 52:54:00:aa:bb:01 vlan 20\n"
    );
    let (rc, _, log) = run(&tree, hook, &["100", "post-stop"], "");
    assert_eq!(rc, 0);
    assert_eq!(
        log,
        "vfnet vf 0000:01:00.0 0 mac 00:00:00:00:00:00 vlan 0\n"
    );
    // A second VF that the VM win11 holds: the start is refused in one
    // line, and what was set on the first is undone.
    std::fs::write(
        dir.join("qm.conf"),
        "hostpci0: 0000:02:10.0,pcie=1\nhostpci1: host=02:10.2\n",
    )
    .unwrap();
    let (rc, err, log) = run(&tree, hook, &["100", "pre-start"], "");
    assert_eq!(rc, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("vfnet hook: VM 100 not started: "), "{err}");
    assert!(err.contains("is in use: vm:win11"), "{err}");
    assert!(
        log.ends_with(
            "vfnet vf 0000:01:00.0 1 free\nvfnet vf 0000:01:00.0 0 mac 00:00:00:00:00:00 vlan 0\n"
        ),
        "{log}"
    );
}

#[test]
fn the_installed_hooks_are_the_same_program() {
    let tree = busy_host();
    let before = snapshot(tree.root());
    vfnet(
        tree.root(),
        &[
            "install",
            "--dry-run",
            "--init",
            "systemd",
            "--hooks",
            "libvirt,proxmox",
        ],
    )
    .code(0)
    .out_has("/etc/libvirt/hooks/qemu.d/vfnet");
    assert_eq!(
        diff(&before, &snapshot(tree.root())),
        Vec::<String>::new(),
        "a dry run writes nothing"
    );
    let r = vfnet(
        tree.root(),
        &["install", "--init", "systemd", "--hooks", "libvirt,proxmox"],
    );
    r.code(0);
    let libvirt = tree.path("etc/libvirt/hooks/qemu.d/vfnet");
    let proxmox = tree.path("var/lib/vz/snippets/vfnet");
    assert_eq!(
        std::fs::read(&libvirt).unwrap(),
        std::fs::read(&proxmox).unwrap()
    );
    libvirt_lifecycle(&libvirt, &domain(0, LIFECYCLE));
    let r = vfnet(tree.root(), &["uninstall", "--hooks"]);
    r.code(0);
    assert!(!libvirt.exists() && !proxmox.exists());
    assert!(
        tree.path("etc/systemd/system/vfnet.service").exists(),
        "uninstall --hooks removes the hooks alone"
    );
}

#[test]
fn proxmox_resolves_a_resource_mapping_for_this_node() {
    let tree = busy_host();
    let dir = stand_ins(&tree);
    // A mapping with an entry per node: this node's is VF 0, another's
    // VF 1 (which win11 holds here, and must not be looked at).
    write_file(
        &tree.root().join("etc/pve/mapping/pci.cfg"),
        b"vf-pool\n\tmap id=8086:1515,iommugroup=17,node=pve1,path=0000:02:10.0,subsystem-id=8086:0000\n\
          \tmap id=8086:1515,node=pve2,path=0000:02:10.2\n\tdescription a VF for VM 100\n\n\
          other\n\tmap node=pve1,path=0000:02:10.2\n",
        0o644,
    );
    std::fs::write(dir.join("qm.conf"), "hostpci0: mapping=vf-pool,pcie=1\n").unwrap();
    std::fs::write(dir.join("proxmox.conf"), "100.hostpci0.vlan=20\n").unwrap();
    let run_on = |node: &str| {
        let (rc, err, log) = run_env(
            &tree,
            Path::new(HOOK),
            &["100", "pre-start"],
            "",
            &[("VFNET_HOOK_NODE", node)],
        );
        (Some(rc), err, log)
    };
    let (rc, err, log) = run_on("pve1");
    assert_eq!((rc, err.as_str()), (Some(0), ""), "{log}");
    assert_eq!(
        log,
        "vfnet vf 0000:01:00.0 0 free\nvfnet vf 0000:01:00.0 0 vlan 20\n"
    );
    // On pve2 the mapping names VF 1, which win11 holds: refused.
    let (rc, err, _) = run_on("pve2");
    assert_eq!(rc, Some(1), "{err}");
    assert!(err.contains("is in use: vm:win11"), "{err}");
    // A node the mapping has no entry for: nothing of this VM is a VF here.
    let (rc, _, log) = run_on("pve3");
    assert_eq!((rc, log.as_str()), (Some(0), ""));
}
