//! The boot glue: which files each init system gets, what they say, how
//! they are enabled, which command regenerates what they feed, and how the
//! init systems present under a root are recognised. Pure data and pure
//! functions but [`found`]; `commands/install` does the writing.
//!
//! The files live in the repository (`systemd/`, `openrc/`,
//! `initramfs-hooks/`) so that packagers can copy them; vfnet embeds them.
//! Files that run on the host name the config file; when it is not the
//! default, [`text`] puts the chosen path in. Files that run inside an
//! initramfs always read `/etc/vfnet/vfnet.conf`, where the hooks copy it.

use crate::config::DEFAULT_PATH;
use crate::packed::texts;
use std::borrow::Cow;

/// Where `install` puts the binary.
pub const BINARY: &str = "/usr/local/sbin/vfnet";

/// Where `install` records the kernel modules the initramfs hooks add (one
/// per line): the configured PFs' drivers and their VFs', and `--driver`s.
pub const DRIVERS: &str = "/etc/vfnet/drivers";

/// NetworkManager's drop-in that leaves the VFs alone (`install
/// --unmanaged-vfs`).
pub const NM_UNMANAGED: &str = "/etc/NetworkManager/conf.d/90-vfnet-unmanaged-vfs.conf";

/// systemd-networkd's `.network` that leaves the VFs alone. It sorts early
/// (networkd takes the first file that matches a link), so that a
/// catch-all such as `en*` with DHCP does not grab the VFs; a file of the
/// user's that sorts before it still wins.
pub const NETWORKD_UNMANAGED: &str = "/etc/systemd/network/05-vfnet-unmanaged-vfs.network";

/// The NetworkManager drop-in marking the netdevs of `drivers` unmanaged.
/// It appends (`key+=value`, NetworkManager.conf(5) for list-valued keys):
/// a later file's plain `unmanaged-devices=` would replace the host's own
/// list (Ubuntu ships one), and NetworkManager would take the devices the
/// host told it to leave alone.
pub fn nm_unmanaged(drivers: &[String]) -> String {
    let specs: Vec<String> = drivers.iter().map(|d| format!("driver:{d}")).collect();
    crate::msg!(
        "# Written by vfnet install --unmanaged-vfs: NetworkManager leaves the SR-IOV VFs\n\
         # of the PFs vfnet manages alone (they are for VMs and containers). It adds to\n\
         # the host's unmanaged devices (+=), never replaces them.\n\
         [keyfile]\nunmanaged-devices+={}\n",
        specs.join(";")
    )
}

/// The systemd-networkd `.network` marking the netdevs of `drivers`
/// unmanaged.
pub fn networkd_unmanaged(drivers: &[String]) -> String {
    crate::msg!(
        "# Written by vfnet install --unmanaged-vfs: systemd-networkd leaves the SR-IOV VFs\n\
         # of the PFs vfnet manages alone (they are for VMs and containers).\n\
         [Match]\nDriver={}\n\n[Link]\nUnmanaged=yes\n",
        drivers.join(" ")
    )
}

