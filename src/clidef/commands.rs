//! The commands of the definition (`super::COMMANDS`): each one's synopsis,
//! prose, options and operands, in `vfnet -h`'s order.

use super::{Block, Command, ESWITCH, HOOKS, INITS, JSON, ON_OFF, Operand, Opt, Values, opt};

/// Every command, in `vfnet -h`'s order.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "list",
        brief: (
            "list [--json] [DEV]",
            "list PFs and their VFs (the default command)",
        ),
        usage: &["list [--all] [--json | --brief] [--no-headers] [--stats] [DEV]"],
        body: &[
            Block::Text(
                "List physical functions (PFs) and their virtual functions (VFs), with the VF \
                 counts the config file asks for; with DEV, only that PF and its VFs (or \
                 that VF and its PF). This is what vfnet does without a command.",
            ),
            Block::Man(
                "Tables fit the terminal (or COLUMNS=N): columns give way in a fixed order \
                 (the README lists it), headers shorten, cells are cut; a line never wraps.",
            ),
            Block::Man(
                "--stats shows the counters the PF's driver keeps for each VF (IFLA_VF_STATS): a driver that keeps none reports zeros, and a tree under --root has none",
            ),
            Block::Man(
                "A VF's Used by column names who holds it: a VM (from its VMM's command \
                 line), a program with its vfio device open, a container its netdev moved \
                 into, or the host (a bridge, a bond, an address). A process vfnet cannot \
                 read fully is named as a possible user, never taken for none.",
            ),
        ],
        options: &[
            opt(
                Some('a'),
                "all",
                "",
                Values::Flag,
                "also SR-IOV devices without a network interface (NVMe, GPU, unbound NIC)",
            ),
            opt(
                Some('j'),
                "json",
                "",
                Values::Flag,
                "print one JSON document {\"version\":1,\"pfs\":[...],\"vfs\":[...]}",
            ),
            opt(
                Some('b'),
                "brief",
                "",
                Values::Flag,
                "one line per PF and per VF, no header (as ip -br)",
            ),
            opt(
                None,
                "no-headers",
                "",
                Values::Flag,
                "the tables' rows only (PFs, a blank line, VFs)",
            ),
            opt(
                None,
                "stats",
                "",
                Values::Flag,
                "also each VF's traffic counters, as the PF's driver counts them",
            ),
        ],
        operands: &[Operand::Dev],
        own_help: true,
    },
    Command {
        name: "set",
        brief: ("set DEV N", "make DEV have N VFs now (0 removes them)"),
        usage: &[
            "set [--autoprobe on|off] [--eswitch legacy|switchdev] [--timeout SECS] \
             [--dry-run] [--force] [--json] DEV N",
        ],
        body: &[
            Block::Text(
                "Make DEV have N VFs now (0 removes them); vfnet persist records N for the \
                 next boot.",
            ),
            Block::Man(
                "DEV is a PF's interface name (enp1s0f0) or PCI address (0000:01:00.0), \
                 network device or not. N is checked against the device's sriov_totalvfs \
                 first. Changing a nonzero count goes through 0, as the kernel requires. \
                 vfnet returns once the N VFs and their drivers are there, then lists them.",
            ),
            Block::Text(
                "Changing a nonzero count destroys every VF: when one is in use (a VM, a \
                 program, a container, a bridge or an address on the host), set refuses, \
                 names each user, and changes nothing, unless --force.",
            ),
            Block::Man(
                "A ConnectX-3 (mlx4_core) takes its count when its driver loads: changing it \
                 reloads mlx4_core (every ConnectX-3 port goes down for a moment), so set \
                 does it only with --reload, after recording N (or X,Y,Z) as persist does.",
            ),
            Block::Man(
                "Drivers change the eswitch mode only without VFs: a change goes through 0 \
                 VFs, as a count change does, and a refusal puts the VFs back.",
            ),
            Block::Man(
                "Once 0 is written on the way to N, N is written: SIGTERM, SIGINT and SIGHUP \
                 are held until then, and a deadline that passes in between does not stop \
                 it, so a PF is never left at 0 VFs half way.",
            ),
        ],
        options: &[
            opt(
                Some('n'),
                "dry-run",
                "",
                Values::Flag,
                "say what would change and who uses the VFs it destroys; exit as the run \
                 would",
            ),
            opt(
                Some('j'),
                "json",
                "",
                Values::Flag,
                "print the outcome as one JSON document (apply --json's shape)",
            ),
            opt(
                None,
                "reload",
                "",
                Values::Flag,
                "ConnectX-3: record the count and reload mlx4_core",
            ),
            opt(
                None,
                "force",
                "",
                Values::Flag,
                "change the count even when VFs are in use",
            ),
            opt(
                None,
                "autoprobe",
                "on|off",
                Values::OneOf(ON_OFF),
                "whether new VFs get a host driver (off: ready for vfio-pci)",
            ),
            opt(
                None,
                "eswitch",
                "MODE",
                Values::OneOf(ESWITCH),
                "the PF's eswitch mode over devlink: switchdev (a representor netdev per \
                 VF, for OVS or tc) or legacy; a change goes through 0 VFs",
            ),
            opt(
                Some('t'),
                "timeout",
                "SECS",
                Values::Any,
                "give up waiting after SECS (default: the lock 30 s, the kernel 10 s plus \
                 1 s per VF, at most 300 s)",
            ),
        ],
        operands: &[Operand::Dev, Operand::Any],
        own_help: true,
    },
    Command {
        name: "vf",
        brief: (
            "vf DEV INDEX [SETTINGS]",
            "show or change a VF or VFs A-B (mac, vlan, trust, driver vfio-pci, ...); vf \
             DEV free: a free VF",
        ),
        usage: &[
            "vf [--persist] [--force] DEV INDEX|A-B [SETTING VALUE]...",
            "vf DEV INDEX|A-B [--json]",
            "vf DEV [INDEX|A-B] free [--driver vfio-pci] [--json]",
        ],
        body: &[
            Block::Text(
                "Without settings, show VF INDEX (or VFs A to B) of the PF DEV, as list does. \
                 With settings, change them now; --persist also records them in the config \
                 file, for vfnet apply at boot.",
            ),
            Block::Text(
                "vfnet vf DEV free prints the PCI address of DEV's lowest-numbered free VF \
                 (exit 1 when none is; INDEX|A-B: among those).",
            ),
            Block::Settings,
            Block::Man(
                "A new MAC reaches the VF's own netdev when its driver probes: vfnet brings \
                 the PF up if it is down and rebinds that one VF's driver.",
            ),
            Block::Man(
                "Each setting is its own rtnetlink request, so a driver that refuses one \
                 does not block the others; each refusal is one line, and the exit status \
                 is then 1. The stable MAC of mac auto for VF n of a PF whose permanent MAC \
                 is p0:p1:p2:p3:p4:p5 is (p0^p1^p2)&0xfc|0x02:p3:p4:p5:n>>8:n&0xff.",
            ),
            Block::Text(
                "A driver change of a VF in use (list's Used by) is refused unless --force.",
            ),
        ],
        options: &[
            opt(
                None,
                "persist",
                "",
                Values::Flag,
                "also record the settings in the config file",
            ),
            opt(
                None,
                "force",
                "",
                Values::Flag,
                "change the driver even when the VF is in use",
            ),
            opt(
                None,
                "driver",
                "vfio-pci",
                Values::OneOf(&["vfio-pci"]),
                "bind the free VF found to vfio-pci first (vf DEV free)",
            ),
            JSON,
            opt(
                Some('t'),
                "timeout",
                "SECS",
                Values::Any,
                "give up waiting for drivers after SECS (default 30)",
            ),
        ],
        operands: &[Operand::Dev, Operand::VfThenSettings],
        own_help: true,
    },
    Command {
        name: "persist",
        brief: ("persist [DEV [N]]", "record VF counts in the config file"),
        usage: &[
            "persist [--timeout SECS] [--dry-run] [--json] [DEV [N] [--vf SPEC]...]",
            "persist [--dry-run] DEV --remove",
            "persist DEV N|X,Y,Z [--probe N|X,Y,Z] [--refresh-initramfs]",
            "persist DEV [N] --eswitch legacy|switchdev",
        ],
        body: &[
            Block::Text(
                "Record VF counts in the config file, for vfnet apply at boot. The VFs that \
                 exist now are not changed (vfnet set does that).",
            ),
            Block::ManList(&[
                (
                    "vfnet persist",
                    "record the current count of every PF that has VFs (and update \
                         entries of PFs that have none now)",
                ),
                (
                    "vfnet persist DEV",
                    "record DEV's current count (both forms also record switchdev, when \
                         devlink reports it: DEV.eswitch)",
                ),
                (
                    "vfnet persist DEV N",
                    "record N for DEV, checked against its sriov_totalvfs",
                ),
                (
                    "vfnet persist DEV [N] --vf vfs.mac=auto --vf vf0-3.driver=vfio-pci",
                    "also (or only, without N) record VF settings, in the config file's \
                         own syntax after the PF",
                ),
                (
                    "vfnet persist DEV --remove",
                    "remove every entry of DEV (its count, its VF settings); DEV need \
                         not be present",
                ),
            ]),
            Block::Man(
                "A ConnectX-3 (mlx4_core) takes its count when its driver loads: persist \
                 also writes /etc/modprobe.d/vfnet-mlx4.conf and says when the initramfs \
                 must be rebuilt. X,Y,Z is X VFs on port 1, Y on port 2, Z on both.",
            ),
            Block::Man(
                "persist --vf SPEC records only the settings asked for: no stable MACs are added then, where a plain persist adds vfs.mac=auto. --json prints apply --json's document with one record per PF, for diffs (the Ansible module's check mode)",
            ),
        ],
        options: &[
            opt(
                Some('t'),
                "timeout",
                "SECS",
                Values::Any,
                "give up waiting for another vfnet's edit after SECS (default 30)",
            ),
            opt(
                Some('n'),
                "dry-run",
                "",
                Values::Flag,
                "print the config file as it would be, change nothing",
            ),
            opt(
                Some('j'),
                "json",
                "",
                Values::Flag,
                "print what was (would be) recorded as one JSON document",
            ),
            opt(
                None,
                "vf",
                "SPEC",
                Values::Any,
                "record a VF setting: vfN.SETTING=VALUE, vfA-B.SETTING=VALUE or \
                 vfs.SETTING=VALUE, as in the config file; only those are written",
            ),
            opt(None, "remove", "", Values::Flag, "remove DEV's entries"),
            opt(
                None,
                "probe",
                "N|X,Y,Z",
                Values::Any,
                "ConnectX-3: how many VFs the host's driver takes (probe_vf; default none)",
            ),
            opt(
                None,
                "port-type",
                "ib|eth|auto[,...]",
                Values::ListOf(&["ib", "eth", "auto"]),
                "ConnectX-3: port 1's type, then port 2's (port_type_array, next to num_vfs)",
            ),
            opt(
                None,
                "refresh-initramfs",
                "",
                Values::Flag,
                "ConnectX-3: rebuild the initramfs after writing the modprobe.d file",
            ),
            opt(
                None,
                "eswitch",
                "MODE",
                Values::OneOf(ESWITCH),
                "record DEV's eswitch mode, set before its VFs are made",
            ),
        ],
        operands: &[Operand::Dev, Operand::Any],
        own_help: true,
    },
    Command {
        name: "apply",
        brief: (
            "apply [--dry-run]",
            "make the VFs (counts, eswitch modes, settings) match the config file",
        ),
        usage: &["apply [--dry-run] [--wait SECS] [--timeout SECS] [--quiet] [--json]"],
        body: &[
            Block::Text(
                "Make the live VF counts, eswitch modes and VF settings match the config \
                 file, entry by entry, as vfnet set and vfnet vf do; entries that match are \
                 left alone. A bad entry is reported (exit 1) and the others still apply. \
                 Boot services run this, with --wait.",
            ),
            Block::Man(
                "A bad entry is a line that does not parse, an unknown device, a count over \
                 the device's total or a kernel error. apply prints one line per action: \
                 the device, what changed, how long it took.",
            ),
            Block::Man(
                "--wait plus --timeout bound the waits for what may never happen; a count \
                 once written gets 10 s plus 1 s per VF, never past the cap.",
            ),
            Block::Man(
                "An entry that would change a nonzero count while its VFs are in use (a VM, \
                 a container, the host) is skipped and reported (exit 1); the others apply. \
                 At boot nothing is in use.",
            ),
            Block::Man(
                "--wait waits for every configured PF to appear with its driver (at boot, drivers bind while apply starts), woken by uevents; --json's records carry each entry's before, wanted, after, status and error, and the totals, and the document is printed also when apply cannot run (its error says why)",
            ),
        ],
        options: &[
            opt(
                Some('n'),
                "dry-run",
                "",
                Values::Flag,
                "print what would change and change nothing; exit as the run would",
            ),
            opt(
                Some('w'),
                "wait",
                "SECS",
                Values::Any,
                "first wait up to SECS for every configured PF to appear with its driver; \
                 PFs still missing then are reported, the others applied",
            ),
            opt(
                Some('t'),
                "timeout",
                "SECS",
                Values::Any,
                "the budget for what may never happen, after --wait (default 30)",
            ),
            opt(
                None,
                "deadline",
                "SECS",
                Values::Any,
                "the hard cap of the whole run (default 300, or VFNET_DEADLINE)",
            ),
            opt(Some('q'), "quiet", "", Values::Flag, "print errors only"),
            opt(
                Some('j'),
                "json",
                "",
                Values::Flag,
                "print one JSON document instead of the lines: a record per entry and the \
                 totals (errors still go to stderr)",
            ),
        ],
        operands: &[],
        own_help: true,
    },
    Command {
        name: "install",
        brief: (
            "install [--init INIT]",
            "install vfnet and its boot glue (systemd, OpenRC, initramfs-tools, dracut, \
             TrueNAS)",
        ),
        usage: &[
            "install [--init INIT[,INIT...]] [--hooks HOOK[,HOOK]] [--dry-run]",
            "uninstall [--init INIT[,INIT...] | --hooks[=HOOK[,HOOK]]] [--dry-run]",
        ],
        body: &[
            Block::Text(
                "install copies this binary to /usr/local/sbin/vfnet, creates the config \
                 file if there is none, and installs and enables the glue that runs vfnet \
                 apply early at boot:",
            ),
            Block::List(
                "",
                &[
                    (
                        "systemd",
                        "/etc/systemd/system/vfnet.service, enabled for sysinit.target",
                    ),
                    ("openrc", "/etc/init.d/vfnet, in the sysinit runlevel"),
                    (
                        "initramfs-tools",
                        "a hook and an init-premount script; update-initramfs -u",
                    ),
                    ("dracut", "the module 90vfnet; dracut -f"),
                    (
                        "truenas",
                        "the binary next to the config on a pool (--config /mnt/POOL/...), \
                         registered as a pre-init command",
                    ),
                    (
                        "auto",
                        "the running init system and the initramfs generator (the default); \
                         TrueNAS alone on TrueNAS",
                    ),
                ],
            ),
            Block::Text("uninstall removes what install added and keeps the config."),
            Block::Man(
                "Where the vfnet package is installed (/usr/sbin/vfnet, its glue in \
                 /usr/lib and /usr/share), install and uninstall leave the package's files \
                 alone: the package's systemd unit is enabled with systemctl enable \
                 vfnet.service, and a unit install writes to /etc/systemd/system takes \
                 precedence over it.",
            ),
            Block::Man(
                "--unmanaged-vfs writes /etc/NetworkManager/conf.d/90-vfnet-unmanaged-vfs.conf and /etc/systemd/network/05-vfnet-unmanaged-vfs.network, matching the VFs by their driver (igbvf, ixgbevf, iavf, as bound or as their PF's driver pairs). --fdb-sync adds the vfnet fdb --watch service (systemd, OpenRC). --metrics DIR adds a systemd timer, or an /etc/cron.d line with OpenRC, refreshing DIR/vfnet.prom every minute. --hooks installs the VM hook for libvirt (/etc/libvirt/hooks/qemu.d/vfnet) or Proxmox (/var/lib/vz/snippets/vfnet). install prints every file it writes and every command it runs; a second run changes nothing",
            ),
            Block::Text(
                "--driver, --unmanaged-vfs, --fdb-sync and --metrics are for install only.",
            ),
        ],
        options: &[
            opt(
                None,
                "init",
                "INIT",
                Values::ListOf(INITS),
                "which glue (repeat, or separate with commas)",
            ),
            opt(
                None,
                "driver",
                "NAME",
                Values::Any,
                "also put kernel module NAME in the initramfs (repeat, or commas)",
            ),
            opt(
                None,
                "unmanaged-vfs",
                "",
                Values::Flag,
                "make NetworkManager and systemd-networkd leave the VFs alone (no DHCP on \
                 VFs meant for VMs); without it, for PFs with KEY.unmanaged_vfs=yes",
            ),
            opt(
                None,
                "fdb-sync",
                "",
                Values::Flag,
                "also the vfnet fdb --watch service (vfnet fdb -h)",
            ),
            opt(
                None,
                "metrics",
                "DIR",
                Values::Dir,
                "refresh DIR/vfnet.prom (vfnet metrics) every minute: a systemd timer, or a \
                 cron line with OpenRC",
            ),
            opt(
                None,
                "hooks",
                "HOOK",
                Values::ListOf(HOOKS),
                "the VM hooks (libvirt, proxmox): a VM's VFs checked free and set up",
            ),
            INSTALL_DRY_RUN,
        ],
        operands: &[],
        own_help: true,
    },
    Command {
        name: "uninstall",
        brief: ("uninstall", "remove what install added (keeps the config)"),
        usage: &[],
        body: &[],
        options: &[
            opt(
                None,
                "init",
                "INIT",
                Values::ListOf(INITS),
                "which glue to remove",
            ),
            opt(
                None,
                "hooks",
                "HOOK",
                Values::AttachedListOf(HOOKS),
                "remove the VM hooks alone (all of them without a value)",
            ),
            INSTALL_DRY_RUN,
        ],
        operands: &[],
        own_help: false,
    },
    Command {
        name: "doctor",
        brief: (
            "doctor [DEV]",
            "check the set-up (IOMMU, vfio-pci, firmware, BARs, IOMMU groups, config drift, \
             boot service)",
        ),
        usage: &["doctor [DEV] [--json]"],
        body: &[
            Block::Text(
                "Check what SR-IOV needs and explain each problem with its fix: the IOMMU, \
                 vfio-pci, and for each PF (or DEV only) firmware, driver, VF BARs, IOMMU \
                 groups, the config against the live state, and the boot service.",
            ),
            Block::Text("Exit status: 0 when nothing is wrong, 1 otherwise."),
        ],
        options: &[opt(
            Some('j'),
            "json",
            "",
            Values::Flag,
            "print {\"version\":1,\"ok\":...,\"findings\":[...]}",
        )],
        operands: &[Operand::Dev],
        own_help: true,
    },
    Command {
        name: "capture",
        brief: (
            "capture [FILE]",
            "write what vfnet reads here as one tar archive (for a bug report; vfnet --root \
             replays it)",
        ),
        usage: &["capture [--anonymize] [FILE]"],
        body: &[
            Block::Text(
                "Write one tar archive of exactly what vfnet reads on this machine, for a \
                 bug report: unpacked, `vfnet --root DIR` lists what this machine lists.",
            ),
            Block::Man(
                "It holds the sysfs entries of the network and SR-IOV PCI functions and \
                 their VFs, drivers and IOMMU groups, the kernel command line and version, \
                 the config file's entries, vfnet's boot glue, and (on a live system) the VF \
                 settings rtnetlink reports.",
            ),
            Block::Text("FILE defaults to vfnet-capture.tar; - writes to standard output."),
        ],
        options: &[opt(
            None,
            "anonymize",
            "",
            Values::Flag,
            "replace every MAC address, consistently (also --anonymise)",
        )],
        operands: &[Operand::File],
        own_help: true,
    },
    Command {
        name: "fdb",
        brief: (
            "fdb [--watch] [DEV]",
            "let VFs reach the guests on the bridge their PF is a port of (the bridge's \
             MACs into the PF's table)",
        ),
        usage: &["fdb [--dry-run] [--json] [--watch] [DEV]"],
        body: &[
            Block::Text(
                "Let VFs reach the guests on the Linux bridge their PF is a port of: the \
                 MACs the bridge has on its other ports go into the PF's own table (bridge \
                 fdb add MAC dev PF self), and those vfnet added that are gone come out.",
            ),
            Block::Man(
                "A frame a VF sends to a VM's tap on that bridge goes to the NIC's embedded \
                 switch, which does not know the VM's MAC, and leaves on the wire. fdb never \
                 removes an entry it did not add (its record: /run/vfnet/fdb/PCI).",
            ),
            Block::Man(
                "A PF counts when it is a bridge port directly, through its bond, or through \
                 a VLAN on either. Without DEV: the PFs the config gives KEY.fdb_sync=yes, \
                 or, when it gives none, every PF with VFs. A PF without VFs needs nothing: \
                 what vfnet added to it is removed.",
            ),
        ],
        options: &[
            opt(
                Some('n'),
                "dry-run",
                "",
                Values::Flag,
                "say what would be added and removed; change nothing",
            ),
            JSON,
            opt(
                Some('w'),
                "watch",
                "",
                Values::Flag,
                "keep the tables in step, one line per change, until stopped",
            ),
        ],
        operands: &[Operand::Dev],
        own_help: true,
    },
    Command {
        name: "metrics",
        brief: (
            "metrics [--textfile DIR]",
            "PFs, VFs, users, settings and counters for Prometheus",
        ),
        usage: &["metrics [--textfile DIR]"],
        body: &[
            Block::Text(
                "Print PFs, VFs, their users, settings and counters as Prometheus metrics (the \
                 text format).",
            ),
            Block::Man(
                "Per PF its VFs \
             now, the most it allows and the count the config asks for; per VF an info \
             series (PF, index, PCI address, interface, driver, user), whether it is in use, \
             its settings as labels, and its traffic counters as the PF's driver keeps them \
             (live systems only); and how long the scrape took. The README lists every \
             series.",
            ),
        ],
        options: &[opt(
            None,
            "textfile",
            "DIR",
            Values::Dir,
            "write DIR/vfnet.prom (atomically) for node_exporter's textfile collector, \
             instead of printing",
        )],
        operands: &[],
        own_help: true,
    },
    Command {
        name: "help",
        brief: ("help [COMMAND]", "show help for a command"),
        usage: &["help [COMMAND]"],
        body: &[],
        options: &[],
        operands: &[],
        own_help: false,
    },
];

/// `--dry-run` of install and uninstall alike.
const INSTALL_DRY_RUN: Opt = opt(
    Some('n'),
    "dry-run",
    "",
    Values::Flag,
    "print what would be done and do nothing",
);
