//! The man page's own sections (`super::MAN_SECTIONS`): CONFIG FILE,
//! FILES, EXIT STATUS, ENVIRONMENT, EXAMPLES, SEE ALSO.

use super::Block;

/// The man page's sections after the commands', by title.
pub const MAN_SECTIONS: &[(&str, &[Block])] = &[
    (
        "CONFIG FILE",
        &[
            Block::Text(
                "/etc/vfnet/vfnet.conf (or --config FILE) has one KEY=VALUE a line; # starts \
                 a comment. KEY is a PF's PCI address, which survives interface renames, or \
                 its interface name. vfnet persist writes it; apply, list and doctor read \
                 it. A line that does not parse spoils that line only.",
            ),
            Block::List(
                "",
                &[
                    ("KEY=N", "N VFs on the PF (X,Y,Z for a ConnectX-3's ports)"),
                    (
                        "KEY.vfN.SETTING=VALUE",
                        "a setting of VF N (the settings of vfnet vf)",
                    ),
                    ("KEY.vfA-B.SETTING=VALUE", "a setting of VFs A to B"),
                    (
                        "KEY.vfs.SETTING=VALUE",
                        "a setting of every VF (vfs.mac=auto: stable MACs)",
                    ),
                    (
                        "KEY.eswitch=MODE",
                        "legacy or switchdev, set before the VFs are made",
                    ),
                    (
                        "KEY.unmanaged_vfs=yes",
                        "install keeps host networking off its VFs",
                    ),
                    (
                        "KEY.fdb_sync=yes",
                        "apply and fdb sync the bridge's MACs to the PF",
                    ),
                ],
            ),
            Block::Verbatim(
                "# enp1s0f0\n0000:01:00.0=4\n0000:01:00.0.vfs.mac=auto\n0000:01:00.0.vf0-1.driver=vfio-pci",
            ),
        ],
    ),
    (
        "FILES",
        &[Block::List(
            "",
            &[
                ("/etc/vfnet/vfnet.conf", "the config file"),
                (
                    "/etc/vfnet/drivers",
                    "kernel modules the initramfs glue adds (install --driver)",
                ),
                (
                    "/etc/vfnet/proxmox.conf",
                    "the Proxmox hook's per-VM VF settings",
                ),
                (
                    "/etc/modprobe.d/vfnet-mlx4.conf",
                    "a ConnectX-3's VF counts, as mlx4_core's parameters",
                ),
                (
                    "/run/vfnet/",
                    "the lock, the fdb records and the VM hooks' undo records",
                ),
                (
                    "/usr/lib/systemd/system/vfnet.service",
                    "the packaged unit (vfnet install writes /etc/systemd/system/vfnet.service)",
                ),
            ],
        )],
    ),
    (
        "EXIT STATUS",
        &[Block::List(
            "",
            &[
                ("0", "success"),
                ("1", "failure (for apply: an entry failed or was skipped)"),
                ("2", "usage error"),
                ("128+N", "stopped by signal N"),
            ],
        )],
    ),
    (
        "ENVIRONMENT",
        &[Block::List(
            "",
            &[
                ("VFNET_ROOT", "as --root"),
                ("VFNET_CONFIG", "as --config"),
                (
                    "VFNET_DEADLINE",
                    "apply's hard cap in seconds (as --deadline)",
                ),
                (
                    "COLUMNS",
                    "the width tables fit (else the terminal's; none: whole tables)",
                ),
            ],
        )],
    ),
    (
        "EXAMPLES",
        &[
            Block::Text("Give the PF enp1s0f0 four VFs now and at every boot:"),
            Block::Verbatim("vfnet set enp1s0f0 4\nvfnet persist enp1s0f0\nvfnet install"),
            Block::Text("Give VF 0 a fixed MAC and VLAN 100, and hand VF 1 to vfio-pci:"),
            Block::Verbatim(
                "vfnet vf enp1s0f0 0 mac 02:11:22:33:44:55 vlan 100\nvfnet vf enp1s0f0 1 driver vfio-pci",
            ),
            Block::Text("The next free VF, for a VM:"),
            Block::Verbatim("vfnet vf enp1s0f0 free --driver vfio-pci"),
        ],
    ),
    (
        "SEE ALSO",
        &[Block::Text(
            "ip-link(8), bridge(8), devlink(8), lspci(8), modprobe.d(5), systemd.unit(5), \
             initramfs-tools(7), dracut(8), and the README, /usr/share/doc/vfnet/README.md.",
        )],
    ),
];