/// A kernel module name as `modprobe` takes it: letters, digits, `_`, `-`.
pub fn valid_module(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 56
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The VF driver that pairs with a PF driver, for the common NICs (so an
/// image built before any VF existed still gets it).
pub fn vf_driver_of(pf: &str) -> Option<&'static str> {
    Some(match pf {
        "igb" => "igbvf",
        "ixgbe" => "ixgbevf",
        "i40e" | "ice" => "iavf",
        "bnxt_en" => "bnxt_en",
        "mlx4_core" => "mlx4_core",
        "mlx5_core" => "mlx5_core",
        "qede" => "qede",
        "enic" => "enic",
        _ => return None,
    })
}

/// Whether `d` is a VF-only driver of the table of [`vf_driver_of`] (not
/// one that serves PFs too).
pub fn is_vf_driver(d: &str) -> bool {
    ["igbvf", "ixgbevf", "iavf"].contains(&d)
}

/// The text of the drivers file.
pub fn drivers_file(drivers: &[String]) -> String {
    let mut out = String::from(
        "# Kernel modules the initramfs needs for the PFs in vfnet.conf and their VFs.\n\
         # Written by vfnet install (vfnet install --driver NAME adds one); one per line.\n",
    );
    for d in drivers {
        out.push_str(d);
        out.push('\n');
    }
    out
}

/// The most a drivers file may hold: read whole, or refused (never partly
/// read and rewritten).
pub const DRIVERS_MAX: usize = 64 * 1024;

/// The module names in a drivers file (bad lines are skipped; none when
/// there is no file), or why it cannot be read whole: too large, not a
/// regular file, unreadable. A file vfnet edits is never partly read.
pub fn read_drivers(path: &std::path::Path) -> Result<Vec<String>, String> {
    use crate::files::ReadError;
    let bytes = match crate::files::read_regular(path, DRIVERS_MAX) {
        Ok((bytes, _)) => bytes,
        Err(ReadError::Errno(nix::errno::Errno::ENOENT)) => return Ok(Vec::new()),
        Err(ReadError::TooLarge(n)) => {
            return Err(format!(
                "{} is larger than vfnet reads ({n} bytes or more; at most {DRIVERS_MAX}): it was left as it is; \
                 trim it to one module name a line",
                path.display()
            ));
        }
        Err(ReadError::NotRegular(what)) => {
            return Err(crate::msg!(
                "{} is {}, not a regular file: it was left as it is",
                path.display(),
                what
            ));
        }
        Err(ReadError::Errno(e)) => {
            return Err(crate::msg!(
                "cannot read {}: {}",
                path.display(),
                crate::error::strerror(e)
            ));
        }
    };
    let mut out: Vec<String> = Vec::new();
    for line in String::from_utf8_lossy(&bytes).lines() {
        let name = line.split('#').next().unwrap_or("").trim();
        if valid_module(name) && !out.iter().any(|o| o == name) {
            out.push(name.to_string());
        }
    }
    Ok(out)
}

/// The init systems and initramfs generators vfnet can hook into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Init {
    /// A systemd unit.
    Systemd,
    /// An OpenRC service.
    Openrc,
    /// An initramfs-tools hook and init-premount script.
    InitramfsTools,
    /// A dracut module.
    Dracut,
    /// A TrueNAS pre-init command.
    Truenas,
}

/// Every kind of glue, in `--init` order.
pub const ALL: [Init; 5] = [
    Init::Systemd,
    Init::Openrc,
    Init::InitramfsTools,
    Init::Dracut,
    Init::Truenas,
];

impl Init {
    /// An `--init` value.
    pub fn parse(s: &str) -> Option<Init> {
        ALL.into_iter().find(|i| i.name() == s)
    }

    /// Its `--init` name.
    pub fn name(self) -> &'static str {
        match self {
            Init::Systemd => "systemd",
            Init::Openrc => "openrc",
            Init::InitramfsTools => "initramfs-tools",
            Init::Dracut => "dracut",
            Init::Truenas => "truenas",
        }
    }

    /// The files it gets.
    pub fn files(self) -> &'static [File] {
        match self {
            Init::Systemd => &SYSTEMD,
            Init::Openrc => &OPENRC,
            Init::InitramfsTools => &INITRAMFS_TOOLS,
            Init::Dracut => &DRACUT,
            Init::Truenas => &[],
        }
    }

    /// The links that enable it.
    pub fn links(self) -> &'static [EnableLink] {
        match self {
            Init::Systemd => &[EnableLink {
                path: "/etc/systemd/system/sysinit.target.wants/vfnet.service",
                target: "/etc/systemd/system/vfnet.service",
            }],
            Init::Openrc => &[EnableLink {
                path: "/etc/runlevels/sysinit/vfnet",
                target: "/etc/init.d/vfnet",
            }],
            _ => &[],
        }
    }

    /// A directory that holds only its files, removed with them.
    pub fn own_dir(self) -> Option<&'static str> {
        match self {
            Init::Dracut => Some("/usr/lib/dracut/modules.d/90vfnet"),
            _ => None,
        }
    }

    /// What to run on a live system after its files changed.
    pub fn refresh(self) -> &'static [&'static str] {
        match self {
            Init::Systemd => &["systemctl", "daemon-reload"],
            Init::InitramfsTools => &["update-initramfs", "-u"],
            Init::Dracut => &["dracut", "-f"],
            Init::Openrc | Init::Truenas => &[],
        }
    }
}

