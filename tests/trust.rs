//! Never leave the host worse than vfnet found it: each test is one promise
//! of the "trust" list (config files are hostile, state changes finish or
//! say where they stopped, --root is a sandbox, boot glue is code, messages
//! are safe), asserting the end state: the file, the VF count, the lock,
//! nothing outside the root.

mod support;

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::*;

fn conf(tree: &Tree) -> std::path::PathBuf {
    tree.path("etc/vfnet/vfnet.conf")
}

fn write_conf(tree: &Tree, bytes: &[u8]) {
    std::fs::create_dir_all(tree.path("etc/vfnet")).unwrap();
    std::fs::write(conf(tree), bytes).unwrap();
}

fn with_config(root: &Path, config: &Path, args: &[&str]) -> Run {
    let mut all = vec!["--config", config.to_str().unwrap()];
    all.extend_from_slice(args);
    vfnet(root, &all)
}

// ------------------------------------------------------------ config files

#[test]
fn a_fifo_config_is_refused_at_once_never_read() {
    let tree = Tree::build(&igb_qemu());
    std::fs::create_dir_all(tree.path("etc/vfnet")).unwrap();
    nix::unistd::mkfifo(
        &conf(&tree),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    let start = Instant::now();
    vfnet(tree.root(), &["apply"]).code(1).one_error(
        "is a FIFO (named pipe), not a regular file: refusing to read it as a config file",
    );
    vfnet(tree.root(), &["persist", "eth0", "1"])
        .code(1)
        .one_error("is a FIFO (named pipe), not a regular file");
    // list warns and still lists.
    vfnet(tree.root(), &["list"])
        .code(0)
        .out_has("0000:01:00.0")
        .err_has("warning: ");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    let kind = std::fs::symlink_metadata(conf(&tree)).unwrap().file_type();
    assert!(
        std::os::unix::fs::FileTypeExt::is_fifo(&kind),
        "the FIFO is left as it was"
    );
}

#[test]
fn devices_sockets_and_directories_are_not_config_files() {
    let tree = Tree::build(&igb_qemu());
    // Under --root an absolute --config is a path of the tree's system; the
    // host's device nodes are reached by relative paths, taken as given.
    let up = "../".repeat(std::env::current_dir().unwrap().components().count() - 1);
    let dir_path = tree.root().display().to_string();
    for (path, what) in [
        (format!("{up}dev/zero"), "a character device"),
        (format!("{up}dev/null"), "a character device"),
        (dir_path, "a directory"),
    ] {
        let start = Instant::now();
        with_config(tree.root(), Path::new(&path), &["apply"])
            .code(1)
            .one_error(&format!(
                "{} is {what}, not a regular file",
                path.trim_start_matches(&*up)
            ));
        assert!(start.elapsed() < Duration::from_secs(2), "{path}");
    }
    let dir = tree.path("srv");
    std::fs::create_dir_all(&dir).unwrap();
    let sock = dir.join("sock");
    let _l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    with_config(tree.root(), Path::new("/srv/sock"), &["apply"])
        .code(1)
        .one_error("is a socket, not a regular file");
}

#[test]
fn under_root_an_absolute_config_is_the_tree_s_as_install_takes_it() {
    let tree = Tree::build(&x550t());
    std::fs::create_dir_all(tree.path("mnt/tank/vfnet")).unwrap();
    std::fs::write(tree.path("mnt/tank/vfnet/vfnet.conf"), "0000:01:00.1=0\n").unwrap();
    // list, apply, persist and doctor all read the tree's file.
    with_config(
        tree.root(),
        Path::new("/mnt/tank/vfnet/vfnet.conf"),
        &["apply", "--dry-run"],
    )
    .code(0)
    .out_has("enp1s0f1 (0000:01:00.1): 0 VFs, as configured.");
    with_config(
        tree.root(),
        Path::new("/mnt/tank/vfnet/vfnet.conf"),
        &["persist", "enp1s0f1", "2"],
    )
    .code(0);
    let text = std::fs::read_to_string(tree.path("mnt/tank/vfnet/vfnet.conf")).unwrap();
    assert!(text.contains("0000:01:00.1=2"), "{text}");
    assert!(
        !Path::new("/mnt/tank/vfnet/vfnet.conf").exists(),
        "nothing on the host"
    );
    // Under the root, a link and `..` in the named path stay in the tree.
    std::fs::create_dir_all(tree.path("srv")).unwrap();
    symlink("/mnt/tank/vfnet/vfnet.conf", tree.path("srv/abs.conf")).unwrap();
    with_config(
        tree.root(),
        Path::new("/srv/abs.conf"),
        &["apply", "--dry-run"],
    )
    .code(0)
    .out_has("would change 0 -> 2 VFs");
    with_config(
        tree.root(),
        Path::new("/../../../mnt/tank/vfnet/vfnet.conf"),
        &["apply", "--dry-run"],
    )
    .code(0)
    .out_has("would change 0 -> 2 VFs");
    // A path already under the root is the same file.
    let full = tree.path("mnt/tank/vfnet/vfnet.conf");
    with_config(tree.root(), &full, &["apply", "--dry-run"])
        .code(0)
        .out_has("would change 0 -> 2 VFs");
    // A missing explicit --config is a doctor finding, not silence.
    let r = with_config(tree.root(), Path::new("/mnt/gone/vfnet.conf"), &["doctor"]);
    r.code(1).out_has("FAIL config ");
    assert!(r.stdout.contains("/mnt/gone/vfnet.conf"), "{}", r.stdout);
}

#[test]
fn a_config_over_the_cap_is_refused_without_reading_it() {
    let tree = Tree::build(&igb_qemu());
    write_conf(&tree, b"");
    // A sparse 64 GiB file: reading it would take minutes and all memory.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(conf(&tree))
        .unwrap();
    f.set_len(64 << 30).unwrap();
    let start = Instant::now();
    vfnet(tree.root(), &["apply"])
        .code(1)
        .one_error("is too large for a config file (68719476736 bytes; at most 1048576)");
    assert!(start.elapsed() < Duration::from_secs(2));
    // Just over the cap is refused too; at the cap is read.
    std::fs::write(conf(&tree), vec![b'#'; (1 << 20) + 1]).unwrap();
    vfnet(tree.root(), &["apply"])
        .code(1)
        .one_error("too large");
    let mut at_cap = vec![b'#'; (1 << 20) - 1];
    at_cap.push(b'\n');
    std::fs::write(conf(&tree), at_cap).unwrap();
    vfnet(tree.root(), &["apply", "--dry-run"]).code(0);
}

#[test]
fn one_bad_byte_spoils_one_line_and_bom_and_crlf_are_fine() {
    let tree = Tree::build(&x550t());
    let k = FakeKernel::start(&tree, KernelOpts::default());
    let text: &[u8] = b"\xef\xbb\xbf# a comment with a bad byte \xff\r\n\
        0000:01:00.1=2\r\n\
        enp1s0f\xfe0=3\r\n\
        0000:01:00.0=4 # \xff\xfe in a trailing comment\r\n";
    write_conf(&tree, text);
    let r = vfnet(tree.root(), &["apply"]);
    r.code(1)
        .out_has("enp1s0f1 (0000:01:00.1): 0 -> 2 VFs")
        .out_has("enp1s0f0 (0000:01:00.0): 4 VFs, as configured")
        .err_has(":3: not valid UTF-8 text: 'enp1s0f\\xfe0=3' (the line is skipped)")
        .err_has("1 of 3 config entries failed (line 3); the others were applied");
    assert_eq!(tree.vfs("0000:01:00.1").len(), 2);
    // persist keeps every other line byte for byte, bad bytes included.
    vfnet(tree.root(), &["persist", "enp1s0f1", "5"]).code(0);
    let after = std::fs::read(conf(&tree)).unwrap();
    let want: Vec<u8> = [
        &b"\xef\xbb\xbf# a comment with a bad byte \xff\r\n"[..],
        b"# enp1s0f1\n",
        b"0000:01:00.1=5\n",
        b"enp1s0f\xfe0=3\r\n",
        b"0000:01:00.0=4 # \xff\xfe in a trailing comment\r\n",
    ]
    .concat();
    assert_eq!(
        String::from_utf8_lossy(&after),
        String::from_utf8_lossy(&want)
    );
    assert_eq!(after, want);
    assert!(k.wait_idle(Duration::from_secs(5)));
}

#[test]
fn echoed_input_is_short_and_cannot_forge_lines_or_move_the_cursor() {
    let tree = Tree::build(&x550t());
    let evil = format!("\x1b[2J\rvfnet: all good{}=1\n", "A".repeat(5000));
    write_conf(&tree, evil.as_bytes());
    let r = vfnet(tree.root(), &["apply", "--dry-run"]);
    r.code(1);
    assert_eq!(r.stderr.lines().count(), 2, "{}", r.stderr);
    for line in r.stderr.lines() {
        assert!(!line.contains('\x1b') && !line.contains('\r'), "{line:?}");
        assert!(line.len() < 400, "{} bytes", line.len());
    }
    assert!(
        r.stderr.contains("\\x1b[2J\\rvfnet: all good"),
        "{}",
        r.stderr
    );
    // Command-line input too.
    for args in [
        &["set", "eth0\n\x1b[31m", "1"][..],
        &["set", "0000:01:00\n.0", "1"],
        &["--\x1b[2J"],
        &["apply", "--wait", "\x1bx"],
    ] {
        let r = vfnet(tree.root(), args);
        r.code(2);
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains('\x1b'), "{args:?}: {:?}", r.stderr);
    }
    let long = format!("0000:01:00.0{}", "x".repeat(3000));
    let r = vfnet(tree.root(), &["set", &long, "1"]);
    r.code(2);
    assert!(r.stderr.len() < 300, "{}", r.stderr);
}

