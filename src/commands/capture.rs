//! `vfnet capture [FILE]`: one tar archive of exactly what vfnet reads on
//! this machine, so that `vfnet --root DIR` on the unpacked archive lists
//! what the machine listed. For bug reports, and turned into test fixtures.
//!
//! What goes in: the sysfs entries of every network and SR-IOV capable PCI
//! function and of their VFs (the attributes vfnet reads, the `driver`,
//! `subsystem`, `iommu_group`, `physfn` and `virtfnN` links, `net/IF/address`),
//! their `/sys/bus/pci/devices` and `/sys/class/net` links, their drivers'
//! directories, their IOMMU groups, `/sys/class/iommu`, the kernel command
//! line and version, the config file's entry lines, vfnet's boot glue, a
//! pci.ids excerpt with their names, and on a live system what rtnetlink
//! reports of each PF's VFs (`vfnet-capture/vfinfo/PF`, which `list` reads
//! back under `--root`). Links are stored as links, attributes as their
//! bytes; an attribute the kernel refuses to read is stored the way the
//! test trees mark one (a directory holding `errno`), so a replay cannot
//! read it either. Nothing else.
//!
//! `--anonymize` replaces every MAC address (netdev addresses, VF settings,
//! the config's `mac=` values) consistently: the same address gets the
//! same stand-in everywhere, `00:00:00:00:00:00` stays itself.

use crate::args::{self, Globals, Parsed};
use crate::config::{self, Line};
use crate::error::Result;
use crate::inventory::Inventory;
use crate::mac::Mac;
use crate::pci::PciAddr;
use crate::survey::{Want, survey};
use crate::sysfs::{Dir, LINK_MAX, Root};
use crate::system::System;
use crate::tar::Tar;
use crate::{files, glue, out, replay};
use lexopt::prelude::*;
use nix::errno::Errno;
use std::path::PathBuf;

/// `vfnet capture -h`.
pub const USAGE: crate::packed::Packed = crate::packed::texts::HELP_CAPTURE_TXT;

#[derive(Debug, Clone, PartialEq, Eq)]
/// `vfnet capture`'s arguments.
pub struct Args {
    /// `FILE`: where the archive goes (none: stdout).
    pub file: Option<PathBuf>,
    /// `--anonymize`: replace MACs and host names.
    pub anonymize: bool,
}

/// Parses `vfnet capture`'s arguments (or returns its help).
#[inline(never)]
pub fn parse(p: &mut lexopt::Parser, g: &mut Globals) -> Result<Parsed<Args>> {
    let mut args = Args {
        file: None,
        anonymize: false,
    };
    while let Some(arg) = p.next()? {
        crate::prologue!(arg, p, g, USAGE);
        match arg {
            Long("anonymize") | Long("anonymise") => args.anonymize = true,
            Value(v) if args.file.is_none() => args.file = Some(PathBuf::from(v)),
            _ => return Err(args::unexpected("capture", USAGE, arg)),
        }
    }
    Ok(Parsed::Run(args))
}

/// The attributes of a PCI function that vfnet (list, set, doctor, the
/// initramfs hooks) reads.
const ATTRS: [&str; 9] = [
    "vendor",
    "device",
    "class",
    "sriov_totalvfs",
    "sriov_numvfs",
    "sriov_drivers_autoprobe",
    "sriov_vf_device",
    "driver_override",
    "modalias",
];

/// The links of a PCI function that vfnet reads.
const LINKS: [&str; 4] = ["subsystem", "driver", "iommu_group", "physfn"];