/// One glue file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct File {
    /// Where it goes (under the root).
    pub path: &'static str,
    /// Its content.
    pub text: crate::packed::Packed,
    /// Its mode.
    pub mode: u32,
    /// It runs on the host and names the config file.
    pub host: bool,
}

/// A symlink that enables a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnableLink {
    /// The link.
    pub path: &'static str,
    /// What it points to.
    pub target: &'static str,
}

const SYSTEMD: [File; 1] = [File {
    path: "/etc/systemd/system/vfnet.service",
    text: texts::SYSTEMD_VFNET_SERVICE,
    mode: 0o644,
    host: true,
}];

const OPENRC: [File; 1] = [File {
    path: "/etc/init.d/vfnet",
    text: texts::OPENRC_VFNET,
    mode: 0o755,
    host: true,
}];

/// `install --fdb-sync`: the `vfnet fdb --watch` service, per init system
/// that runs services, and the link that enables it.
pub fn fdb_service(init: Init) -> Option<(File, EnableLink)> {
    match init {
        Init::Systemd => Some((
            File {
                path: "/etc/systemd/system/vfnet-fdb.service",
                text: texts::SYSTEMD_VFNET_FDB_SERVICE,
                mode: 0o644,
                host: true,
            },
            EnableLink {
                path: "/etc/systemd/system/multi-user.target.wants/vfnet-fdb.service",
                target: "/etc/systemd/system/vfnet-fdb.service",
            },
        )),
        Init::Openrc => Some((
            File {
                path: "/etc/init.d/vfnet-fdb",
                text: texts::OPENRC_VFNET_FDB,
                mode: 0o755,
                host: true,
            },
            EnableLink {
                path: "/etc/runlevels/default/vfnet-fdb",
                target: "/etc/init.d/vfnet-fdb",
            },
        )),
        _ => None,
    }
}