#[test]
fn a_symlinked_config_is_followed_and_stays_a_link() {
    // The tree's /etc/vfnet/vfnet.conf is an absolute link to the pool, as
    // on TrueNAS: under --root it means the tree's /mnt/tank, never the host's.
    let tree = Tree::build(&x550t());
    std::fs::create_dir_all(tree.path("etc/vfnet")).unwrap();
    std::fs::create_dir_all(tree.path("mnt/tank")).unwrap();
    std::fs::write(tree.path("mnt/tank/vfnet.conf"), "# on the pool\n").unwrap();
    let _ = std::fs::remove_file(conf(&tree));
    symlink("/mnt/tank/vfnet.conf", conf(&tree)).unwrap();
    vfnet(tree.root(), &["persist", "enp1s0f0", "3"])
        .code(0)
        .out_has("enp1s0f0 (0000:01:00.0): 3 VFs recorded");
    assert_eq!(
        std::fs::read_link(conf(&tree)).unwrap(),
        Path::new("/mnt/tank/vfnet.conf"),
        "the link stays a link"
    );
    assert_eq!(
        std::fs::read_to_string(tree.path("mnt/tank/vfnet.conf")).unwrap(),
        "# on the pool\n# enp1s0f0\n0000:01:00.0=3\n"
    );
    assert!(
        !Path::new("/mnt/tank/vfnet.conf").exists(),
        "nothing on the host"
    );
    let leftovers: Vec<_> = std::fs::read_dir(tree.path("etc/vfnet"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers,
        ["vfnet.conf"],
        "no temp or lock file next to the link"
    );
    // An explicit --config that is a relative link, in the tree's /srv.
    let dir = tree.path("srv");
    std::fs::create_dir_all(dir.join("pool")).unwrap();
    std::fs::write(dir.join("pool/real.conf"), "").unwrap();
    symlink("pool/real.conf", dir.join("link.conf")).unwrap();
    with_config(
        tree.root(),
        Path::new("/srv/link.conf"),
        &["persist", "enp1s0f1", "2"],
    )
    .code(0);
    let dir = tree.root().join("srv");
    assert!(
        std::fs::symlink_metadata(dir.join("link.conf"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(dir.join("pool/real.conf"))
            .unwrap()
            .contains("0000:01:00.1=2")
    );
}

#[test]
fn a_dangling_link_or_a_missing_named_config_is_an_error_not_nothing_to_apply() {
    let tree = Tree::build(&x550t());
    std::fs::create_dir_all(tree.path("etc/vfnet")).unwrap();
    let _ = std::fs::remove_file(conf(&tree));
    symlink("/mnt/tank/vfnet.conf", conf(&tree)).unwrap();
    vfnet(tree.root(), &["apply"])
        .code(1)
        .one_error("which does not exist: is the file system that holds it mounted");
    // persist cannot create it either: the pool's directory is not there.
    vfnet(tree.root(), &["persist", "enp1s0f0", "1"])
        .code(1)
        .one_error("is a symlink to");
    assert!(
        std::fs::symlink_metadata(conf(&tree))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let missing = tree.path("nowhere/vfnet.conf");
    with_config(tree.root(), &missing, &["apply"])
        .code(1)
        .one_error("no config file ");
    // The default path missing is still "nothing to apply".
    let plain = Tree::build(&igb_qemu());
    vfnet(plain.root(), &["apply"])
        .code(0)
        .out_has("nothing to apply");
}

#[test]
fn trust_is_judged_on_the_file_opened_and_every_directory_above_it() {
    let tree = Tree::build(&x550t());
    write_conf(&tree, b"enp1s0f1=1\n");
    std::fs::set_permissions(conf(&tree), std::fs::Permissions::from_mode(0o666)).unwrap();
    vfnet(tree.root(), &["apply"])
        .code(1)
        .one_error("can be written by other users (mode 0666)");
    std::fs::set_permissions(conf(&tree), std::fs::Permissions::from_mode(0o644)).unwrap();
    // A group-writable directory anywhere above it.
    std::fs::set_permissions(tree.path("etc"), std::fs::Permissions::from_mode(0o775)).unwrap();
    vfnet(tree.root(), &["apply"]).code(1).one_error(&format!(
        "the directory {} can be written by other users (mode 0775)",
        tree.path("etc").display()
    ));
    std::fs::set_permissions(tree.path("etc"), std::fs::Permissions::from_mode(0o755)).unwrap();
    // Through a link: the target's directories count, not the link's.
    let pool = tree.path("mnt/pool");
    std::fs::create_dir_all(&pool).unwrap();
    std::fs::set_permissions(&pool, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::write(pool.join("v.conf"), "enp1s0f1=1\n").unwrap();
    std::fs::remove_file(conf(&tree)).unwrap();
    symlink("/mnt/pool/v.conf", conf(&tree)).unwrap();
    vfnet(tree.root(), &["apply"]).code(1).one_error(&format!(
        "the directory {} can be written by other users (mode 0777)",
        pool.display()
    ));
    assert!(
        tree.vfs("0000:01:00.1").is_empty(),
        "nothing applied from an untrusted file"
    );
}

#[test]
fn migrating_the_old_file_records_its_counts_not_the_live_ones() {
    let tree = Tree::build(&igb_qemu());
    std::fs::create_dir_all(tree.path("etc/vfnet")).unwrap();
    std::fs::write(tree.path("etc/vfnet/vf.config"), "eth0:3\n").unwrap();
    // eth0 has 0 VFs now: the old file's 3 is what must be kept.
    vfnet(tree.root(), &["persist"])
        .code(0)
        .out_has("Migrated 1 entries")
        .out_has("eth0 (0000:01:00.0): 3 VFs recorded");
    let text = std::fs::read_to_string(conf(&tree)).unwrap();
    assert!(text.contains("0000:01:00.0=3\n"), "{text}");
    assert!(!text.contains("=0"), "{text}");
}

// ------------------------------------------------ state changes finish

/// Waits until `cond` holds, up to 10 s.
fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}

#[test]
fn a_stop_signal_between_the_two_writes_is_held_until_n_is_written() {
    for sig in [
        nix::sys::signal::Signal::SIGTERM,
        nix::sys::signal::Signal::SIGINT,
        nix::sys::signal::Signal::SIGHUP,
    ] {
        let tree = Tree::build(&igb_qemu());
        let opts = KernelOpts {
            remove_delay: Duration::from_millis(800),
            ..KernelOpts::default()
        };
        let k = FakeKernel::start(&tree, opts);
        vfnet(tree.root(), &["set", "eth0", "3"]).code(0);
        let child = support::run::command(tree.root(), &["set", "eth0", "5"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // vfnet has written 0; the kernel is still removing the 3 VFs.
        assert!(eventually(|| tree.numvfs("0000:01:00.0") == Some(0)));
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, sig).unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            out.status.code(),
            Some(128 + sig as i32),
            "{sig}: {stderr} {:?}",
            out.status.signal()
        );
        assert!(
            stderr.contains(&format!(
                "vfnet: eth0 (0000:01:00.0): stopped by {}: the change was finished first: it has 5 VFs now",
                sig.as_str()
            )),
            "{stderr}"
        );
        assert!(k.wait_idle(Duration::from_secs(5)));
        assert_eq!(
            tree.vfs("0000:01:00.0").len(),
            5,
            "{sig}: never left at 0 VFs"
        );
        assert_eq!(k.violations(), []);
    }
}

#[test]
fn outside_the_window_a_stop_signal_stops_vfnet_at_once() {
    let tree = Tree::build(&igb_qemu());
    std::fs::create_dir_all(tree.path("run/vfnet")).unwrap();
    let f = std::fs::File::create(tree.path("run/vfnet/lock")).unwrap();
    let held = nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusive).unwrap();
    let mut child = support::run::command(tree.root(), &["set", "eth0", "2", "--timeout", "30"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(15));
    assert!(start.elapsed() < Duration::from_secs(1));
    drop(held);
    assert_eq!(tree.numvfs("0000:01:00.0"), Some(0));
}

#[test]
fn a_zero_timeout_is_a_usage_error_not_a_half_change() {
    let tree = Tree::build(&igb_qemu());
    let before = snapshot(tree.root());
    for args in [
        &["set", "eth0", "2", "--timeout", "0"][..],
        &["apply", "--timeout", "0"],
        &["vf", "eth0", "0", "trust", "on", "--timeout", "0.000"],
    ] {
        vfnet(tree.root(), args)
            .code(2)
            .one_error("takes seconds (more than 0");
    }
    assert_eq!(diff(&before, &snapshot(tree.root())), Vec::<String>::new());
}

#[test]
fn the_config_lock_has_a_deadline_and_names_its_holder() {
    let tree = Tree::build(&x550t());
    write_conf(&tree, b"# mine\n");
    let lock = tree.path("etc/vfnet/vfnet.conf.lock");
    std::fs::write(&lock, "777\n").unwrap();
    let f = std::fs::File::open(&lock).unwrap();
    let held = nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusive).unwrap();
    let start = Instant::now();
    let r = vfnet(
        tree.root(),
        &["persist", "enp1s0f0", "2", "--timeout", "1.5"],
    );
    r.code(1)
        .progress_has("waiting for ")
        .err_has("vfnet.conf.lock, held by pid 777")
        .err_has("another vfnet (pid 777) held the lock")
        .err_has("nothing was changed");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(1400) && took < Duration::from_secs(4),
        "{took:?}"
    );
    assert_eq!(std::fs::read_to_string(conf(&tree)).unwrap(), "# mine\n");
    drop(held);
    // Nothing is held now: the next persist gets the lock at once and
    // records its own pid in it.
    vfnet(tree.root(), &["persist", "enp1s0f0", "2"]).code(0);
    let pid: u32 = std::fs::read_to_string(&lock)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pid > 0);
}

#[test]
fn apply_plans_from_a_scan_taken_under_the_lock() {
    let tree = Tree::build(&igb_qemu());
    let k = FakeKernel::start(&tree, KernelOpts::default());
    std::fs::create_dir_all(tree.path("run/vfnet")).unwrap();
    write_conf(&tree, b"eth0=2\n");
    let f = std::fs::File::create(tree.path("run/vfnet/lock")).unwrap();
    let held = nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusive).unwrap();
    let child = support::run::command(tree.root(), &["apply"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // "Another vfnet" makes the change while apply waits for the lock.
    std::fs::write(tree.pci_dir("0000:01:00.0").join("sriov_numvfs"), "2\n").unwrap();
    assert!(k.wait_idle(Duration::from_secs(5)));
    drop(held);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout, "eth0 (0000:01:00.0): 2 VFs, as configured.\n");
}

#[test]
fn one_budget_bounds_apply_and_failures_count_per_entry() {
    // vfio-pci is loaded but never takes a VF (nothing binds in a tree):
    // before, each of the 4 VFs got a fresh deadline of its own.
    let tree = Tree::build(&x550t());
    std::fs::create_dir_all(tree.path("sys/bus/pci/drivers/vfio-pci")).unwrap();
    write_conf(&tree, b"0000:01:00.0=4\n0000:01:00.0.vfs.driver=vfio-pci\n");
    let start = Instant::now();
    let r = vfnet(tree.root(), &["apply", "--timeout", "1"]);
    let took = start.elapsed();
    r.code(1)
        .out_has("enp1s0f0 (0000:01:00.0): 4 VFs, as configured.")
        .err_has(":2: VF 0000:02:10.0: vfio-pci did not take the VF by the deadline")
        .err_has("undone: it is back on driver ixgbevf, as it was")
        .err_has(":2: enp1s0f0 (0000:01:00.0) VF 3: not applied: apply's time budget (1.00 s")
        .err_has("1 of 2 config entries failed (line 2); the others were applied");
    assert!(took < Duration::from_secs(3), "{took:?}");
    for n in 0..4 {
        let o = std::fs::read_to_string(tree.vf_dir("0000:01:00.0", n).join("driver_override"))
            .unwrap();
        assert_ne!(o.trim(), "vfio-pci", "VF {n} keeps no override");
    }
}

#[test]
fn a_vfio_binding_that_does_not_complete_is_undone() {
    let tree = Tree::build(&x550t());
    std::fs::create_dir_all(tree.path("sys/bus/pci/drivers/vfio-pci")).unwrap();
    let r = vfnet(
        tree.root(),
        &[
            "vf",
            "enp1s0f0",
            "1",
            "driver",
            "vfio-pci",
            "--timeout",
            "0.5",
        ],
    );
    r.code(1)
        .out_has("enp1s0f0 (0000:01:00.0) VF 1: nothing changed.")
        .err_has("VF 0000:02:10.2: vfio-pci did not take the VF by the deadline (dmesg may say why); undone: it is back on driver ixgbevf, as it was");
    let o =
        std::fs::read_to_string(tree.vf_dir("0000:01:00.0", 1).join("driver_override")).unwrap();
    assert_eq!(o, "\n", "the override is cleared");
}

#[test]
fn a_closed_pipe_ends_quietly_and_a_full_disk_is_one_error() {
    let tree = Tree::build(&many(4, 64));
    let mut child = support::run::command(tree.root(), &["list", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = support::run::command(tree.root(), &["list"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "vfnet: cannot write to standard output: No space left on device\n"
    );
}

// ------------------------------------------------------ --root is a sandbox

#[test]
fn absolute_links_in_a_tree_resolve_inside_it() {
    let tree = Tree::build(&x550t());
    let before = run_list(&tree);
    // Rewrite every link of the tree the way other tools' dumps store them:
    // absolute, from the tree's /.
    absolutize(tree.root(), &tree.path("sys"));
    assert_eq!(
        run_list(&tree),
        before,
        "the same listing through absolute links"
    );
}

fn run_list(tree: &Tree) -> String {
    let r = vfnet(tree.root(), &["list", "--json"]);
    r.code(0);
    r.stdout.clone()
}

/// Makes every symlink below `dir` absolute (as seen from `root`).
fn absolutize(root: &Path, dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let meta = std::fs::symlink_metadata(&p).unwrap();
        if meta.file_type().is_symlink() {
            let t = std::fs::read_link(&p).unwrap();
            if t.is_relative() {
                let real = std::fs::canonicalize(p.parent().unwrap().join(&t));
                if let Ok(real) = real {
                    let inside = Path::new("/").join(
                        real.strip_prefix(std::fs::canonicalize(root).unwrap())
                            .unwrap(),
                    );
                    std::fs::remove_file(&p).unwrap();
                    symlink(inside, &p).unwrap();
                }
            }
        } else if meta.is_dir() {
            absolutize(root, &p);
        }
    }
}

/// A VF's directory that is itself a link to the host: the listing reads
/// the tree's copy at that path (as every link in a tree means), never the
/// host's, though VFs are opened with a short walk from their PF's parent.
#[test]
fn a_vf_directory_linked_to_the_host_is_read_inside_the_tree() {
    let tree = Tree::build(&connectx3());
    let before = run_list(&tree);
    let vf = tree.vf_dir("0000:03:00.0", 0);
    let host = tempfile::tempdir().unwrap();
    let hosted = host.path().join("vf");
    // The host's copy says another MAC; the tree's copy, at the same path
    // inside the tree, is the VF's own directory, moved.
    let copy = std::process::Command::new("cp")
        .arg("-a")
        .arg(&vf)
        .arg(&hosted)
        .status()
        .unwrap();
    assert!(copy.success());
    std::fs::write(hosted.join("net/enp3s0v0/address"), "de:ad:be:ef:00:01\n").unwrap();
    let inside = tree.root().join(hosted.strip_prefix("/").unwrap());
    std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
    std::fs::rename(&vf, &inside).unwrap();
    symlink(&hosted, &vf).unwrap();
    let after = run_list(&tree);
    assert!(
        !after.contains("de:ad:be:ef"),
        "the host's file was read: {after}"
    );
    assert_eq!(after, before, "the same listing through the VF's link");
}

/// A device node in a tree is never opened, by list, capture or set (a
/// capture unpacked as root keeps them; opening one can act: a watchdog
/// arms, a tape rewinds). The PF's `sriov_totalvfs` is made the null
/// device, watched with inotify: no one opens it, and its value is unknown.
#[test]
fn a_device_node_in_a_tree_is_never_opened() {
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    use nix::sys::stat::{Mode, SFlag, mknod, stat};
    let tree = Tree::build(&igb_qemu());
    let attr = tree.pci_dir("0000:01:00.0").join("sriov_totalvfs");
    std::fs::remove_file(&attr).unwrap();
    let null = stat("/dev/null").unwrap().st_rdev;
    if let Err(e) = mknod(&attr, SFlag::S_IFCHR, Mode::from_bits_truncate(0o666), null) {
        eprintln!("skipped: cannot make a device node here ({e}); needs CAP_MKNOD");
        return;
    }
    let ino = Inotify::init(InitFlags::IN_NONBLOCK).unwrap();
    ino.add_watch(&attr, AddWatchFlags::IN_OPEN).unwrap();
    let r = vfnet(tree.root(), &["list", "--json"]);
    r.code(0);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["pfs"][0]["pci"], "0000:01:00.0");
    assert_eq!(
        doc["pfs"][0]["total_vfs"],
        serde_json::Value::Null,
        "{}",
        r.stdout
    );
    let tar = tree.root().join("c.tar");
    vfnet(tree.root(), &["capture", tar.to_str().unwrap()]);
    vfnet(
        tree.root(),
        &["--config", "/nonexistent", "apply", "--dry-run"],
    );
    let opened = ino.read_events().map(|e| e.len()).unwrap_or(0);
    assert_eq!(opened, 0, "vfnet opened the device node {opened} time(s)");
}

#[test]
fn a_link_to_the_host_in_a_tree_never_reaches_the_host() {
    let tree = Tree::build(&igb_qemu());
    let host = tempfile::tempdir().unwrap();
    let victim = host.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    // The PF's sriov_numvfs is a link to a host file; with --root it means
    // the same path inside the tree.
    let attr = tree.pci_dir("0000:01:00.0").join("sriov_numvfs");
    std::fs::remove_file(&attr).unwrap();
    symlink(&victim, &attr).unwrap();
    let inside = tree.root().join(victim.strip_prefix("/").unwrap());
    std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
    std::fs::write(&inside, "0\n").unwrap();
    let _ = vfnet(tree.root(), &["set", "eth0", "1", "--timeout", "0.3"]);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(
        std::fs::read_to_string(&inside).unwrap(),
        "1\n",
        "written inside the tree"
    );
    // The state lock: /run a link to the host's /run.
    let tree = Tree::build(&igb_qemu());
    symlink("/run", tree.path("run")).unwrap();
    let _k = FakeKernel::start(&tree, KernelOpts::default());
    vfnet(tree.root(), &["set", "eth0", "1"]).code(0);
    assert!(
        !Path::new("/run/vfnet/lock").exists()
            || std::fs::metadata("/run/vfnet/lock")
                .unwrap()
                .modified()
                .unwrap()
                < std::time::SystemTime::now() - Duration::from_secs(60),
        "no lock on the host's /run"
    );
}

#[test]
fn a_malformed_virtfn_link_is_refused_before_any_write() {
    let tree = Tree::build(&x550t());
    std::fs::create_dir_all(tree.path("sys/bus/pci/drivers/vfio-pci")).unwrap();
    let link = tree.pci_dir("0000:01:00.0").join("virtfn1");
    for (target, why) in [
        ("../0000:01:00.0", "leads to the PF itself"),
        ("/etc", "does not name a PCI function"),
        ("../../../../../../../etc/0000:02:10.2", "leads to nothing"),
        ("../0000:01:00.1", "whose physfn is not this PF"),
        (
            "/tmp/0000:02:10.2",
            "does not lead to a PCI function under /sys/devices",
        ),
    ] {
        std::fs::remove_file(&link).unwrap();
        symlink(target, &link).unwrap();
        let before = snapshot(tree.root());
        vfnet(
            tree.root(),
            &["vf", "enp1s0f0", "1", "driver", "vfio-pci", "-t", "0.5"],
        )
        .code(1)
        .err_has(&format!(
            "refusing to touch it: its virtfn1 link ({target}) "
        ))
        .err_has(why);
        assert_eq!(
            diff(&before, &snapshot(tree.root())),
            Vec::<String>::new(),
            "{target}"
        );
    }
}

#[test]
fn long_link_targets_are_read_whole() {
    let tree = Tree::build(&x550t());
    let before = run_list(&tree);
    // A 600-byte target that leads to the same place.
    let link = tree.pci_dir("0000:01:00.0").join("virtfn2");
    let target = std::fs::read_link(&link).unwrap();
    let long = format!("{}{}", "../0000:01:00.0/".repeat(36), target.display());
    assert!(long.len() > 500);
    std::fs::remove_file(&link).unwrap();
    symlink(&long, &link).unwrap();
    assert_eq!(run_list(&tree), before);
}

#[test]
fn install_under_root_keeps_a_pool_config_inside_the_root() {
    let root = tempfile::tempdir().unwrap();
    let r = vfnet(
        root.path(),
        &[
            "--config",
            "/mnt/tank/vfnet/vfnet.conf",
            "install",
            "--init",
            "truenas",
        ],
    );
    r.code(0).out_has(
        "not run under --root: midclt call initshutdownscript.create {\"type\":\"COMMAND\",\"command\":\"/mnt/tank/vfnet/vfnet --config /mnt/tank/vfnet/vfnet.conf apply --wait 30\"",
    );
    assert!(root.path().join("mnt/tank/vfnet/vfnet.conf").is_file());
    assert!(root.path().join("mnt/tank/vfnet/vfnet").is_file());
    assert!(
        !Path::new("/mnt/tank/vfnet").exists(),
        "nothing on the host"
    );
}

// --------------------------------------------------------- boot glue

#[test]
fn a_config_path_with_shell_syntax_is_quoted_or_refused() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("usr/sbin")).unwrap();
    std::fs::write(root.path().join("usr/sbin/update-initramfs"), "").unwrap();
    let evil = "/mnt/my pool/$(touch pwned)`id`'q/vfnet.conf";
    let inside = root.path().join(evil.trim_start_matches('/'));
    std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
    vfnet(
        root.path(),
        &[
            "--config",
            inside.to_str().unwrap(),
            "install",
            "--init",
            "initramfs-tools",
        ],
    )
    .code(0);
    let hook =
        std::fs::read_to_string(root.path().join("etc/initramfs-tools/hooks/vfnet")).unwrap();
    let line = hook
        .lines()
        .find(|l| l.starts_with("VFNET_CONFIG="))
        .unwrap();
    // The shell reads it back as exactly the path, running nothing.
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{line}\nprintf %s \"$VFNET_CONFIG\""))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), evil);
    assert!(!dir.path().join("pwned").exists());
    // A systemd unit cannot hold a quote: refused before anything is written.
    let root2 = tempfile::tempdir().unwrap();
    let inside2 = root2.path().join(evil.trim_start_matches('/'));
    std::fs::create_dir_all(inside2.parent().unwrap()).unwrap();
    let before = snapshot(root2.path());
    let r = vfnet(
        root2.path(),
        &[
            "--config",
            inside2.to_str().unwrap(),
            "install",
            "--init",
            "systemd",
        ],
    );
    r.code(1)
        .one_error("cannot install the systemd glue for the config file");
    assert_eq!(r.stdout, "");
    assert_eq!(diff(&before, &snapshot(root2.path())), Vec::<String>::new());
}