/// Runs `vfnet capture` on the system `s`.
#[inline(never)]
pub fn run(s: &System, args: &Args) -> Result<()> {
    let root = &s.root;
    let sys = s.sys()?;
    // As list shows them: names, representors on their VFs, each PF's
    // eswitch mode, who used each VF (a capture's own record carried over).
    let want = Want {
        names: true,
        eswitch: true,
        users: true,
        settings: true,
        ..Want::scan()
    };
    let inv = survey(s, &want)?;
    let mut c = Capture::new(args.anonymize);
    c.functions(sys, &inv);
    // The netdevs that are no PCI function's (virtio, virtual): their
    // links only, so a replay says what the machine had instead of PFs.
    if let Ok(net) = sys.open_dir("class/net") {
        for (name, _) in &inv.others {
            c.copy_link(&net, name.as_str(), &crate::msg!("sys/class/net/{}", name));
        }
    }
    c.system(root, sys, &inv);
    let config_path = s.config.clone();
    c.config(root, &config_path);
    c.glue(root);
    // VF settings as list read them: over rtnetlink, or a capture's own
    // record when this is a replay (a capture of a capture keeps them).
    c.vf_settings(&inv);
    if let Some(text) = crate::replay::eswitch_text(&inv) {
        c.file(crate::replay::ESWITCH, text.as_bytes());
    }
    if inv.usage_known {
        c.used_by(&inv);
    }
    let archive = c.finish();
    match args.file.as_deref() {
        Some(p) if p.as_os_str() == "-" => {
            if let Err(e) = out::write_all(std::io::stdout(), &archive) {
                out::stdout_failed(e);
            }
        }
        file => {
            let path = file.map_or_else(|| PathBuf::from("vfnet-capture.tar"), PathBuf::from);
            files::write_atomic(&path, &archive, 0o644)?;
            out::print(&crate::msg!(
                "wrote {} ({} bytes): {}, {}{}; unpack it and run vfnet --root DIR to see what this machine lists\n",
                path.display(),
                archive.len(),
                out::plural(inv.pfs.len(), "PF", "PFs"),
                out::plural(inv.vfs().count(), "VF", "VFs"),
                if args.anonymize {
                    ", MAC addresses replaced"
                } else {
                    ""
                }
            ));
        }
    }
    Ok(())
}

/// The archive being filled, with the directories already in it.
struct Capture {
    tar: Tar,
    /// Directories already in the archive, sorted (binary search).
    dirs: Vec<String>,
    anon: Option<Anonymizer>,
    /// Members not written: a name that is empty, absolute or not
    /// normalized (a tree whose links lead to its root makes them), which
    /// a naive extractor would write anywhere.
    skipped: Vec<String>,
}

impl Capture {
    fn new(anonymize: bool) -> Capture {
        Capture {
            tar: Tar::new(),
            dirs: Vec::new(),
            anon: anonymize.then(Anonymizer::default),
            skipped: Vec::new(),
        }
    }

    fn finish(self) -> Vec<u8> {
        if !self.skipped.is_empty() {
            let first: Vec<String> = self
                .skipped
                .iter()
                .take(3)
                .map(|s| crate::text::quote(s))
                .collect();
            out::warn(format_args!(
                "{} left out of the archive: their names are not relative, normalized paths ({}): \
                 the tree's links lead outside its sys/",
                out::plural(self.skipped.len(), "member", "members"),
                first.join(", ")
            ));
        }
        self.tar.finish()
    }