/// `install --metrics DIR`'s files for `init`: where each goes, its text
/// and mode, and the link that enables it (systemd: a service and a timer
/// every minute; OpenRC: a cron line), every value quoted for its
/// language; or why DIR (or the config path) cannot be written there.
#[allow(clippy::type_complexity)]
pub fn metrics_files(
    init: Init,
    dir: &str,
    config: &str,
) -> Result<Option<(Vec<(&'static str, String, u32)>, Option<EnableLink>)>, String> {
    let args = |dir: &str| -> Result<String, String> {
        // ExecStart: specifiers (%) and variables ($) doubled; white space
        // and quotes refused by systemd_path.
        Ok(crate::text::systemd_path(dir)?.replace('$', "$$"))
    };
    Ok(match init {
        Init::Systemd => Some((
            vec![
                (
                    "/etc/systemd/system/vfnet-metrics.service",
                    crate::msg!(
                        "# vfnet metrics for node_exporter's textfile collector (README, \"vfnet metrics\").\n\
                         # Installed by `vfnet install --metrics DIR`; run by vfnet-metrics.timer.\n\n\
                         [Unit]\nDescription=SR-IOV metrics for node_exporter (vfnet metrics)\n\n\
                         [Service]\nType=oneshot\nEnvironment=VFNET_CONFIG={}\n\
                         ExecStart=/usr/local/sbin/vfnet metrics --textfile {}\n",
                        crate::text::systemd_path(config)?,
                        args(dir)?
                    ),
                    0o644,
                ),
                (
                    "/etc/systemd/system/vfnet-metrics.timer",
                    crate::msg!(
                        "# Refreshes vfnet's metrics every minute (vfnet install --metrics DIR).\n\n\
                     [Unit]\nDescription=SR-IOV metrics for node_exporter, every minute\n\n\
                     [Timer]\nOnBootSec=1min\nOnUnitActiveSec=1min\nAccuracySec=5s\n\n\
                     [Install]\nWantedBy=timers.target\n"
                    ),
                    0o644,
                ),
            ],
            Some(EnableLink {
                path: "/etc/systemd/system/timers.target.wants/vfnet-metrics.timer",
                target: "/etc/systemd/system/vfnet-metrics.timer",
            }),
        )),
        // cron runs the command with sh, and reads an unescaped % as a newline.
        Init::Openrc => Some((
            vec![(
                "/etc/cron.d/vfnet-metrics",
                crate::msg!(
                    "# vfnet metrics for node_exporter's textfile collector, every minute\n\
                     # (installed by `vfnet install --metrics DIR`).\n\
                     * * * * * root VFNET_CONFIG={} /usr/local/sbin/vfnet metrics --textfile {}\n",
                    crate::text::sh_quote(config)?.replace('%', "\\%"),
                    crate::text::sh_quote(dir)?.replace('%', "\\%")
                ),
                0o644,
            )],
            None,
        )),
        _ => None,
    })
}

/// The VM managers `install --hooks` gives vfnet's VM hook to, by
/// `--hooks` name, and where: libvirt's qemu hooks directory (beside a
/// host's own `/etc/libvirt/hooks/qemu`), a Proxmox VE hookscript in the
/// `local` storage's snippets. One script (`hooks/vfnet-hook`), which
/// tells them apart by its arguments.
pub const HOOKS: [(&str, &str); 2] = [
    ("libvirt", "/etc/libvirt/hooks/qemu.d/vfnet"),
    ("proxmox", "/var/lib/vz/snippets/vfnet"),
];

/// The VM hook installed at `path`.
pub fn hook(path: &'static str) -> File {
    File {
        path,
        text: texts::HOOKS_VFNET_HOOK,
        mode: 0o755,
        host: true,
    }
}

const INITRAMFS_TOOLS: [File; 2] = [
    File {
        path: "/etc/initramfs-tools/hooks/vfnet",
        text: texts::INITRAMFS_HOOKS_INITRAMFS_TOOLS_HOOKS_VFNET,
        mode: 0o755,
        host: true,
    },
    File {
        path: "/etc/initramfs-tools/scripts/init-premount/vfnet",
        text: texts::INITRAMFS_HOOKS_INITRAMFS_TOOLS_SCRIPTS_INIT_PREMOUNT_VFNET,
        mode: 0o755,
        host: false,
    },
];

const DRACUT: [File; 3] = [
    File {
        path: "/usr/lib/dracut/modules.d/90vfnet/module-setup.sh",
        text: texts::INITRAMFS_HOOKS_DRACUT_90VFNET_MODULE_SETUP_SH,
        mode: 0o755,
        host: true,
    },
    File {
        path: "/usr/lib/dracut/modules.d/90vfnet/vfnet-apply.sh",
        text: texts::INITRAMFS_HOOKS_DRACUT_90VFNET_VFNET_APPLY_SH,
        mode: 0o755,
        host: false,
    },
    File {
        path: "/etc/dracut.conf.d/vfnet.conf",
        text: texts::INITRAMFS_HOOKS_DRACUT_VFNET_CONF,
        mode: 0o644,
        host: false,
    },
];

/// Lines of host files that name the config file, and the quoting of the
/// language each is in: the only lines that change when the config is not
/// at the default path. (Copies into an initramfs keep naming
/// `/etc/vfnet/vfnet.conf`, where the image has it.)
const CONFIG_LINES: [(&str, Lang); 5] = [
    ("VFNET_CONFIG=", Lang::Sh),
    ("vfnet_config=", Lang::Sh),
    ("Environment=VFNET_CONFIG=", Lang::Systemd),
    ("RequiresMountsFor=", Lang::Systemd),
    ("ConditionPathExists=", Lang::Systemd),
];

/// The language a glue line is in, for quoting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Sh,
    Systemd,
}

/// The file's text for a config file at `config` (a system path), the path
/// quoted for the language of each line it lands in; or why that path
/// cannot be written there safely.
pub fn text(file: &File, config: &str) -> Result<Cow<'static, str>, String> {
    if !file.host || config == DEFAULT_PATH {
        return Ok(Cow::Owned(file.text.text()));
    }
    let text = file.text.text();
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        match CONFIG_LINES.iter().find(|(p, _)| line.starts_with(p)) {
            Some((_, lang)) => {
                let quoted = match lang {
                    Lang::Sh => crate::text::sh_quote(config)?,
                    Lang::Systemd => crate::text::systemd_path(config)?,
                };
                out.push_str(&line.replace(DEFAULT_PATH, &quoted));
            }
            None => out.push_str(line),
        }
    }
    Ok(Cow::Owned(out))
}

/// The config file `install` creates when there is none
/// (`help/vfnet.conf`).
pub const EXAMPLE_CONFIG: crate::packed::Packed = texts::HELP_VFNET_CONF;