#[test]
fn install_into_a_root_it_cannot_write_reports_nothing_as_written() {
    let root = tempfile::tempdir().unwrap();
    // /usr and /etc are files: nothing can be made under them.
    std::fs::write(root.path().join("etc"), "").unwrap();
    std::fs::write(root.path().join("usr"), "").unwrap();
    let r = vfnet(root.path(), &["install", "--init", "openrc"]);
    r.code(1).one_error("cannot create directory");
    assert_eq!(r.stdout, "", "nothing reported as written");
}

#[test]
fn install_records_the_drivers_an_initramfs_needs() {
    let tree = Tree::build(&igb_qemu());
    write_conf(&tree, b"0000:01:00.0=2\n");
    vfnet(
        tree.root(),
        &["install", "--init", "dracut", "--driver", "mlx5_core"],
    )
    .code(0)
    .out_has("wrote ");
    assert_eq!(
        std::fs::read_to_string(tree.path("etc/vfnet/drivers")).unwrap(),
        "# Kernel modules the initramfs needs for the PFs in vfnet.conf and their VFs.\n\
         # Written by vfnet install (vfnet install --driver NAME adds one); one per line.\n\
         igb\nigbvf\nmlx5_core\n"
    );
    // A later install where nothing is visible keeps what was recorded.
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc/vfnet")).unwrap();
    std::fs::write(root.path().join("etc/vfnet/vfnet.conf"), "0000:01:00.0=2\n").unwrap();
    let r = vfnet(root.path(), &["install", "--init", "dracut"]);
    r.code(0)
        .err_has("warning: no driver is known for the PFs in the config");
    std::fs::write(root.path().join("etc/vfnet/drivers"), "igb\n").unwrap();
    vfnet(
        root.path(),
        &["install", "--init", "dracut", "--driver", "igbvf"],
    )
    .code(0);
    assert!(
        std::fs::read_to_string(root.path().join("etc/vfnet/drivers"))
            .unwrap()
            .ends_with("igb\nigbvf\n")
    );
    vfnet(root.path(), &["install", "--driver", "../evil"])
        .code(2)
        .one_error("--driver takes kernel module names");
    // uninstall takes the record away with the glue.
    vfnet(root.path(), &["uninstall", "--init", "dracut"]).code(0);
    assert!(!root.path().join("etc/vfnet/drivers").exists());
    assert!(root.path().join("etc/vfnet/vfnet.conf").exists());
}