    /// Whether `path` may be a member's name: relative, normalized, no
    /// `..`; else it is noted as skipped.
    fn member_ok(&mut self, path: &str) -> bool {
        let ok = !path.is_empty()
            && !path.starts_with('/')
            && path
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != "..");
        if !ok {
            self.skipped.push(path.to_string());
        }
        ok
    }

    /// `path`'s directories, each once, parents first.
    fn parents(&mut self, path: &str) {
        let mut at = 0;
        while let Some(i) = path[at..].find('/') {
            let dir = &path[..at + i];
            if self.new_dir(dir) {
                self.tar.dir(dir);
            }
            at += i + 1;
        }
    }

    fn dir(&mut self, path: &str) {
        if !self.member_ok(path) {
            return;
        }
        self.parents(path);
        if self.new_dir(path) {
            self.tar.dir(path);
        }
    }

    /// Records directory `path`; false when it was there already.
    fn new_dir(&mut self, path: &str) -> bool {
        match self.dirs.binary_search_by(|d| d.as_str().cmp(path)) {
            Ok(_) => false,
            Err(at) => {
                self.dirs.insert(at, path.to_string());
                true
            }
        }
    }

    fn file(&mut self, path: &str, data: &[u8]) {
        if !self.member_ok(path) {
            return;
        }
        self.parents(path);
        self.tar.file(path, 0o644, data);
    }

    fn link(&mut self, path: &str, target: &str) {
        if !self.member_ok(path) {
            return;
        }
        self.parents(path);
        self.tar.link(path, target);
    }

    /// An attribute as the kernel gave it, or, refused, a directory
    /// holding the errno (which a replay cannot read either).
    fn attr(&mut self, dir: &Dir, name: &str, at: &str) {
        let mut buf = [0u8; 4096];
        match read_raw(dir, name, &mut buf) {
            Ok(v) => {
                let v = match &mut self.anon {
                    Some(a) if name.ends_with("address") => a.text(v),
                    _ => v.to_vec(),
                };
                self.file(at, &v);
            }
            Err(Errno::ENOENT) => {}
            Err(e) => {
                self.dir(at);
                let name = crate::sysfs::errno_name(e);
                self.file(&format!("{at}/errno"), format!("{name}\n").as_bytes());
            }
        }
    }

    /// A symlink as it is (target text kept, never followed).
    fn copy_link(&mut self, dir: &Dir, name: &str, at: &str) -> Option<String> {
        let mut buf = [0u8; LINK_MAX];
        let target = dir.link(name, &mut buf).ok()?;
        let target = String::from_utf8_lossy(target).into_owned();
        self.link(at, &target);
        Some(target)
    }

    /// Every PF and VF: its bus link, its directory's entries, its netdevs'
    /// class/net links and addresses, its driver's and IOMMU group's entries.
    /// A function's `virtfnN` links, its netdevs (each with its address and
    /// its /sys/class/net link), under `real` in the archive.
    fn links_and_netdevs(&mut self, sys: &Dir, dir: &Dir, real: &str) {
        let mut virtfns = Vec::new();
        let _ = dir.for_each_entry(|e| {
            if crate::pci::virtfn_index(e).is_some() {
                virtfns.push(e.to_string());
            }
        });
        for v in virtfns {
            self.copy_link(dir, &v, &format!("{real}/{v}"));
        }
        let Ok(net) = dir.open_dir("net") else {
            return;
        };
        let mut netdevs = Vec::new();
        let _ = net.for_each_entry(|e| netdevs.push(e.to_string()));
        self.dir(&format!("{real}/net"));
        for n in &netdevs {
            if crate::ifname::IfName::parse(n).is_err() {
                continue;
            }
            self.dir(&format!("{real}/net/{n}"));
            self.attr(
                &net,
                &format!("{n}/address"),
                &crate::msg!("{}/net/{}/address", real, n),
            );
            if let Ok(class) = sys.open_dir("class/net") {
                self.copy_link(&class, n, &crate::msg!("sys/class/net/{}", n));
            }
        }
    }

    fn functions(&mut self, sys: &Dir, inv: &Inventory) {
        // There even with no function in it: a replay needs a sysfs.
        self.dir("sys/bus/pci/devices");
        let Ok(bus) = sys.open_dir("bus/pci/devices") else {
            return;
        };
        let mut addrs: Vec<PciAddr> = inv.pfs.iter().map(|p| p.addr).collect();
        addrs.extend(inv.vfs().map(|(_, v)| v.addr));
        let mut drivers = Vec::new();
        let mut groups = Vec::new();
        for addr in addrs {
            let name = addr.name();
            let bus_link = crate::msg!("sys/bus/pci/devices/{}", name);
            let Some(target) = self.copy_link(&bus, &name, &bus_link) else {
                continue;
            };
            let real = normalize("sys/bus/pci/devices", &target);
            let Ok(dir) = bus.open_dir(&name) else {
                continue;
            };
            self.dir(&real);
            for a in ATTRS {
                self.attr(&dir, a, &format!("{real}/{a}"));
            }
            for l in LINKS {
                if let Some(t) = self.copy_link(&dir, l, &format!("{real}/{l}")) {
                    let last = t.rsplit('/').next().unwrap_or("").to_string();
                    match l {
                        "driver" => drivers.push(last),
                        "iommu_group" => groups.push(last),
                        _ => {}
                    }
                }
            }
            self.links_and_netdevs(sys, &dir, &real);
        }
        for v in [&mut drivers, &mut groups] {
            v.sort_unstable();
            v.dedup();
        }
        for d in drivers.iter().chain(["vfio-pci".to_string()].iter()) {
            if crate::glue::valid_module(d) && sys.exists(&crate::msg!("bus/pci/drivers/{}", d)) {
                self.dir(&crate::msg!("sys/bus/pci/drivers/{}", d));
            }
        }
        for g in &groups {
            if !g.bytes().all(|b| b.is_ascii_digit()) || g.is_empty() {
                continue;
            }
            let rel = crate::msg!("kernel/iommu_groups/{}/devices", g);
            if let Ok(d) = sys.open_dir(&rel) {
                let mut members = Vec::new();
                let _ = d.for_each_entry(|e| members.push(e.to_string()));
                self.dir(&format!("sys/{rel}"));
                for m in members {
                    if PciAddr::parse(&m).is_some() {
                        self.copy_link(&d, &m, &format!("sys/{rel}/{m}"));
                    }
                }
            }
        }
    }

    /// The IOMMU's presence, every IOMMU group's name, the kernel command
    /// line and version, and the pci.ids names of the PFs.
    fn system(&mut self, root: &Root, sys: &Dir, inv: &Inventory) {
        if let Ok(d) = sys.open_dir("class/iommu") {
            let mut names = Vec::new();
            let _ = d.for_each_entry(|e| names.push(e.to_string()));
            self.dir("sys/class/iommu");
            for n in names.iter().filter(|n| safe_name(n)) {
                if self
                    .copy_link(&d, n, &crate::msg!("sys/class/iommu/{}", n))
                    .is_none()
                {
                    self.dir(&crate::msg!("sys/class/iommu/{}", n));
                }
            }
        }
        if let Ok(d) = sys.open_dir("kernel/iommu_groups") {
            let mut names = Vec::new();
            let _ = d.for_each_entry(|e| names.push(e.to_string()));
            for n in names.iter().filter(|n| safe_name(n)) {
                self.dir(&crate::msg!("sys/kernel/iommu_groups/{}", n));
            }
        }
        for p in ["/proc/cmdline", "/proc/sys/kernel/osrelease"] {
            if let Ok((bytes, _)) = files::read_regular(&root.real(p), 64 * 1024) {
                self.file(p.trim_start_matches('/'), &bytes);
            }
        }
        let mut pairs: Vec<(u16, u16)> = inv
            .pfs
            .iter()
            .filter_map(|p| Some((p.vendor?, p.device?)))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut ids = String::new();
        let mut vendor = None;
        for ((v, d), names) in pairs.iter().zip(crate::pciids::names(root, &pairs)) {
            let Some(vn) = names.vendor else { continue };
            if vendor != Some(*v) {
                ids.push_str(&format!("{v:04x}  {vn}\n"));
                vendor = Some(*v);
            }
            if let Some(dn) = names.device {
                ids.push_str(&format!("\t{d:04x}  {dn}\n"));
            }
        }
        if !ids.is_empty() {
            self.file(
                "usr/share/misc/pci.ids",
                crate::msg!("# pci.ids excerpt written by vfnet capture\n{}", ids).as_bytes(),
            );
        }
    }

    /// The config file's entry lines (comments and blank lines left out:
    /// they may say more than a bug report needs), at the default path.
    fn config(&mut self, root: &Root, path: &std::path::Path) {
        let Ok(cfg) = crate::conffile::load(root, path) else {
            return;
        };
        if cfg.source == config::Source::Missing {
            return;
        }
        let mut text = Vec::new();
        for l in &cfg.lines {
            match l {
                Line::Other(_) => {}
                Line::Vf { setting, raw, .. } if setting.name() == "mac" => match &mut self.anon {
                    Some(a) => text.extend(a.text(raw)),
                    None => text.extend_from_slice(raw),
                },
                _ => text.extend_from_slice(l.raw()),
            }
        }
        self.file(config::DEFAULT_PATH.trim_start_matches('/'), &text);
    }

    /// vfnet's boot glue, where installed, and the recorded drivers.
    fn glue(&mut self, root: &Root) {
        let mut paths: Vec<&str> = glue::ALL
            .iter()
            .flat_map(|i| i.files().iter().map(|f| f.path))
            .collect();
        paths.push(glue::DRIVERS);
        for p in paths {
            if let Ok((bytes, _)) = files::read_regular(&root.real(p), 1 << 20) {
                self.file(p.trim_start_matches('/'), &bytes);
            }
        }
        for i in glue::ALL {
            for l in i.links() {
                if let Ok(t) = std::fs::read_link(root.real(l.path)) {
                    self.link(l.path.trim_start_matches('/'), &t.to_string_lossy());
                }
            }
        }
    }

    /// Who used each VF (`vfnet-capture/used-by`), names anonymized too.
    fn used_by(&mut self, inv: &Inventory) {
        let text = replay::used_by_text(inv);
        let text = match &mut self.anon {
            Some(a) => a.text(text.as_bytes()),
            None => text.into_bytes(),
        };
        self.file(replay::USED_BY, &text);
    }

    /// What rtnetlink reports of each PF's VFs: `vfnet-capture/vfinfo/PF`.
    fn vf_settings(&mut self, inv: &Inventory) {
        for pf in &inv.pfs {
            let mut infos: Vec<crate::netlink::VfInfo> =
                pf.vfs.iter().filter_map(|v| v.settings.clone()).collect();
            if infos.is_empty() {
                continue;
            }
            if let Some(a) = &mut self.anon {
                for v in &mut infos {
                    v.mac = v.mac.map(|m| a.mac(m));
                    v.node_guid = v.node_guid.map(|g| a.guid(g));
                    v.port_guid = v.port_guid.map(|g| a.guid(g));
                }
            }
            let text = replay::vfinfo_text(&infos);
            self.file(
                &format!("{}/{}", replay::VFINFO_DIR, pf.addr),
                text.as_bytes(),
            );
        }
    }
}

