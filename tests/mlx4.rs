//! The ConnectX-3 (mlx4_core), whose VF count is a module parameter read
//! when the driver loads: persist writes vfnet's modprobe.d file, set
//! reloads the driver only with --reload, apply reports drift and never
//! writes its sriov_numvfs. The fake tree has the card at 0000:03:00.0
//! (4 of 16 VFs, ports enp3s0 and enp3s0d1) and the modules under
//! /sys/module; a stand-in modprobe (VFNET_MODPROBE) records its calls.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::*;

const CX3: &str = "0000:03:00.0";

/// A ConnectX-3 machine with mlx4_core and mlx4_en loaded (the kernel's
/// mlx4_core: its num_vfs parameter reads as a byte array).
fn machine() -> Tree {
    let tree = Tree::build(&connectx3());
    for (rel, text) in [
        ("sys/module/mlx4_core/parameters/num_vfs", "4\n"),
        ("sys/module/mlx4_core/parameters/probe_vf", "0\n"),
        ("sys/module/mlx4_core/parameters/port_type_array", "2,2\n"),
        ("sys/module/mlx4_en/parameters/pfctx", "0\n"),
    ] {
        fs::create_dir_all(tree.path(rel).parent().unwrap()).unwrap();
        fs::write(tree.path(rel), text).unwrap();
    }
    tree
}

fn read(tree: &Tree, rel: &str) -> String {
    fs::read_to_string(tree.path(rel)).unwrap_or_default()
}

const MODPROBE_FILE: &str = "etc/modprobe.d/vfnet-mlx4.conf";

#[test]
fn persist_records_the_count_and_writes_the_modprobe_file() {
    let tree = machine();
    let r = vfnet(tree.root(), &["persist", "enp3s0", "7"]);
    r.code(0)
        .out_has("enp3s0 (0000:03:00.0): 7 VFs recorded in ")
        .out_has("wrote /etc/modprobe.d/vfnet-mlx4.conf (options mlx4_core num_vfs=7)");
    assert!(read(&tree, "etc/vfnet/vfnet.conf").contains("0000:03:00.0=7\n"));
    let file = read(&tree, MODPROBE_FILE);
    assert!(file.ends_with("\noptions mlx4_core num_vfs=7\n"), "{file}");
    assert!(file.starts_with("# Written by vfnet persist"), "{file}");
    // Nothing was written to the device.
    assert_eq!(tree.numvfs(CX3), Some(4));
    // Again: unchanged, and the file is not rewritten.
    vfnet(tree.root(), &["persist", "enp3s0", "7"])
        .code(0)
        .out_has("already recorded");
}

#[test]
fn per_port_counts_and_probe_vf_go_into_one_options_line() {
    let tree = machine();
    let r = vfnet(tree.root(), &["persist", CX3, "4,2,1", "--probe", "1,0,0"]);
    r.code(0)
        .out_has("options mlx4_core num_vfs=4,2,1 probe_vf=1,0,0");
    let conf = read(&tree, "etc/vfnet/vfnet.conf");
    assert!(
        conf.contains("0000:03:00.0=4,2,1\n0000:03:00.0.probe_vf=1,0,0\n"),
        "{conf}"
    );
    // The config's entry reads back as 7 VFs.
    let r = vfnet(tree.root(), &["list", "--json"]);
    assert!(r.stdout.contains("\"configured_vfs\":7"), "{}", r.stdout);
    // Removing the PF's entries removes the file too.
    vfnet(tree.root(), &["persist", CX3, "--remove"])
        .code(0)
        .out_has("removed /etc/modprobe.d/vfnet-mlx4.conf");
    assert!(!tree.path(MODPROBE_FILE).exists());
}