#[test]
fn the_dracut_module_adds_recorded_drivers_and_warns_when_none_is_known() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("vfnet.conf");
    let drivers = dir.path().join("drivers");
    // A PCI address no machine running this test has.
    std::fs::write(&conf, "0000:7e:1f.7=4\n").unwrap();
    let module = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("initramfs-hooks/dracut/90vfnet/module-setup.sh"),
    )
    .unwrap();
    let module = module
        .replace(
            "VFNET=/usr/local/sbin/vfnet",
            &format!("VFNET={}", support::run::bin().display()),
        )
        .replace(
            "VFNET_CONFIG=/etc/vfnet/vfnet.conf",
            &format!("VFNET_CONFIG={}", conf.display()),
        )
        .replace(
            "VFNET_DRIVERS=/etc/vfnet/drivers",
            &format!("VFNET_DRIVERS={}", drivers.display()),
        );
    std::fs::write(dir.path().join("module-setup.sh"), module).unwrap();
    let empty = tempfile::tempdir().unwrap();
    let run = || {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("instmods() { echo \"instmods $*\"; }; dwarn() { echo \"dwarn $*\"; }; . ./module-setup.sh; installkernel")
            .current_dir(dir.path())
            .env("VFNET_ROOT", empty.path())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let got = run();
    assert!(
        got.contains(
            "dwarn vfnet: configured PF(s) 0000:7e:1f.7 not visible here and no driver recorded"
        ),
        "{got}"
    );
    assert!(!got.contains("instmods"), "{got}");
    std::fs::write(&drivers, "# comment\nigb\nigbvf\nbad;name\n").unwrap();
    let got = run();
    assert_eq!(got, "instmods igb igbvf\n");
}

