//! The command line, defined once: every command with its synopsis, its
//! operands, its options (their values and help) and its prose, the VF
//! settings `vf` takes, and the man page's own sections. Everything a user
//! reads about the command line is generated from here: the `-h` texts
//! (`help/*.txt`, packed into the binary), the man page `vfnet(8)`
//! (`crate::manpage`) and the bash, zsh and fish completions
//! (`crate::completion`). `tests/clidocs.rs` fails when a generated file in
//! the repository differs from what this gives (`UPDATE_CLIDOCS=1` rewrites
//! them), and when a command's parser accepts an option this table lacks or
//! lacks one it names.
//!
//! The binary never calls into this module (its `-h` texts are the
//! generated files, packed), so none of it is linked into it.

/// One command (`vfnet list`, ...).
pub struct Command {
    /// Its name.
    pub name: &'static str,
    /// Its short form and one-line summary, as `vfnet -h` lists it.
    pub brief: (&'static str, &'static str),
    /// The synopsis lines, each after `vfnet `.
    pub usage: &'static [&'static str],
    /// The prose, in order (`Block::Man` only in the man page).
    pub body: &'static [Block],
    /// Its options, as its parser takes them.
    pub options: &'static [Opt],
    /// What its words that are not options are, in order.
    pub operands: &'static [Operand],
    /// Whether `help/NAME.txt` is its `-h` (else another command's is).
    pub own_help: bool,
}