/// `dir` joined with a link target and normalized (`..` and `.` resolved
/// lexically, as the kernel's relative sysfs links mean); an absolute
/// target is taken from the root.
fn normalize(dir: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for p in target.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// A directory entry name safe to put in a path.
fn safe_name(n: &str) -> bool {
    !n.is_empty() && n != "." && n != ".." && !n.contains('/') && !n.chars().any(char::is_control)
}

/// Reads an attribute's bytes as they are (newline kept).
fn read_raw<'b>(
    dir: &Dir,
    name: &str,
    buf: &'b mut [u8; 4096],
) -> std::result::Result<&'b [u8], Errno> {
    let mut small = [0u8; crate::sysfs::ATTR_MAX];
    match dir.read(name, &mut small) {
        Ok(v) => {
            let n = v.len();
            buf[..n].copy_from_slice(v);
            // `read` trimmed the trailing newline: attributes end in one.
            buf[n] = b'\n';
            Ok(&buf[..n + 1])
        }
        Err(e) => Err(e),
    }
}

/// Replaces MAC addresses consistently.
#[derive(Debug, Default)]
struct Anonymizer {
    seen: Vec<(Mac, Mac)>,
}

impl Anonymizer {
    /// The stand-in for `m`: locally administered, unicast, numbered in
    /// the order first seen. `00:00:00:00:00:00` stays itself.
    fn mac(&mut self, m: Mac) -> Mac {
        if m.0 == [0; 6] {
            return m;
        }
        if let Some((_, s)) = self.seen.iter().find(|(o, _)| *o == m) {
            return *s;
        }
        let n = self.seen.len() as u32 + 1;
        let s = Mac([0x02, 0x00, 0x5e, (n >> 16) as u8, (n >> 8) as u8, n as u8]);
        self.seen.push((m, s));
        s
    }