// ------------------------------------------------------------ messages

#[test]
fn messages_a_person_reads() {
    let tree = Tree::build(&x550t());
    vfnet(tree.root(), &["--frob"])
        .code(2)
        .one_error("invalid option '--frob' (see vfnet -h)");
    let r = vfnet(tree.root(), &["--frob"]);
    assert!(!r.stderr.starts_with("vfnet: vfnet:"), "{}", r.stderr);
    vfnet(tree.root(), &["apply", "--wait", "abc"])
        .code(2)
        .one_error("apply: --wait takes seconds (0, up to 86400, e.g. 30 or 2.5), not 'abc'");
    vfnet(tree.root(), &["persist", "enp1s0f0v0"])
        .code(1)
        .one_error("record the VF count of its PF (vfnet persist enp1s0f0 N)");
    vfnet(tree.root(), &["vf", "enp1s0f0v0", "0"])
        .code(1)
        .one_error("VF settings are made through its PF (vfnet vf enp1s0f0 INDEX SETTING VALUE");
    for args in [&["help", "-h"][..], &["help", "help"], &["help", "--help"]] {
        vfnet(tree.root(), args)
            .code(0)
            .out_has("Usage: vfnet [OPTIONS] [COMMAND]");
    }
    vfnet(tree.root(), &["set", "0000:01:00.8", "1"])
        .code(2)
        .one_error("'0000:01:00.8': PCI function 8 does not exist (functions are 0 to 7)");
    vfnet(tree.root(), &["set", "enp1s0f0", "-1"])
        .code(2)
        .one_error("set: negative numbers are not allowed");
    let r = support::run::command(tree.root(), &["list"])
        .env("COLUMNS", "0")
        .output()
        .unwrap();
    assert!(r.status.success());
    let wide = vfnet(tree.root(), &["list"]);
    assert_eq!(
        String::from_utf8_lossy(&r.stdout),
        wide.stdout,
        "COLUMNS=0 is like no COLUMNS"
    );
}