/// A piece of prose.
pub enum Block {
    /// A paragraph, in `-h` and the man page.
    Text(&'static str),
    /// A paragraph for the man page only.
    Man(&'static str),
    /// A list of terms with their meaning, under a title (or none).
    List(&'static str, &'static [(&'static str, &'static str)]),
    /// A list for the man page only.
    ManList(&'static [(&'static str, &'static str)]),
    /// The VF settings (`SETTINGS`), as a list.
    Settings,
    /// Lines shown as they are (an example, a file).
    Verbatim(&'static str),
}

/// One option.
pub struct Opt {
    /// Its one-letter form.
    pub short: Option<char>,
    /// Its long form, without `--`.
    pub long: &'static str,
    /// The name of its value (`SECS`); empty for a flag.
    pub value: &'static str,
    /// What its value may be.
    pub values: Values,
    /// What it does.
    pub help: &'static str,
}

/// What a value may be, for completion.
#[derive(Clone, Copy)]
pub enum Values {
    /// No value: a flag.
    Flag,
    /// Anything (a number, seconds, a spec).
    Any,
    /// A PF: an interface name or a PCI address.
    Dev,
    /// A file name.
    File,
    /// A directory.
    Dir,
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// Some of these words, separated by commas.
    ListOf(&'static [&'static str]),
    /// Like `ListOf`, but only after `=` in the same word, and optional.
    AttachedListOf(&'static [&'static str]),
}

/// A word of a command that is not an option.
#[derive(Clone, Copy, PartialEq)]
pub enum Operand {
    /// A PF (interface name or PCI address).
    Dev,
    /// A number, or a spec: not completed.
    Any,
    /// A file name.
    File,
    /// `vf`'s VF index or range, then `free` or settings.
    VfThenSettings,
}

/// One VF setting of `vfnet vf` (and of the config file's `vfN.SETTING`).
pub struct Setting {
    /// Its name.
    pub name: &'static str,
    /// Its value(s), as the help shows them.
    pub value: &'static str,
    /// What the value may be.
    pub values: Values,
    /// How many words the value takes.
    pub words: usize,
    /// What it does.
    pub help: &'static str,
}

pub(crate) const ON_OFF: &[&str] = &["on", "off"];

/// The settings `vfnet vf DEV INDEX SETTING VALUE...` takes.
pub const SETTINGS: &[Setting] = &[
    Setting {
        name: "mac",
        value: "MAC|auto",
        values: Values::OneOf(&["auto", "00:00:00:00:00:00"]),
        words: 1,
        help: "the VF's MAC; auto: a stable one derived from the PF's permanent MAC and \
               INDEX, the same on every boot; 00:00:00:00:00:00 clears it",
    },
    Setting {
        name: "node_guid",
        value: "GUID|auto",
        values: Values::OneOf(&["auto"]),
        words: 1,
        help: "an InfiniBand VF's node GUID (00:11:22:33:44:55:66:77); auto: a stable one \
               derived from the PF's port GUID and INDEX; the VF's driver is rebound to take it",
    },
    Setting {
        name: "port_guid",
        value: "GUID|auto",
        values: Values::OneOf(&["auto"]),
        words: 1,
        help: "an InfiniBand VF's port GUID; auto: the same GUID as node_guid auto",
    },
    Setting {
        name: "vlan",
        value: "ID",
        values: Values::Any,
        words: 1,
        help: "VLAN id the NIC tags the VF's traffic with (0: none)",
    },
    Setting {
        name: "qos",
        value: "Q",
        values: Values::OneOf(&["0", "1", "2", "3", "4", "5", "6", "7"]),
        words: 1,
        help: "the VLAN's 802.1p priority (0-7)",
    },
    Setting {
        name: "proto",
        value: "802.1Q|802.1ad",
        values: Values::OneOf(&["802.1Q", "802.1ad"]),
        words: 1,
        help: "the VLAN's protocol (802.1ad: QinQ's outer tag)",
    },
    Setting {
        name: "query_rss",
        value: "on|off",
        values: Values::OneOf(ON_OFF),
        words: 1,
        help: "let the VF query the PF's RSS configuration",
    },
    Setting {
        name: "trust",
        value: "on|off",
        values: Values::OneOf(ON_OFF),
        words: 1,
        help: "let the VF change its MAC and use promiscuous mode",
    },
    Setting {
        name: "spoofchk",
        value: "on|off",
        values: Values::OneOf(ON_OFF),
        words: 1,
        help: "drop frames whose source MAC is not the VF's",
    },
    Setting {
        name: "state",
        value: "auto|enable|disable",
        values: Values::OneOf(&["auto", "enable", "disable"]),
        words: 1,
        help: "link state: follow the PF, always up, always down",
    },
    Setting {
        name: "rate",
        value: "MIN MAX",
        values: Values::Any,
        words: 2,
        help: "TX rate limits in Mbit/s (0: no limit)",
    },
    Setting {
        name: "mtu",
        value: "N",
        values: Values::Any,
        words: 1,
        help: "the MTU of the VF's netdev on the host (the PF's is raised to it first, \
               never lowered)",
    },
    Setting {
        name: "driver",
        value: "vfio-pci|default",
        values: Values::OneOf(&["vfio-pci", "default"]),
        words: 1,
        help: "hand the VF to vfio-pci (for a VM), or back",
    },
];

/// The glue `install --init` takes.
pub const INITS: &[&str] = &[
    "auto",
    "systemd",
    "openrc",
    "initramfs-tools",
    "dracut",
    "truenas",
];

/// The VM hooks `install --hooks` takes.
pub const HOOKS: &[&str] = &["libvirt", "proxmox"];

/// The eswitch modes.
pub const ESWITCH: &[&str] = &["legacy", "switchdev"];

pub(crate) const fn opt(
    short: Option<char>,
    long: &'static str,
    value: &'static str,
    values: Values,
    help: &'static str,
) -> Opt {
    Opt {
        short,
        long,
        value,
        values,
        help,
    }
}

pub(crate) const JSON: Opt = opt(
    Some('j'),
    "json",
    "",
    Values::Flag,
    "print one JSON document (README, \"JSON documents\")",
);

/// The options every command takes, before or after it.
pub const GLOBAL: &[Opt] = &[
    opt(
        None,
        "root",
        "DIR",
        Values::Dir,
        "use DIR as / for /sys, /proc, /etc, /run and /usr/share (env VFNET_ROOT)",
    ),
    opt(
        None,
        "config",
        "FILE",
        Values::File,
        "config file (env VFNET_CONFIG; default /etc/vfnet/vfnet.conf)",
    ),
    opt(
        Some('h'),
        "help",
        "",
        Values::Flag,
        "show this help; vfnet COMMAND -h shows a command's",
    ),
];

/// The options of `vfnet` alone, before any command.
pub const TOP_ONLY: &[Opt] = &[opt(
    Some('V'),
    "version",
    "",
    Values::Flag,
    "show the version (and the commit it was built from)",
)];

/// `vfnet` itself: what `vfnet -h` says before and after its command list.
pub const TOP: &[Block] = &[
    Block::Text("Manage SR-IOV virtual functions (VFs) of network cards."),
    Block::Man(
        "A VF is a slice of an SR-IOV device (its physical function, PF) that a VM or a \
         container gets directly, at line rate. vfnet lists PFs and their VFs and who uses \
         each, sets the number of VFs safely, gives VFs stable MACs and per-VF settings, \
         and records all of it in a plain config file that it applies at boot, early, \
         before networking (from an initramfs, systemd, OpenRC or TrueNAS).",
    ),
];

/// The text after the command list in `vfnet -h`.
pub const TOP_AFTER: &[Block] = &[Block::Text(
    "DEV is an interface name (enp1s0f0) or a PCI address (0000:01:00.0).",
)];
mod commands;
mod help;
mod man;
pub use commands::COMMANDS;
pub use help::{help_files, help_text, top_help};
pub use man::MAN_SECTIONS;

/// The command named `name`.
pub fn command(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// How an option is shown: `-t, --timeout SECS`.
pub fn opt_term(o: &Opt) -> String {
    let mut s = String::new();
    if let Some(c) = o.short {
        s.push('-');
        s.push(c);
        s.push_str(", ");
    }
    s.push_str("--");
    s.push_str(o.long);
    match (o.value, o.values) {
        ("", _) => {}
        (v, Values::AttachedListOf(_)) => s.push_str(&format!("[={v}]")),
        (v, _) => {
            s.push(' ');
            s.push_str(v);
        }
    }
    s
}
