//! `vfnet install` and `vfnet uninstall` under --root, for each init
//! system: what is written where, that a second install changes nothing,
//! and that uninstall takes it all away but the config.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use support::layout::write_file;
use support::*;

/// An empty root with the markers of the given init systems.
fn root_with(markers: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for m in markers {
        let p = dir.path().join(m.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        if m.ends_with("/system") {
            std::fs::create_dir_all(&p).unwrap();
        } else {
            std::fs::write(&p, "").unwrap();
        }
    }
    dir
}

/// A glue file as vfnet installs it: the repository's copy with its first
/// two lines and its code (comment lines after those, blank lines and
/// indentation are the repository's alone).
fn repo(path: &str) -> String {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
    let mut out = String::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.trim_start_matches('\t');
        if n < 2 || !(code.starts_with('#') || code.is_empty()) {
            out.push_str(code);
            out.push('\n');
        }
    }
    out
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn files(root: &Path) -> Vec<String> {
    let mut out: Vec<String> = snapshot(root)
        .into_iter()
        .filter(|(_, e)| !matches!(e, Entry::Dir))
        .map(|(p, e)| match e {
            Entry::Link(t) => format!("/{} -> {}", p.display(), t.display()),
            _ => format!("/{}", p.display()),
        })
        .collect();
    out.sort();
    out
}

/// An init system, its files (installed path, repository source, mode) and links.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str, u32)], &'a [&'a str]);

#[test]
fn each_init_system_gets_its_files_and_links() {
    let cases: &[Case] = &[
        (
            "systemd",
            &[(
                "/etc/systemd/system/vfnet.service",
                "systemd/vfnet.service",
                0o644,
            )],
            &[
                "/etc/systemd/system/sysinit.target.wants/vfnet.service -> /etc/systemd/system/vfnet.service",
            ],
        ),
        (
            "openrc",
            &[("/etc/init.d/vfnet", "openrc/vfnet", 0o755)],
            &["/etc/runlevels/sysinit/vfnet -> /etc/init.d/vfnet"],
        ),
        (
            "initramfs-tools",
            &[
                (
                    "/etc/initramfs-tools/hooks/vfnet",
                    "initramfs-hooks/initramfs-tools/hooks/vfnet",
                    0o755,
                ),
                (
                    "/etc/initramfs-tools/scripts/init-premount/vfnet",
                    "initramfs-hooks/initramfs-tools/scripts/init-premount/vfnet",
                    0o755,
                ),
            ],
            &[],
        ),
        (
            "dracut",
            &[
                (
                    "/usr/lib/dracut/modules.d/90vfnet/module-setup.sh",
                    "initramfs-hooks/dracut/90vfnet/module-setup.sh",
                    0o755,
                ),
                (
                    "/usr/lib/dracut/modules.d/90vfnet/vfnet-apply.sh",
                    "initramfs-hooks/dracut/90vfnet/vfnet-apply.sh",
                    0o755,
                ),
            ],
            &[],
        ),
    ];
    for (init, glue, links) in cases {
        let root = root_with(&[]);
        let r = vfnet(root.path(), &["install", "--init", init]);
        r.code(0);
        let bin = root.path().join("usr/local/sbin/vfnet");
        assert_eq!(
            std::fs::read(&bin).unwrap(),
            std::fs::read(support::run::bin()).unwrap(),
            "{init}: the binary is a copy"
        );
        assert_eq!(mode(&bin), 0o755);
        let conf = root.path().join("etc/vfnet/vfnet.conf");
        assert!(
            std::fs::read_to_string(&conf)
                .unwrap()
                .contains("# 0000:01:00.0=4"),
            "{init}: example config"
        );
        for (path, source, m) in *glue {
            let at = root.path().join(path.trim_start_matches('/'));
            assert_eq!(
                std::fs::read_to_string(&at).unwrap(),
                repo(source),
                "{init}: {path}"
            );
            assert_eq!(mode(&at), *m, "{init}: mode of {path}");
            r.out_has(&format!("wrote {}", at.display()));
        }
        let listed = files(root.path());
        for l in *links {
            assert!(listed.contains(&l.to_string()), "{init}: {l} in {listed:?}");
        }
        let refresh = match *init {
            "initramfs-tools" => Some("not run under --root: update-initramfs -u"),
            "dracut" => Some("not run under --root: dracut -f"),
            "systemd" => Some("not run under --root: systemctl daemon-reload"),
            _ => None,
        };
        if let Some(line) = refresh {
            r.out_has(line);
        }

        // A second run changes nothing and runs nothing.
        let before = snapshot(root.path());
        let again = vfnet(root.path(), &["install", "--init", init]);
        again.code(0);
        assert!(
            again
                .stdout
                .lines()
                .all(|l| l.starts_with("unchanged ") || l.starts_with("kept ")),
            "{init}:\n{}",
            again.stdout
        );
        assert_eq!(diff(&before, &snapshot(root.path())), Vec::<String>::new());

        // Uninstall leaves the config alone and nothing else of vfnet's.
        let u = vfnet(root.path(), &["uninstall", "--init", init]);
        u.code(0).out_has(&format!("removed {}", bin.display()));
        assert_eq!(files(root.path()), ["/etc/vfnet/vfnet.conf"], "{init}");
        assert!(
            !root
                .path()
                .join("usr/lib/dracut/modules.d/90vfnet")
                .exists(),
            "the dracut module's directory goes too"
        );
    }
}

#[test]
fn auto_installs_the_init_system_and_the_initramfs_generator_found() {
    let debian = root_with(&[
        "/run/systemd/system",
        "/lib/systemd/systemd",
        "/usr/sbin/update-initramfs",
    ]);
    let r = vfnet(debian.path(), &["install"]);
    r.code(0);
    let listed = files(debian.path());
    assert!(
        listed.contains(&"/etc/systemd/system/vfnet.service".to_string()),
        "{listed:?}"
    );
    assert!(listed.contains(&"/etc/initramfs-tools/hooks/vfnet".to_string()));
    assert!(
        !listed
            .iter()
            .any(|f| f.contains("dracut") || f.contains("init.d"))
    );

    let alpine = root_with(&["/sbin/openrc-run"]);
    vfnet(alpine.path(), &["install"]).code(0);
    assert!(
        files(alpine.path())
            .contains(&"/etc/runlevels/sysinit/vfnet -> /etc/init.d/vfnet".to_string())
    );

    let fedora = root_with(&["/usr/lib/systemd/systemd", "/usr/bin/dracut"]);
    vfnet(fedora.path(), &["install"]).code(0);
    let listed = files(fedora.path());
    assert!(
        listed.contains(&"/usr/lib/dracut/modules.d/90vfnet/module-setup.sh".to_string()),
        "{listed:?}"
    );
    assert!(listed.contains(&"/etc/dracut.conf.d/vfnet.conf".to_string()));

    // Uninstall without --init removes whatever any install added.
    vfnet(debian.path(), &["uninstall"]).code(0);
    assert!(
        !files(debian.path())
            .iter()
            .any(|f| f.contains("vfnet.service")
                || f.contains("initramfs-tools/")
                || f.contains("sbin/vfnet"))
    );
}

#[test]
fn nothing_found_is_a_clear_failure() {
    let empty = root_with(&[]);
    vfnet(empty.path(), &["install"])
        .code(1)
        .one_error("no init system found");
    assert_eq!(files(empty.path()), Vec::<String>::new());
}

#[test]
fn dry_run_changes_nothing() {
    let root = root_with(&["/lib/systemd/systemd"]);
    let r = vfnet(root.path(), &["install", "--dry-run"]);
    r.code(0)
        .out_has("would write ")
        .out_has("would link ")
        .out_has("not run under --root: systemctl daemon-reload");
    assert_eq!(files(root.path()), ["/lib/systemd/systemd"]);
}

#[test]
fn a_config_elsewhere_is_named_in_the_host_glue() {
    let root = root_with(&["/lib/systemd/systemd"]);
    let conf = root.path().join("srv/vfnet.conf");
    vfnet(
        root.path(),
        &[
            "--config",
            conf.to_str().unwrap(),
            "install",
            "--init",
            "systemd",
        ],
    )
    .code(0);
    let unit =
        std::fs::read_to_string(root.path().join("etc/systemd/system/vfnet.service")).unwrap();
    assert!(
        unit.contains("Environment=VFNET_CONFIG=/srv/vfnet.conf\n"),
        "{unit}"
    );
    assert!(unit.contains("ConditionPathExists=/srv/vfnet.conf\n"));
    assert!(conf.exists(), "the example config goes where --config says");
}

#[test]
fn truenas_keeps_binary_and_config_on_a_pool() {
    let root = root_with(&["/usr/bin/midclt"]);
    vfnet(root.path(), &["install"])
        .code(1)
        .one_error("keep the config and the binary on a pool");
    let conf: PathBuf = root.path().join("mnt/tank/vfnet/vfnet.conf");
    let r = vfnet(
        root.path(),
        &["--config", conf.to_str().unwrap(), "install"],
    );
    r.code(0).out_has(
        "not run under --root: midclt call initshutdownscript.create {\"type\":\"COMMAND\",\"command\":\"/mnt/tank/vfnet/vfnet --config /mnt/tank/vfnet/vfnet.conf apply --wait 30\",\"when\":\"PREINIT\"",
    );
    let listed = files(root.path());
    assert_eq!(
        listed,
        [
            "/mnt/tank/vfnet/vfnet",
            "/mnt/tank/vfnet/vfnet.conf",
            "/usr/bin/midclt"
        ]
    );
    // Uninstall undoes the registration: exactly vfnet's entry for this
    // config, found by the middleware's query (said, under --root).
    let r = vfnet(
        root.path(),
        &[
            "--config",
            conf.to_str().unwrap(),
            "uninstall",
            "--init",
            "truenas",
        ],
    );
    r.code(0).out_has(
        "not run under --root: midclt call initshutdownscript.query, then midclt call initshutdownscript.delete ID for each pre-init command /mnt/tank/vfnet/vfnet --config /mnt/tank/vfnet/vfnet.conf apply --wait 30",
    );
}

#[test]
fn unknown_init_systems_are_usage_errors() {
    let root = root_with(&[]);
    vfnet(root.path(), &["install", "--init", "upstart"])
        .code(2)
        .one_error("unknown init system 'upstart'");
    vfnet(root.path(), &["uninstall", "extra"])
        .code(2)
        .one_error("uninstall: unexpected argument");
    assert_eq!(files(root.path()), Vec::<String>::new());
}

#[test]
fn unmanaged_vfs_leave_the_vfs_to_vms_and_uninstall_takes_it_away() {
    let tree = Tree::build(&igb_qemu());
    std::fs::create_dir_all(tree.path("etc/vfnet")).unwrap();
    std::fs::write(tree.path("etc/vfnet/vfnet.conf"), "0000:01:00.0=2\n").unwrap();
    // The host's own unmanaged devices (Ubuntu ships such a file): vfnet's
    // file, read after it, adds to the list (+=) and leaves the file alone.
    let host = "[keyfile]\nunmanaged-devices=interface-name:eth9\n";
    std::fs::create_dir_all(tree.path("etc/NetworkManager/conf.d")).unwrap();
    let host_file = tree.path("etc/NetworkManager/conf.d/10-globally-managed-devices.conf");
    std::fs::write(&host_file, host).unwrap();
    vfnet(
        tree.root(),
        &["install", "--init", "systemd", "--unmanaged-vfs"],
    )
    .code(0);
    assert_eq!(
        std::fs::read_to_string(tree.path("etc/systemd/network/05-vfnet-unmanaged-vfs.network"))
            .unwrap(),
        "# Written by vfnet install --unmanaged-vfs: systemd-networkd leaves the SR-IOV VFs\n\
         # of the PFs vfnet manages alone (they are for VMs and containers).\n\
         [Match]\nDriver=igbvf\n\n[Link]\nUnmanaged=yes\n"
    );
    let nm =
        std::fs::read_to_string(tree.path("etc/NetworkManager/conf.d/90-vfnet-unmanaged-vfs.conf"))
            .unwrap();
    assert!(
        nm.ends_with("[keyfile]\nunmanaged-devices+=driver:igbvf\n"),
        "{nm}"
    );
    assert!(
        !nm.contains("\nunmanaged-devices="),
        "never a plain = that replaces: {nm}"
    );
    assert_eq!(std::fs::read_to_string(&host_file).unwrap(), host);
    // A second install changes nothing.
    let r = vfnet(
        tree.root(),
        &["install", "--init", "systemd", "--unmanaged-vfs"],
    );
    r.code(0);
    assert!(!r.stdout.contains("wrote"), "{}", r.stdout);
    vfnet(tree.root(), &["uninstall", "--init", "systemd"]).code(0);
    assert!(
        !tree
            .path("etc/systemd/network/05-vfnet-unmanaged-vfs.network")
            .exists()
    );
    assert!(
        !tree
            .path("etc/NetworkManager/conf.d/90-vfnet-unmanaged-vfs.conf")
            .exists()
    );
    // No VF driver known: refused, nothing written.
    let empty = tempfile::tempdir().unwrap();
    vfnet(
        empty.path(),
        &["install", "--init", "systemd", "--unmanaged-vfs"],
    )
    .code(1)
    .one_error("--unmanaged-vfs (or unmanaged_vfs=yes): no VF driver of a configured PF is known");
}

#[test]
fn the_config_key_unmanaged_vfs_asks_the_same_for_its_pf_only() {
    let tree = Tree::build(&workstation());
    let nd = "etc/systemd/network/05-vfnet-unmanaged-vfs.network";
    let conf = |text: &str| std::fs::write(tree.path("etc/vfnet/vfnet.conf"), text).unwrap();
    // `no`, or no key: install writes no such file.
    conf("0000:01:00.0=4\n0000:01:00.0.unmanaged_vfs=no\n");
    vfnet(tree.root(), &["install", "--init", "systemd"]).code(0);
    assert!(!tree.path(nd).exists());
    // `yes` for the X550T's first port: its VF driver, ixgbevf.
    conf("0000:01:00.0=4\n0000:01:00.0.unmanaged_vfs=yes\n0000:02:00.0=2\n");
    vfnet(tree.root(), &["install", "--init", "systemd"]).code(0);
    let text = std::fs::read_to_string(tree.path(nd)).unwrap();
    assert!(text.contains("[Match]\nDriver=ixgbevf\n"), "{text}");
    // A bad value is a bad line, reported by apply like any other.
    conf("0000:01:00.0.unmanaged_vfs=maybe\n");
    vfnet(tree.root(), &["apply", "--dry-run"])
        .code(1)
        .err_has("unmanaged_vfs takes yes or no (or on/off, true/false, 1/0), not 'maybe'");
}

/// Uninstalling one init system's glue keeps the binary the others still
/// run: the initramfs hook copies it into every image it builds.
#[test]
fn uninstall_removes_the_binary_only_with_the_last_glue_that_runs_it() {
    let root = root_with(&["/usr/share/initramfs-tools", "/lib/systemd/systemd"]);
    vfnet(
        root.path(),
        &["install", "--init", "systemd,initramfs-tools"],
    )
    .code(0);
    let bin = root.path().join("usr/local/sbin/vfnet");
    assert!(bin.exists());
    vfnet(root.path(), &["uninstall", "--init", "systemd"])
        .code(0)
        .out_has("kept /usr/local/sbin/vfnet: the initramfs-tools glue still runs it");
    assert!(bin.exists(), "the initramfs-tools hook still needs it");
    vfnet(root.path(), &["uninstall", "--init", "initramfs-tools"])
        .code(0)
        .out_has(&format!("removed {}", bin.display()));
    assert!(!bin.exists());
}

/// A drivers file larger than vfnet reads is refused in one line and left
/// as it is, never partly read and rewritten.
#[test]
fn a_drivers_file_too_large_to_read_whole_is_left_alone() {
    let root = root_with(&["/usr/share/initramfs-tools"]);
    let drivers = root.path().join("etc/vfnet/drivers");
    std::fs::create_dir_all(drivers.parent().unwrap()).unwrap();
    let big: String = (0..8000).map(|i| format!("module{i:05}\n")).collect();
    assert!(big.len() > 64 * 1024);
    std::fs::write(&drivers, &big).unwrap();
    let r = vfnet(
        root.path(),
        &["install", "--init", "initramfs-tools", "--driver", "igb"],
    );
    r.code(1)
        .err_has("is larger than vfnet reads")
        .err_has("it was left as it is");
    assert_eq!(std::fs::read_to_string(&drivers).unwrap(), big);
}

/// What a dry run of install or uninstall says is, line for line, what the
/// run then does (`would write` for `wrote`, `would remove` for `removed`,
/// `would keep` for `kept`); a second uninstall says there is nothing left.
#[test]
fn install_and_uninstall_dry_runs_say_what_the_runs_do() {
    let tree = Tree::build(&x550t());
    let as_done = |dry: &str| {
        dry.replace("would write ", "wrote ")
            .replace("would remove ", "removed ")
            .replace("would keep ", "kept ")
            .replace("would link ", "linked ")
    };
    for (cmd, init) in [
        ("install", "systemd,dracut"),
        ("uninstall", "systemd,dracut"),
    ] {
        let dry = vfnet(tree.root(), &[cmd, "--init", init, "--dry-run"]);
        dry.code(0);
        let done = vfnet(tree.root(), &[cmd, "--init", init]);
        done.code(0);
        assert_eq!(as_done(&dry.stdout), done.stdout, "{cmd}");
    }
    vfnet(tree.root(), &["uninstall"])
        .code(0)
        .out_has("nothing to remove: no vfnet boot glue is installed here");
}

#[test]
fn unmanaged_vfs_says_why_a_pf_driver_named_with_driver_is_no_match() {
    let tree = Tree::build(&x550t());
    std::fs::write(tree.path("etc/vfnet/vfnet.conf"), "0000:09:00.0=2\n").unwrap();
    vfnet(
        tree.root(),
        &[
            "install",
            "--init",
            "systemd",
            "--unmanaged-vfs",
            "--driver",
            "mlx5_core",
        ],
    )
    .code(1)
    .one_error("--driver mlx5_core was left out: it drives PFs too");
}

#[test]
fn fdb_sync_installs_the_watch_service_and_uninstall_takes_it_away() {
    let root = root_with(&[]);
    let r = vfnet(
        root.path(),
        &["install", "--init", "systemd,openrc", "--fdb-sync"],
    );
    r.code(0);
    let unit = root.path().join("etc/systemd/system/vfnet-fdb.service");
    assert_eq!(
        std::fs::read_to_string(&unit).unwrap(),
        repo("systemd/vfnet-fdb.service")
    );
    assert_eq!(mode(&unit), 0o644);
    let rc = root.path().join("etc/init.d/vfnet-fdb");
    assert_eq!(
        std::fs::read_to_string(&rc).unwrap(),
        repo("openrc/vfnet-fdb")
    );
    assert_eq!(mode(&rc), 0o755);
    let all = files(root.path());
    for link in [
        "/etc/systemd/system/multi-user.target.wants/vfnet-fdb.service -> /etc/systemd/system/vfnet-fdb.service",
        "/etc/runlevels/default/vfnet-fdb -> /etc/init.d/vfnet-fdb",
    ] {
        assert!(all.iter().any(|f| f == link), "{link}: {all:?}");
    }
    assert!(
        repo("systemd/vfnet-fdb.service").contains("ExecStart=/usr/local/sbin/vfnet fdb --watch")
    );
    // A second install changes nothing; its dry run says the same.
    let again = vfnet(
        root.path(),
        &["install", "--init", "systemd,openrc", "--fdb-sync"],
    );
    assert!(
        !again.stdout.contains("wrote") && !again.stdout.contains("linked"),
        "{}",
        again.stdout
    );
    // Without it, install leaves the service be; uninstall removes it.
    vfnet(root.path(), &["uninstall", "--init", "systemd,openrc"]).code(0);
    assert!(
        !files(root.path()).iter().any(|f| f.contains("vfnet-fdb")),
        "{:?}",
        files(root.path())
    );
    // Only where a service manager runs.
    vfnet(root.path(), &["install", "--init", "dracut", "--fdb-sync"])
        .code(1)
        .err_has("--fdb-sync needs a service manager");
    assert!(!root.path().join("usr/local/sbin/vfnet").exists());
}

#[test]
fn fdb_sync_names_a_config_elsewhere_quoted() {
    let root = root_with(&[]);
    vfnet(
        root.path(),
        &[
            "install",
            "--init",
            "systemd,openrc",
            "--fdb-sync",
            "--config",
            "/mnt/tank/vfnet.conf",
        ],
    )
    .code(0);
    let unit =
        std::fs::read_to_string(root.path().join("etc/systemd/system/vfnet-fdb.service")).unwrap();
    assert!(
        unit.contains("Environment=VFNET_CONFIG=/mnt/tank/vfnet.conf"),
        "{unit}"
    );
    let rc = std::fs::read_to_string(root.path().join("etc/init.d/vfnet-fdb")).unwrap();
    assert!(
        rc.contains("vfnet_config='/mnt/tank/vfnet.conf'")
            || rc.contains("vfnet_config=/mnt/tank/vfnet.conf"),
        "{rc}"
    );
}

#[test]
fn metrics_installs_a_timer_or_a_cron_line_with_the_directory_quoted_for_each() {
    let root = root_with(&[]);
    let dir = "/var/lib/prom/text%files$x";
    vfnet(
        root.path(),
        &["install", "--init", "systemd,openrc", "--metrics", dir],
    )
    .code(0);
    let unit =
        std::fs::read_to_string(root.path().join("etc/systemd/system/vfnet-metrics.service"))
            .unwrap();
    // systemd: % is a specifier, $ a variable: both doubled.
    assert!(
        unit.contains(
            "ExecStart=/usr/local/sbin/vfnet metrics --textfile /var/lib/prom/text%%files$$x\n"
        ),
        "{unit}"
    );
    let timer = std::fs::read_to_string(root.path().join("etc/systemd/system/vfnet-metrics.timer"))
        .unwrap();
    assert!(
        timer.contains("OnUnitActiveSec=1min") && timer.contains("WantedBy=timers.target"),
        "{timer}"
    );
    assert!(files(root.path()).iter().any(|f| f
        == "/etc/systemd/system/timers.target.wants/vfnet-metrics.timer -> /etc/systemd/system/vfnet-metrics.timer"));
    // cron: sh quoting, and % escaped for cron itself; the command parses.
    let cron = std::fs::read_to_string(root.path().join("etc/cron.d/vfnet-metrics")).unwrap();
    let line = cron
        .lines()
        .find(|l| l.starts_with("* * * * * root "))
        .unwrap();
    assert!(
        line.ends_with(r"--textfile '/var/lib/prom/text\%files$x'"),
        "{line}"
    );
    let cmd = line["* * * * * root ".len()..].replace(r"\%", "%");
    let echo = cmd.replace("/usr/local/sbin/vfnet metrics --textfile", "printf %s");
    let out = std::process::Command::new("sh")
        .args(["-c", &echo])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        dir,
        "sh gets the directory back whole"
    );
    // A directory systemd cannot hold, or a relative one: refused, nothing written.
    let root2 = root_with(&[]);
    vfnet(
        root2.path(),
        &["install", "--init", "systemd", "--metrics", "/a b"],
    )
    .code(1)
    .err_has("--metrics: '/a b' has white space");
    assert!(files(root2.path()).is_empty(), "{:?}", files(root2.path()));
    vfnet(root2.path(), &["install", "--metrics", "textfiles"])
        .code(2)
        .err_has("--metrics takes node_exporter's textfile directory as an absolute path");
    // Uninstall takes them away with their glue.
    vfnet(root.path(), &["uninstall", "--init", "systemd,openrc"]).code(0);
    assert!(
        !files(root.path()).iter().any(|f| f.contains("metrics")),
        "{:?}",
        files(root.path())
    );
}