#[test]
fn port_types_go_next_to_the_count_and_list_and_doctor_show_each_port() {
    let tree = machine();
    // mlx4_core's own files (main.c, show_port_type): "eth", "ib", "auto (eth)".
    let dev = format!("sys/bus/pci/devices/{CX3}");
    fs::write(tree.path(&format!("{dev}/mlx4_port1")), "eth\n").unwrap();
    fs::write(tree.path(&format!("{dev}/mlx4_port2")), "auto (ib)\n").unwrap();
    fs::create_dir_all(tree.path("etc/modprobe.d")).unwrap();
    fs::write(
        tree.path("etc/modprobe.d/mine.conf"),
        "options mlx4_core port_type_array=2,2\n",
    )
    .unwrap();
    let r = vfnet(
        tree.root(),
        &["persist", "enp3s0", "4", "--port-type", "ib,eth"],
    );
    r.code(0)
        .out_has("options mlx4_core num_vfs=4 port_type_array=1,2")
        .out_has("/etc/modprobe.d/mine.conf:1: sets port_type_array for mlx4_core too");
    let conf = read(&tree, "etc/vfnet/vfnet.conf");
    assert!(
        conf.contains("0000:03:00.0=4\n0000:03:00.0.port_type=ib,eth\n"),
        "{conf}"
    );
    assert!(
        read(&tree, MODPROBE_FILE).ends_with("\noptions mlx4_core num_vfs=4 port_type_array=1,2\n")
    );
    // Again, the same: nothing to do.
    vfnet(
        tree.root(),
        &["persist", "enp3s0", "4", "--port-type", "ib,eth"],
    )
    .code(0)
    .out_has("already recorded");
    // What the card runs now.
    let r = vfnet(tree.root(), &["list", "--json"]);
    assert!(
        r.stdout.contains("\"port_types\":[\"eth\",\"auto (ib)\"]"),
        "{}",
        r.stdout
    );
    vfnet(tree.root(), &["list"]).code(0).out_has(
        "ConnectX-3 ports (mlx4_core):\nenp3s0 (0000:03:00.0): port 1 eth, port 2 auto (ib)\n",
    );
    let r = vfnet(tree.root(), &["doctor", "--json"]);
    assert!(r.stdout.contains("\"check\":\"port-type\""), "{}", r.stdout);
    assert!(
        r.stdout.contains("port 1 eth, port 2 auto (ib)"),
        "{}",
        r.stdout
    );
    // Refused before anything is written.
    vfnet(
        tree.root(),
        &["persist", "enp3s0", "4", "--port-type", "eth,ib"],
    )
    .code(2)
    .err_has("cannot run port 1 as Ethernet with port 2 as InfiniBand");
    vfnet(
        tree.root(),
        &["persist", "enp3s0", "4", "--port-type", "infiniband"],
    )
    .code(2)
    .err_has("--port-type takes ib, eth or auto");
    assert!(read(&tree, "etc/vfnet/vfnet.conf").contains(".port_type=ib,eth\n"));
}

#[test]
fn the_drivers_limits_are_checked_before_anything_is_written() {
    let tree = machine();
    // Past both limits: both named, the tighter first.
    vfnet(tree.root(), &["persist", CX3, "64"])
        .code(1)
        .err_has("64: at most 16 here: the firmware enables 16 VFs")
        .err_has("a ConnectX-3 port takes at most 63");
    vfnet(tree.root(), &["persist", CX3, "10,0,10"])
        .code(1)
        .err_has("the firmware enables at most 16");
    vfnet(tree.root(), &["persist", CX3, "4", "--probe", "5"])
        .code(1)
        .err_has("--probe 5 does not fit in 4 VFs");
    assert!(!tree.path(MODPROBE_FILE).exists());
    assert!(!read(&tree, "etc/vfnet/vfnet.conf").contains("0000:03:00.0"));
}

#[test]
fn per_port_counts_are_refused_for_other_drivers() {
    let tree = Tree::build(&x550t());
    vfnet(tree.root(), &["persist", "enp1s0f0", "2,2,0"])
        .code(1)
        .err_has("X,Y,Z and --probe are for a ConnectX-3");
    vfnet(
        tree.root(),
        &["persist", "enp1s0f0", "2", "--port-type", "eth"],
    )
    .code(1)
    .err_has("(so is --port-type)");
    assert!(!read(&tree, "etc/vfnet/vfnet.conf").contains("port_type"));
    vfnet(tree.root(), &["set", "enp1s0f0", "2,2,0"])
        .code(1)
        .err_has("X,Y,Z and --reload are for a ConnectX-3");
}