#[test]
fn set_says_what_it_waits_for_after_a_second() {
    let tree = Tree::build(&igb_qemu());
    let opts = KernelOpts {
        create_delay: Duration::from_millis(1600),
        ..KernelOpts::default()
    };
    let _k = FakeKernel::start(&tree, opts);
    let r = vfnet(tree.root(), &["set", "eth0", "2"]);
    // One progress line with numbers (the next would come 5 s later),
    // without the `vfnet:` prefix that marks errors.
    r.code(0);
    assert_eq!(
        r.stderr,
        "eth0 (0000:01:00.0): 0 of 2 VFs, 0 with a driver, 1 s (under --root the tree is plain files: unless a test plays the kernel, nothing changes by itself)\n",
    );
    // A quick change says nothing.
    let r = vfnet(tree.root(), &["set", "eth0", "0"]);
    r.code(0);
    assert_eq!(r.stderr, "");
}

/// Names from the system and from a capture are escaped and cut wherever
/// they are shown: a bridge whose name carries ESC (the kernel allows it),
/// a capture's used-by record with a 5000-byte name.
#[test]
fn names_from_the_system_and_captures_are_escaped_and_cut_everywhere() {
    let tree = Tree::build(&x550t());
    host_init(tree.root());
    // (The kernel refuses whitespace in names, not ESC.)
    enslave(&tree, "0000:01:00.0", 3, "br\x1b[31mX");
    for args in [&["list"][..], &["list", "--json"]] {
        let r = vfnet(tree.root(), args);
        r.code(0);
        assert!(!r.stdout.contains('\x1b'), "{}", r.stdout);
        assert!(
            r.stdout.contains("host:br\\x1b[31mX")
                || r.stdout.contains("\"name\":\"br\\\\x1b[31mX\""),
            "{}",
            r.stdout
        );
    }
    // A capture's record of who used a VF, with a name far too long.
    let tree = Tree::build(&x550t());
    let long = "a".repeat(5000);
    std::fs::create_dir_all(tree.path("vfnet-capture")).unwrap();
    let vf = tree.vf_addr("0000:01:00.0", 1);
    std::fs::write(
        tree.path("vfnet-capture/used-by"),
        format!("{vf} vm {long} 42\n"),
    )
    .unwrap();
    let r = vfnet(tree.root(), &["list", "--json"]);
    r.code(0);
    assert!(!r.stdout.contains(&long), "the 5000-byte name is cut");
    assert!(
        r.stdout.contains(&format!("{}...", "a".repeat(80))),
        "{}",
        &r.stdout[..r.stdout.len().min(3000)]
    );
}