/// What is present under a root, as far as choosing glue goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Found {
    /// `/run/systemd/system`: booted with systemd.
    pub systemd_running: bool,
    /// systemd is installed.
    pub systemd: bool,
    /// OpenRC is installed.
    pub openrc: bool,
    /// initramfs-tools is installed.
    pub initramfs_tools: bool,
    /// dracut is installed.
    pub dracut: bool,
    /// TrueNAS's middleware client.
    pub midclt: bool,
}

/// The system-path markers each fact of [`Found`] is read from.
/// Sets one fact of a [`Found`].
pub type Mark = fn(&mut Found);

/// The markers, one path per fact.
pub const MARKERS: [(&str, Mark); 9] = [
    ("/run/systemd/system", |f| f.systemd_running = true),
    ("/lib/systemd/systemd", |f| f.systemd = true),
    ("/usr/lib/systemd/systemd", |f| f.systemd = true),
    ("/sbin/openrc-run", |f| f.openrc = true),
    ("/usr/sbin/openrc-run", |f| f.openrc = true),
    ("/usr/sbin/update-initramfs", |f| f.initramfs_tools = true),
    ("/usr/bin/dracut", |f| f.dracut = true),
    ("/usr/sbin/dracut", |f| f.dracut = true),
    ("/usr/bin/midclt", |f| f.midclt = true),
];

/// Reads the markers of [`MARKERS`] under the root (the one function here
/// that looks at the file system).
pub fn found(root: &crate::sysfs::Root) -> Found {
    let mut found = Found::default();
    for (path, set) in MARKERS {
        if root.real(path).exists() {
            set(&mut found);
        }
    }
    found
}

/// The glue `--init auto` picks: TrueNAS alone (its root file system is
/// replaced on upgrade, glue there would vanish); else the init system
/// (the running one first) and the initramfs generator. VFs made in the
/// initramfs are there before anything else; the service then finds them
/// as configured, and catches PFs whose drivers were not in the image.
pub fn detect(f: &Found) -> Vec<Init> {
    if f.midclt {
        return vec![Init::Truenas];
    }
    let mut out = Vec::new();
    if f.systemd_running || (f.systemd && !f.openrc) {
        out.push(Init::Systemd);
    } else if f.openrc {
        out.push(Init::Openrc);
    }
    if f.initramfs_tools {
        out.push(Init::InitramfsTools);
    } else if f.dracut {
        out.push(Init::Dracut);
    }
    out
}