#[test]
fn other_modprobe_files_are_kept_and_their_conflicts_named() {
    let tree = machine();
    let mine = "# mine\noptions mlx4_core num_vfs=2 port_type_array=2,2\n";
    fs::create_dir_all(tree.path("etc/modprobe.d")).unwrap();
    fs::write(tree.path("etc/modprobe.d/mlx4.conf"), mine).unwrap();
    vfnet(tree.root(), &["persist", CX3, "5"]).code(0).out_has(
        "warning: /etc/modprobe.d/mlx4.conf:2: sets num_vfs for mlx4_core too; modprobe passes both and the later wins",
    );
    assert_eq!(read(&tree, "etc/modprobe.d/mlx4.conf"), mine);
}

#[test]
fn an_initramfs_generator_present_is_named_with_its_command() {
    let tree = machine();
    fs::create_dir_all(tree.path("usr/sbin")).unwrap();
    fs::write(tree.path("usr/sbin/update-initramfs"), "#!/bin/sh\n").unwrap();
    vfnet(tree.root(), &["persist", CX3, "3"])
        .code(0)
        .out_has("the initramfs (initramfs-tools) carries a copy of modprobe.d and may load mlx4_core: rebuild it (update-initramfs -u");
}

#[test]
fn set_explains_the_reload_and_changes_nothing_without_reload() {
    let tree = machine();
    let k = FakeKernel::start(&tree, KernelOpts::default());
    let log = tree.path("modprobe.log");
    let mut c = support::run::command(tree.root(), &["set", "enp3s0", "2"]);
    c.env("VFNET_MODPROBE", stand_in(&tree));
    let r = support::run::output(c);
    r.code(1)
        .err_has("its driver mlx4_core takes the VF count only when it loads; changing it to 2 means reloading mlx4_core")
        .err_has("every ConnectX-3 port of the host down for a moment: enp3s0 and enp3s0d1:")
        .err_has("vfnet set 0000:03:00.0 2 --reload");
    assert!(!log.exists(), "modprobe ran");
    assert!(!tree.path(MODPROBE_FILE).exists());
    assert_eq!(tree.numvfs(CX3), Some(4));
    assert_eq!(k.violations(), []);
}