/// Whether the ELF file `p` names a program interpreter (dynamically
/// linked), read the simple way: its PT_INTERP's path is in the file.
fn names_an_interpreter(p: &Path) -> bool {
    let bytes = std::fs::read(p).unwrap();
    [&b"/ld-linux"[..], b"/ld-musl"]
        .iter()
        .any(|ld| bytes.windows(ld.len()).any(|w| w == *ld))
}

#[test]
fn install_warns_when_the_binary_it_copies_is_dynamically_linked() {
    let root = root_with(&[]);
    let r = support::run::output_raw(support::run::command(
        root.path(),
        &["install", "--init", "systemd"],
    ));
    r.code(0);
    let warned = r.stderr.contains(support::run::DYNAMIC_WARNING);
    // cargo's debug build is dynamic (glibc); the shipped build
    // (VFNET_TEST_BIN) is static and says nothing.
    assert_eq!(
        warned,
        names_an_interpreter(&support::run::bin()),
        "{}",
        r.stderr
    );
    if warned {
        r.err_has("needs the static build");
    }
}

#[test]
fn beside_the_vfnet_package_install_uses_its_files_and_uninstall_keeps_them() {
    let root = root_with(&[]);
    let r = root.path();
    // The package's files, as dpkg lists them.
    let owned = [
        "/usr/sbin/vfnet",
        "/usr/lib/systemd/system/vfnet.service",
        "/usr/share/initramfs-tools/hooks/vfnet",
        "/usr/share/initramfs-tools/scripts/init-premount/vfnet",
    ];
    for p in owned {
        write_file(&r.join(&p[1..]), b"package\n", 0o755);
    }
    // The package's own directory says it is installed.
    write_file(
        &r.join("usr/share/vfnet/hooks/vfnet-hook"),
        b"#!/bin/sh\n",
        0o755,
    );
    let out = vfnet(r, &["install", "--init", "systemd,initramfs-tools"]);
    out.code(0);
    for p in owned {
        out.out_has(&format!("the vfnet package has {p}: used as it is"));
        assert_eq!(
            std::fs::read(r.join(&p[1..])).unwrap(),
            b"package\n",
            "{p} untouched"
        );
    }
    assert!(!r.join("usr/local/sbin/vfnet").exists(), "no second binary");
    assert!(!r.join("etc/systemd/system/vfnet.service").exists());
    assert!(!r.join("etc/initramfs-tools/hooks/vfnet").exists());
    let link = r.join("etc/systemd/system/sysinit.target.wants/vfnet.service");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("/usr/lib/systemd/system/vfnet.service"),
        "enabled: the package's unit"
    );
    // A second run changes nothing.
    let again = vfnet(r, &["install", "--init", "systemd,initramfs-tools"]);
    again.code(0);
    assert!(!again.stdout.contains("wrote "), "{}", again.stdout);
    // uninstall removes the enable link, never the package's files.
    vfnet(r, &["uninstall", "--init", "systemd,initramfs-tools"]).code(0);
    assert!(std::fs::symlink_metadata(&link).is_err(), "the link goes");
    for p in owned {
        assert!(r.join(&p[1..]).exists(), "{p} stays");
    }
}

