//! Fault tests: many writers at once, writers killed at random moments, a
//! read-only or full file system, an untrusted config file, symlinks
//! planted where vfnet writes, and a kernel that is slow or never finishes.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::*;
use vfnet::config::{Config, Line};
use vfnet::pci::PciAddr;

fn conf(tree: &Tree) -> String {
    std::fs::read_to_string(tree.path("etc/vfnet/vfnet.conf")).unwrap_or_default()
}

#[test]
fn sixty_four_concurrent_persists_keep_all_entries_once() {
    let tree = Tree::build(&many(64, 0));
    std::fs::create_dir_all(tree.path("etc/vfnet")).unwrap();
    let pfs: Vec<String> = tree.machine().pfs().map(|p| p.addr.clone()).collect();
    assert_eq!(pfs.len(), 64);
    let children: Vec<_> = pfs
        .iter()
        .enumerate()
        .map(|(i, pf)| {
            let n = (i % 100 + 1).to_string();
            support::run::command(tree.root(), &["persist", pf, &n])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = conf(&tree);
    let cfg = Config::parse("/c".into(), &text);
    assert_eq!(cfg.errors().count(), 0);
    for (i, pf) in pfs.iter().enumerate() {
        let addr = PciAddr::parse(pf).unwrap();
        let entries: Vec<u32> = cfg
            .entries()
            .filter(|e| e.key.to_string() == *pf)
            .map(|e| e.count)
            .collect();
        assert_eq!(entries, [(i % 100 + 1) as u32], "{addr}");
    }
    assert_eq!(cfg.entries().count(), 64);
    // Only the file and its lock remain: no temp files.
    let mut names: Vec<_> = std::fs::read_dir(tree.path("etc/vfnet"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["vfnet.conf", "vfnet.conf.lock"]);
}

/// A small deterministic generator for the kill delays.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

#[test]
fn persist_killed_at_any_moment_leaves_the_old_file_or_the_new_one() {
    let tree = Tree::build(&x550t());
    let path = tree.path("etc/vfnet/vfnet.conf");
    std::fs::write(&path, "# keep this comment\n# enp1s0f0\n0000:01:00.0=4\n").unwrap();
    let mut rng = Lcg(0x5eed);
    let (mut old_seen, mut new_seen) = (0, 0);
    for i in 0..200 {
        let old = std::fs::read(&path).unwrap();
        let n = 1 + (i % 60) as u32;
        let mut expect = Config::parse(path.clone(), &old);
        expect.set(
            PciAddr::parse("0000:01:00.1").unwrap(),
            &[vfnet::ifname::IfName::parse("enp1s0f1").unwrap()],
            n,
        );
        let new = expect.render();
        let mut child =
            support::run::command(tree.root(), &["persist", "enp1s0f1", &n.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
        std::thread::sleep(Duration::from_micros(rng.next(3000)));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let now = std::fs::read(&path).unwrap();
        assert!(
            now == old || now == new,
            "run {i}: torn file:\n{}",
            String::from_utf8_lossy(&now)
        );
        if now == old && old != new {
            old_seen += 1;
        } else {
            new_seen += 1;
        }
        let cfg = Config::parse(path.clone(), &now);
        assert!(
            cfg.lines.iter().all(|l| !matches!(l, Line::Bad { .. })),
            "run {i}"
        );
        assert!(now.starts_with(b"# keep this comment\n"));
    }
    // Both outcomes happened: the kills landed before and after the rename.
    assert!(
        old_seen > 0 && new_seen > 0,
        "old {old_seen}, new {new_seen}"
    );
    // A temp file a kill left behind does not stop the next persist.
    vfnet(tree.root(), &["persist", "enp1s0f1", "9"]).code(0);
    assert!(conf(&tree).contains("0000:01:00.1=9\n"));
}

/// Runs `script` as root in a private mount namespace (so mounts made there
/// never reach the host), with `$VFNET` the binary under test. `None` when
/// no mount namespace can be made here: the caller skips, saying so.
fn in_mount_namespace(script: &str) -> Option<std::process::Output> {
    let unshare = if support::run::is_root() {
        vec!["--mount", "--propagation", "private"]
    } else {
        vec!["-Urm"]
    };
    let probe = Command::new("unshare")
        .args(&unshare)
        .arg("true")
        .output()
        .ok()?;
    if !probe.status.success() {
        return None;
    }
    Some(
        Command::new("unshare")
            .args(&unshare)
            .args(["sh", "-ec", script])
            .env("VFNET", support::run::bin())
            .output()
            .unwrap(),
    )
}

/// Runs `persist enp1s0f1 2` on an x550t tree whose config directory `$D`
/// is a tmpfs (mounted with `mount_opts`) holding `0000:01:00.0=4`, after
/// the shell commands `then`, in a private mount namespace. Returns stdout
/// (`rc=N`, then the config file and the directory listing) and stderr;
/// `None` when no mount namespace can be made here.
fn persist_on_tmpfs(mount_opts: &str, then: &str) -> Option<(String, String)> {
    let tree = Tree::build(&x550t());
    let script = format!(
        "D='{d}'\nmount -t tmpfs {mount_opts} tmpfs \"$D\"\nprintf '0000:01:00.0=4\\n' > \"$D/vfnet.conf\"\n{then}\n\
         set +e\n\"$VFNET\" --root '{r}' persist enp1s0f1 2; echo \"rc=$?\"\ncat \"$D/vfnet.conf\"; ls \"$D\"",
        d = tree.path("etc/vfnet").display(),
        r = tree.root().display()
    );
    let Some(out) = in_mount_namespace(&script) else {
        eprintln!("skipped: no mount namespace here (unshare failed)");
        return None;
    };
    Some((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// One clear line, exit 1, the old file intact, no temp file left.
fn failed_cleanly(stdout: &str, stderr: &str, why: &str) {
    assert!(stdout.contains("rc=1\n"), "{stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(why), "{stderr}");
    assert!(stdout.contains("rc=1\n0000:01:00.0=4\n"), "{stdout}");
    assert!(
        !stdout.contains("vfnet.conf.tmp"),
        "the temp file is removed: {stdout}"
    );
}

#[test]
fn a_read_only_config_directory_is_a_clear_error_and_the_file_stays() {
    if let Some((stdout, stderr)) = persist_on_tmpfs("", "mount -o remount,ro \"$D\"") {
        failed_cleanly(&stdout, &stderr, "Read-only file system");
    }
}

#[test]
fn a_full_file_system_is_a_clear_error_and_the_file_stays() {
    let fill = "touch \"$D/vfnet.conf.lock\"; dd if=/dev/zero of=\"$D/filler\" bs=1k count=1000 2>/dev/null || true";
    if let Some((stdout, stderr)) = persist_on_tmpfs("-o size=64k", fill) {
        failed_cleanly(&stdout, &stderr, "No space left on device");
    }
}

#[test]
fn apply_refuses_a_config_others_could_write() {
    use std::os::unix::fs::PermissionsExt;
    let tree = Tree::build(&x550t());
    let _k = FakeKernel::start(&tree, KernelOpts::default());
    let path = tree.path("etc/vfnet/vfnet.conf");
    std::fs::write(&path, "0000:01:00.1=2\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    vfnet(tree.root(), &["apply"]).code(1).one_error(&format!(
        "refusing {p}: it can be written by other users (mode 0666): chmod go-w {p}",
        p = path.display()
    ));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(
        path.parent().unwrap(),
        std::fs::Permissions::from_mode(0o777),
    )
    .unwrap();
    vfnet(tree.root(), &["apply"])
        .code(1)
        .one_error("the directory");
    std::fs::set_permissions(
        path.parent().unwrap(),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    if support::run::is_root() {
        std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
        vfnet(tree.root(), &["apply"])
            .code(1)
            .one_error("is owned by uid 65534, not root: chown root");
        std::os::unix::fs::chown(&path, Some(0), None).unwrap();
    }
    assert!(tree.vfs("0000:01:00.1").is_empty(), "nothing was applied");
    vfnet(tree.root(), &["apply"]).code(0);
    assert_eq!(tree.vfs("0000:01:00.1").len(), 2);
}

#[test]
fn a_symlink_at_the_temp_path_is_not_followed() {
    let tree = Tree::build(&x550t());
    let victim = tree.path("victim");
    std::fs::write(&victim, "keep").unwrap();
    std::os::unix::fs::symlink(&victim, tree.path("etc/vfnet/vfnet.conf.tmp")).unwrap();
    vfnet(tree.root(), &["persist", "enp1s0f1", "1"]).code(0);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    assert!(conf(&tree).contains("0000:01:00.1=1\n"));
    assert!(!Path::new(&tree.path("etc/vfnet/vfnet.conf.tmp")).exists());
}

#[test]
fn a_slow_kernel_is_waited_for_within_the_deadline() {
    let tree = Tree::build(&igb_qemu());
    let opts = KernelOpts {
        create_delay: Duration::from_millis(1500),
        ..KernelOpts::default()
    };
    let k = FakeKernel::start(&tree, opts);
    let start = Instant::now();
    vfnet(tree.root(), &["set", "eth0", "3", "--timeout", "10"])
        .code(0)
        .out_has("0 -> 3 VFs");
    assert!(start.elapsed() >= Duration::from_millis(1500));
    assert_eq!(tree.vfs("0000:01:00.0").len(), 3);
    // Too slow for the deadline: vfnet gives up and says what it saw.
    vfnet(tree.root(), &["set", "eth0", "0"]).code(0);
    let start = Instant::now();
    vfnet(tree.root(), &["set", "eth0", "2", "--timeout", "0.5"])
        .code(1)
        .one_error("eth0 (0000:01:00.0): 2 was written to sriov_numvfs (it reads 2), but the deadline came after 0.50 s: the kernel shows 0 of 2 VFs, 0 with a driver");
    assert!(
        start.elapsed() < Duration::from_millis(1400),
        "{:?}",
        start.elapsed()
    );
    assert!(k.wait_idle(Duration::from_secs(10)));
    assert_eq!(k.violations(), []);
}