/// A modprobe stand-in: records each call in ROOT/modprobe.log; unloading
/// mlx4_core drops /sys/module/mlx4_core and marks `unloaded`; loading it
/// marks `loaded` and waits until the test has probed the card again.
/// An executable shell script `name` in the tree, saying `body`.
fn script(tree: &Tree, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = tree.path(name);
    fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn stand_in(tree: &Tree) -> PathBuf {
    let root = tree.root().display().to_string();
    let body = format!(
        "echo \"$*\" >> '{root}/modprobe.log'\n\
         case \"$*\" in\n\
         '-r mlx4_core') rm -rf '{root}/sys/module/mlx4_core'; touch '{root}/unloaded' ;;\n\
         '-r mlx4_en') rm -rf '{root}/sys/module/mlx4_en' ;;\n\
         'mlx4_core') touch '{root}/loaded'; i=0; while [ ! -e '{root}/probed' ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done ;;\n\
         esac\n"
    );
    script(tree, "modprobe-stand-in", &body)
}

fn wait_for(p: &Path) {
    let start = Instant::now();
    while !p.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{} never appeared",
            p.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn set_reload_records_then_reloads_the_driver_and_waits_for_the_vfs() {
    let tree = machine();
    let k = FakeKernel::start(&tree, KernelOpts::default());
    let mut c = support::run::command(tree.root(), &["set", "enp3s0", "3,2,1", "--reload"]);
    c.env("VFNET_MODPROBE", stand_in(&tree));
    let child = std::thread::spawn(move || support::run::output(c));
    // The kernel's part: the driver goes with its VFs, comes back, and
    // creates the VFs its parameters ask for (none probed: probe_vf 0).
    wait_for(&tree.path("unloaded"));
    tree.unbind_pf(CX3);
    wait_for(&tree.path("loaded"));
    tree.bind_pf(CX3);
    let sys = tree.sys();
    let pf = tree.machine().pci_fn(CX3);
    for n in 0..6 {
        support::layout::add_vf(&sys, pf, n, Some(40 + n));
    }
    sys.replace(&format!("{}/sriov_numvfs", pf.dir()), "6\n", 0o644);
    fs::write(tree.path("probed"), "").unwrap();
    let r = child.join().unwrap();
    r.code(0)
        .out_has("enp3s0 (0000:03:00.0): 3,2,1 recorded in ")
        .out_has("wrote /etc/modprobe.d/vfnet-mlx4.conf (options mlx4_core num_vfs=3,2,1)")
        .out_has("reloaded mlx4_core (modprobe -r mlx4_en, modprobe -r mlx4_core, modprobe mlx4_core, modprobe mlx4_en)")
        .out_has("enp3s0 (0000:03:00.0): 4 -> 6 VFs in ");
    assert_eq!(
        read(&tree, "modprobe.log"),
        "-r mlx4_en\n-r mlx4_core\nmlx4_core\nmlx4_en\n",
        "upper modules out first, back last; mlx4_ib was not loaded"
    );
    assert!(read(&tree, "etc/vfnet/vfnet.conf").contains("0000:03:00.0=3,2,1\n"));
    assert_eq!(tree.vfs(CX3).len(), 6);
    assert_eq!(k.violations(), [], "sriov_numvfs was never written");
}

#[test]
fn set_reload_without_a_modprobe_under_root_says_so() {
    let tree = machine();
    let r = vfnet(tree.root(), &["set", CX3, "2", "--reload"]);
    r.code(1)
        .err_has("modprobe -r mlx4_en is not run under --root");
}

#[test]
fn doctor_shows_the_parameters_in_force_and_the_drift_from_the_config() {
    let tree = machine();
    fs::create_dir_all(tree.path("etc/vfnet")).unwrap();
    fs::write(tree.path("etc/vfnet/vfnet.conf"), "0000:03:00.0=6\n").unwrap();
    let r = vfnet(tree.root(), &["doctor", CX3]);
    assert!(
        r.stdout
            .contains("mlx4_core loaded with num_vfs=4 probe_vf=0: this card gets 4"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("the config asks for 6, but mlx4_core was loaded with 4 for it"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_modprobe_that_hangs_meets_the_deadline_and_the_modules_are_loaded_back() {
    let tree = machine();
    let root = tree.root().display().to_string();
    let prog = script(
        &tree,
        "slow-modprobe",
        &format!(
            "echo \"$*\" >> '{root}/modprobe.log'\n[ \"$*\" = '-r mlx4_en' ] && sleep 3\nexit 0\n"
        ),
    );
    let mut c = support::run::command(
        tree.root(),
        &["set", CX3, "2", "--reload", "--timeout", "1"],
    );
    c.env("VFNET_MODPROBE", &prog);
    let start = Instant::now();
    let r = support::run::output(c);
    r.code(1)
        .err_has("modprobe -r mlx4_en: still running after 1.")
        .err_has("left to finish");
    // mlx4_core was never unloaded; what was tried goes back in at once.
    assert_eq!(
        read(&tree, "modprobe.log"),
        "-r mlx4_en\nmlx4_core\nmlx4_en\n"
    );
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn set_to_the_count_mlx4_core_was_loaded_with_is_nothing_to_do() {
    let tree = machine();
    let mut c = support::run::command(tree.root(), &["set", "enp3s0", "4"]);
    c.env("VFNET_MODPROBE", stand_in(&tree));
    support::run::output(c)
        .code(0)
        .out_has("enp3s0 (0000:03:00.0) already has 4 VFs: nothing to do.");
    assert!(!tree.path("modprobe.log").exists());
    // The same total in another form is a change: it needs the reload.
    vfnet(tree.root(), &["set", "enp3s0", "2,2,0"])
        .code(1)
        .err_has("changing it to 2,2,0 means reloading mlx4_core");
}

#[test]
fn apply_refuses_per_port_counts_for_other_drivers_and_writes_nothing() {
    let tree = Tree::build(&x550t());
    let k = FakeKernel::start(&tree, KernelOpts::default());
    fs::write(tree.path("etc/vfnet/vfnet.conf"), "0000:01:00.1=2,1,0\n").unwrap();
    vfnet(tree.root(), &["apply"])
        .code(1)
        .err_has("X,Y,Z counts are for a ConnectX-3 (mlx4_core), whose ports share one function; its driver is ixgbe");
    assert_eq!(k.writes(), []);
}

#[test]
fn a_symlinked_modprobe_file_is_followed_and_a_linked_conflict_is_read() {
    let tree = machine();
    fs::create_dir_all(tree.path("etc/modprobe.d")).unwrap();
    fs::create_dir_all(tree.path("mnt/conf")).unwrap();
    // vfnet's own file linked to another place: written there, the link stays.
    std::os::unix::fs::symlink("/mnt/conf/vfnet-mlx4.conf", tree.path(MODPROBE_FILE)).unwrap();
    // The user's file, linked too: its conflict is found.
    fs::write(
        tree.path("mnt/conf/old.conf"),
        "options mlx4_core probe_vf=1\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("/mnt/conf/old.conf", tree.path("etc/modprobe.d/old.conf")).unwrap();
    vfnet(tree.root(), &["persist", CX3, "5"])
        .code(0)
        .out_has("warning: /etc/modprobe.d/old.conf:1: sets probe_vf for mlx4_core too");
    assert!(
        fs::symlink_metadata(tree.path(MODPROBE_FILE))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(read(&tree, "mnt/conf/vfnet-mlx4.conf").ends_with("options mlx4_core num_vfs=5\n"));
}

/// A modprobe left to finish does not keep vfnet's output open: a caller
/// reading vfnet through pipes (Ansible, `$(...)`, a unit's journal) sees
/// the end when vfnet ends, and the child can still be stopped (no signal
/// blocked or ignored in it).
#[test]
fn a_hung_modprobe_does_not_hold_vfnets_output_open() {
    let tree = machine();
    let root = tree.root().display().to_string();
    let prog = script(
        &tree,
        "hung-modprobe",
        &format!(
            "grep -E '^Sig(Blk|Ign)' /proc/self/status > '{root}/signals'\n\
         echo \"$*\" >> '{root}/modprobe.log'\n[ \"$*\" = '-r mlx4_en' ] && sleep 12\nexit 0\n"
        ),
    );
    let mut c = support::run::command(
        tree.root(),
        &["set", CX3, "2", "--reload", "--timeout", "1"],
    );
    c.env("VFNET_MODPROBE", &prog);
    let start = Instant::now();
    // Reads stdout and stderr to their end, as a caller through pipes does.
    let r = support::run::output(c);
    r.code(1)
        .err_has("still running after 1.")
        .err_has("left to finish");
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "the output stayed open: {:?}",
        start.elapsed()
    );
    let signals = read(&tree, "signals");
    let mask = |name: &str| {
        signals
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| u64::from_str_radix(v.trim(), 16).unwrap())
            .unwrap()
    };
    assert_eq!(
        mask("SigBlk:"),
        0,
        "no signal blocked in the child: {signals}"
    );
    let ign = mask("SigIgn:");
    for sig in [1, 2, 13, 15] {
        assert_eq!(
            ign & (1 << (sig - 1)),
            0,
            "signal {sig} ignored in the child: {signals}"
        );
    }
}