/// The TrueNAS pre-init command that applies the config on a pool. TrueNAS
/// runs it through a shell: both paths are quoted as sh words.
pub fn truenas_command(binary: &str, config: &str) -> Result<String, String> {
    Ok(crate::msg!(
        "{} --config {} apply --wait 30",
        crate::text::sh_quote(binary)?,
        crate::text::sh_quote(config)?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_picks_the_init_system_and_the_initramfs_generator() {
        let debian = Found {
            systemd_running: true,
            systemd: true,
            initramfs_tools: true,
            ..Found::default()
        };
        assert_eq!(detect(&debian), [Init::Systemd, Init::InitramfsTools]);
        let fedora = Found {
            systemd: true,
            dracut: true,
            ..Found::default()
        };
        assert_eq!(detect(&fedora), [Init::Systemd, Init::Dracut]);
        let alpine = Found {
            openrc: true,
            ..Found::default()
        };
        assert_eq!(detect(&alpine), [Init::Openrc]);
        // Devuan-like: systemd's binary installed but OpenRC runs.
        let both = Found {
            systemd: true,
            openrc: true,
            initramfs_tools: true,
            ..Found::default()
        };
        assert_eq!(detect(&both), [Init::Openrc, Init::InitramfsTools]);
        let truenas = Found {
            systemd_running: true,
            systemd: true,
            initramfs_tools: true,
            midclt: true,
            ..Found::default()
        };
        assert_eq!(detect(&truenas), [Init::Truenas]);
        assert_eq!(detect(&Found::default()), []);
    }

    #[test]
    fn host_files_name_the_chosen_config_and_initramfs_files_do_not() {
        let unit = &Init::Systemd.files()[0];
        let moved = text(unit, "/mnt/tank/vfnet.conf").unwrap();
        assert!(moved.contains("Environment=VFNET_CONFIG=/mnt/tank/vfnet.conf"));
        assert!(moved.contains("RequiresMountsFor=/usr/local/sbin/vfnet /mnt/tank/vfnet.conf"));
        assert!(!moved.contains(DEFAULT_PATH));
        assert_eq!(text(unit, DEFAULT_PATH).unwrap(), unit.text.text());
        let script = &Init::InitramfsTools.files()[1];
        assert_eq!(
            text(script, "/mnt/tank/vfnet.conf").unwrap(),
            script.text.text()
        );
        let hook = &Init::InitramfsTools.files()[0];
        let moved = text(hook, "/mnt/tank/vfnet.conf").unwrap();
        assert!(moved.contains("\nVFNET_CONFIG=/mnt/tank/vfnet.conf\n"));
        assert!(moved.contains("cp \"$VFNET_CONFIG\" \"${DESTDIR}/etc/vfnet/vfnet.conf\""));
        let dracut = text(&Init::Dracut.files()[0], "/mnt/tank/vfnet.conf").unwrap();
        assert!(dracut.contains("inst_simple \"$VFNET_CONFIG\" /etc/vfnet/vfnet.conf"));
        let openrc = text(&Init::Openrc.files()[0], "/mnt/tank/vfnet.conf").unwrap();
        assert!(openrc.contains("\nvfnet_config=/mnt/tank/vfnet.conf\n"));
    }

    #[test]
    fn a_config_path_is_quoted_for_each_language_or_refused() {
        let evil = "/mnt/tank/$(touch /pwned)`id`'x/vfnet.conf";
        let hook = text(&Init::InitramfsTools.files()[0], evil).unwrap();
        assert!(
            hook.contains("\nVFNET_CONFIG='/mnt/tank/$(touch /pwned)`id`'\\''x/vfnet.conf'\n"),
            "{hook}"
        );
        let openrc = text(&Init::Openrc.files()[0], evil).unwrap();
        assert!(
            openrc.contains("\nvfnet_config='/mnt/tank/$(touch /pwned)`id`'\\''x/vfnet.conf'\n")
        );
        // A unit cannot hold a quote safely: refused, with the reason.
        let e = text(&Init::Systemd.files()[0], evil).unwrap_err();
        assert!(e.contains("a systemd unit cannot hold"), "{e}");
        let spaced = text(&Init::Systemd.files()[0], "/mnt/my pool/v.conf").unwrap_err();
        assert!(spaced.contains("white space"), "{spaced}");
        let pct = text(&Init::Systemd.files()[0], "/mnt/100%/v.conf").unwrap();
        assert!(pct.contains("ConditionPathExists=/mnt/100%%/v.conf\n"));
        // A newline is refused everywhere.
        assert!(text(&Init::InitramfsTools.files()[0], "/a\nreboot").is_err());
        assert_eq!(
            truenas_command("/mnt/my pool/vfnet", "/mnt/my pool/vfnet.conf").unwrap(),
            "'/mnt/my pool/vfnet' --config '/mnt/my pool/vfnet.conf' apply --wait 30"
        );
    }

    #[test]
    fn vfs_are_left_alone_by_driver() {
        let d = vec!["igbvf".to_string(), "iavf".to_string()];
        assert!(
            nm_unmanaged(&d).ends_with("[keyfile]\nunmanaged-devices+=driver:igbvf;driver:iavf\n")
        );
        assert!(
            networkd_unmanaged(&d)
                .ends_with("[Match]\nDriver=igbvf iavf\n\n[Link]\nUnmanaged=yes\n")
        );
    }

    #[test]
    fn the_unit_runs_before_network_managers() {
        let unit = Init::Systemd.files()[0].text.text();
        for line in [
            "DefaultDependencies=no",
            "Before=network-pre.target shutdown.target",
            "Wants=network-pre.target",
            "Type=oneshot",
            "RemainAfterExit=yes",
            "ExecStart=/usr/local/sbin/vfnet apply --wait 30",
            "WantedBy=sysinit.target",
        ] {
            assert!(unit.lines().any(|l| l == line), "{line}");
        }
        assert_eq!(
            Init::Systemd.links()[0].path,
            "/etc/systemd/system/sysinit.target.wants/vfnet.service"
        );
    }
}