#[test]
fn the_files_install_takes_from_the_package_are_the_ones_build_deb_ships() {
    let script =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/build-deb"))
            .unwrap();
    for (ours, theirs) in vfnet::commands::install::package::FILES {
        let dest = &theirs[1..];
        let shipped = script.lines().any(|l| {
            l.trim_end().ends_with(&format!(" {dest}")) || l.contains(&format!("\"$root/{dest}\""))
        });
        assert!(
            shipped,
            "scripts/build-deb ships no {theirs} (in place of {ours})"
        );
    }
}

#[test]
fn the_initramfs_glue_copies_vfnet_with_its_libraries_should_it_have_any() {
    // copy_exec (initramfs-tools) and inst_binary (dracut) follow a dynamic
    // binary's libraries into the image; copy_file and inst_simple would
    // not. vfnet install warns of a dynamic build (above); the glue copes.
    let hook = repo("initramfs-hooks/initramfs-tools/hooks/vfnet");
    let dracut = repo("initramfs-hooks/dracut/90vfnet/module-setup.sh");
    assert!(hook.contains("copy_exec \"$VFNET\" "), "{hook}");
    assert!(dracut.contains("inst_binary \"$VFNET\" "), "{dracut}");
    for (name, text) in [("hook", &hook), ("module-setup.sh", &dracut)] {
        for weak in [
            "copy_file exec \"$VFNET\"",
            "inst_simple \"$VFNET\"",
            "cp \"$VFNET\"",
        ] {
            assert!(!text.contains(weak), "{name} copies vfnet with {weak}");
        }
    }
}