    /// A GUID's stand-in: the EUI-64 of its low 48 bits' stand-in MAC
    /// (all zeros stays all zeros).
    fn guid(&mut self, g: crate::guid::Guid) -> crate::guid::Guid {
        if g.0 == [0; 8] {
            return g;
        }
        let low: [u8; 6] = g.0[2..].try_into().unwrap_or_default();
        crate::guid::Guid::from_mac(self.mac(Mac(low)))
    }

    /// `text` with every MAC in it replaced.
    fn text(&mut self, text: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len());
        let mut i = 0;
        while i < text.len() {
            if i + 17 <= text.len() {
                if let Some(m) = Mac::parse(&text[i..i + 17]) {
                    let boundary = text
                        .get(i + 17)
                        .is_none_or(|b| !b.is_ascii_hexdigit() && *b != b':');
                    if boundary {
                        out.extend_from_slice(self.mac(m).to_string().as_bytes());
                        i += 17;
                        continue;
                    }
                }
            }
            out.push(text[i]);
            i += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_targets_resolve_lexically_from_their_directory() {
        assert_eq!(
            normalize(
                "sys/bus/pci/devices",
                "../../../devices/pci0000:00/0000:00:01.1/0000:01:00.0"
            ),
            "sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0"
        );
        assert_eq!(
            normalize(
                "sys/bus/pci/devices",
                "/sys/devices/pci0000:00/0000:01:00.0"
            ),
            "sys/devices/pci0000:00/0000:01:00.0"
        );
    }

    #[test]
    fn anonymizing_replaces_each_mac_the_same_way_everywhere() {
        let mut a = Anonymizer::default();
        let one = Mac::parse(b"a0:36:9f:00:00:10").unwrap();
        let two = Mac::parse(b"a0:36:9f:00:00:11").unwrap();
        let s1 = a.mac(one);
        assert_eq!(a.mac(two).to_string(), "02:00:5e:00:00:02");
        assert_eq!(a.mac(one), s1);
        assert_eq!(a.mac(Mac([0; 6])), Mac([0; 6]));
        assert_eq!(
            a.text(b"0000:01:00.0.vf1.mac=a0:36:9f:00:00:11\n"),
            b"0000:01:00.0.vf1.mac=02:00:5e:00:00:02\n"
        );
        assert_eq!(a.text(b"a0:36:9f:00:00:10\n"), format!("{s1}\n").as_bytes());
        // A PCI address is not a MAC.
        assert_eq!(a.text(b"0000:01:00.0=4\n"), b"0000:01:00.0=4\n");
    }
}
