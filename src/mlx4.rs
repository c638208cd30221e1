//! The ConnectX-3's VF count, which its driver mlx4_core takes only as module
//! parameters at load time (it has no `sriov_configure`: a write of
//! `sriov_numvfs` fails with ENOENT). Pure: the parameter forms, their
//! limits, and the one `options mlx4_core` line vfnet writes for every
//! configured ConnectX-3 of the host; reading and writing the files is the
//! caller's (`modules` for /sys/module and modprobe).
//!
//! The forms of `num_vfs` and `probe_vf` (`probe_vf`: how many of the VFs
//! the host's own driver probes; the rest stay free for VMs):
//!
//! | form | means | taken by |
//! |---|---|---|
//! | `N` | N dual-port VFs on every ConnectX-3 | the kernel's and OFED's mlx4_core |
//! | `X,Y,Z` | X VFs on port 1, Y on port 2, Z dual-port, on every ConnectX-3 | both |
//! | `bb:dd.f-N,bb:dd.f-X;Y;Z` | per device | Mellanox OFED's mlx4_core only |
//!
//! Limits (mlx4_core refuses to load otherwise): X+Z and Y+Z at most 63
//! (each port has 128 MACs, two for each function; so X+Y+Z is at most
//! 126, the driver's other limit), and no more than the firmware enables (`sriov_totalvfs`; mlxconfig's
//! SRIOV_EN and NUM_OF_VFS set that).

use crate::pci::PciAddr;
use std::fmt;

/// The module whose parameters these are.
pub const MODULE: &str = "mlx4_core";
/// The modules that sit on mlx4_core and must be unloaded before it.
pub const UPPER: [&str; 2] = ["mlx4_ib", "mlx4_en"];
/// vfnet's own modprobe.d file.
pub const MODPROBE_FILE: &str = "/etc/modprobe.d/vfnet-mlx4.conf";
/// The most VFs on one port (its own plus the dual-port ones).
pub const MAX_PER_PORT: u32 = 63;

/// A VF count as mlx4_core takes it: one number (dual-port VFs), or per
/// port (`X,Y,Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vfs {
    /// `N`: N VFs, each on both ports.
    Dual(u32),
    /// `X,Y,Z`: X on port 1 only, Y on port 2 only, Z on both.
    Ports(u32, u32, u32),
}

impl Vfs {
    /// How many VFs the device gets (what `sriov_numvfs` will read).
    pub fn total(&self) -> u32 {
        match *self {
            Vfs::Dual(n) => n,
            Vfs::Ports(x, y, z) => x + y + z,
        }
    }

    /// `X,Y,Z` with each part 0-255, or a plain count.
    pub fn parse(s: &str) -> Option<Vfs> {
        let part = |p: &str| crate::text::parse_u32_max(p, 255);
        let mut it = s.split(',');
        let first = part(it.next()?)?;
        match (it.next(), it.next(), it.next()) {
            (None, ..) => Some(Vfs::Dual(first)),
            (Some(y), Some(z), None) => Some(Vfs::Ports(first, part(y)?, part(z)?)),
            _ => None,
        }
    }

    /// Why mlx4_core would refuse this on a device allowing `total` VFs
    /// (`None` when unknown).
    pub fn check(&self, total: Option<u32>) -> Result<(), String> {
        let (x, y, z) = match *self {
            Vfs::Dual(n) => (0, 0, n),
            Vfs::Ports(x, y, z) => (x, y, z),
        };
        let port = x + z > MAX_PER_PORT || y + z > MAX_PER_PORT;
        let firmware = total.filter(|&t| self.total() > t);
        // Both limits named when both are passed: fixing one must not
        // only lead to the next.
        match (port, firmware) {
            (true, Some(t)) => Err(format!(
                "{self}: at most {t} here: the firmware enables {t} VFs (sriov_totalvfs; mlxconfig's \
                 NUM_OF_VFS sets it), and a ConnectX-3 port takes at most {MAX_PER_PORT} (its own plus \
                 the dual-port ones)"
            )),
            (true, None) => Err(format!(
                "{self}: a ConnectX-3 port takes at most {MAX_PER_PORT} VFs (its own plus the dual-port ones)"
            )),
            (false, Some(t)) => Err(crate::msg!(
                "{}: {} VFs, but the firmware enables at most {} (sriov_totalvfs; mlxconfig's NUM_OF_VFS sets it)",
                self,
                self.total(),
                t
            )),
            (false, None) => Ok(()),
        }
    }

    /// Whether `probe` fits in these: the same form, each part at most
    /// this one's.
    pub fn holds(&self, probe: &Vfs) -> bool {
        match (*self, *probe) {
            (Vfs::Dual(n), Vfs::Dual(p)) => p <= n,
            (Vfs::Ports(x, y, z), Vfs::Ports(a, b, c)) => a <= x && b <= y && c <= z,
            (Vfs::Ports(..), Vfs::Dual(0)) => true,
            _ => false,
        }
    }

    /// The same form with every part 0 (`probe_vf`'s default).
    pub fn none_like(&self) -> Vfs {
        match self {
            Vfs::Dual(_) => Vfs::Dual(0),
            Vfs::Ports(..) => Vfs::Ports(0, 0, 0),
        }
    }

    /// The per-device form's value: `N` or `X;Y;Z`.
    fn device_value(&self) -> String {
        match *self {
            Vfs::Dual(n) => n.to_string(),
            Vfs::Ports(x, y, z) => format!("{x};{y};{z}"),
        }
    }
}

impl fmt::Display for Vfs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Vfs::Dual(n) => write!(f, "{n}"),
            Vfs::Ports(x, y, z) => write!(f, "{x},{y},{z}"),
        }
    }
}

/// What one ConnectX-3 of the host is to get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Want {
    /// The ConnectX-3.
    pub addr: PciAddr,
    /// Its VFs.
    pub vfs: Vfs,
    /// `probe_vf`: how many the host's driver probes (default none).
    pub probe: Vfs,
    /// `port_type_array`, when the config sets it.
    pub ports: Option<PortTypes>,
}

/// Whether the mlx4_core at hand takes per-device values, judged from
/// `/sys/module/mlx4_core/parameters/num_vfs` as it reads now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Takes `bb:dd.f-N` entries (Mellanox OFED: a string parameter, empty
    /// by default or holding such entries).
    PerDevice,
    /// Takes only host-wide values (the kernel's own: a byte array, which
    /// reads `0,0,0` by default), or cannot be told (not loaded).
    HostWide,
}

/// The dialect of a loaded mlx4_core from its `num_vfs` parameter's text
/// (`None`: the module is not loaded, so nothing can be told).
pub fn dialect(num_vfs_param: Option<&str>) -> Dialect {
    match num_vfs_param.map(str::trim) {
        Some("") => Dialect::PerDevice,
        Some(v) if v.contains(['-', ':']) => Dialect::PerDevice,
        _ => Dialect::HostWide,
    }
}

/// The `options mlx4_core ...` line for every ConnectX-3 of the host:
/// `wants` for the configured ones, `others` for those present without an
/// entry (they must keep 0 VFs). The host-wide form is used whenever it
/// says the same for every device, since both drivers take it; otherwise
/// the per-device form, which only OFED's driver takes: with the kernel's,
/// that is an error (a line it cannot parse would keep every ConnectX-3
/// down at the next load). `None`: no ConnectX-3 wants VFs, no line.
pub fn options_line(
    wants: &[Want],
    others: &[PciAddr],
    dialect: Dialect,
) -> Result<Option<String>, String> {
    let line = counts_line(wants, others, dialect)?;
    let mut types = wants.iter().filter_map(|w| w.ports.map(|p| (w.addr, p)));
    let Some((at, first)) = types.next() else {
        return Ok(line);
    };
    if let Some((other, t)) = types.find(|(_, t)| *t != first) {
        return Err(crate::msg!(
            "mlx4_core takes one port_type_array for every ConnectX-3 in the host, and {} wants {} \
             where {} wants {}: give them the same --port-type",
            at,
            first,
            other,
            t
        ));
    }
    let line = line.unwrap_or_else(|| format!("options {MODULE}"));
    Ok(Some(crate::msg!(
        "{} port_type_array={}",
        line,
        first.param()
    )))
}

/// [`options_line`] for the counts alone.
fn counts_line(
    wants: &[Want],
    others: &[PciAddr],
    dialect: Dialect,
) -> Result<Option<String>, String> {
    if wants.iter().all(|w| w.vfs.total() == 0) {
        return Ok(None);
    }
    let first = wants[0];
    let same = wants
        .iter()
        .all(|w| w.vfs == first.vfs && w.probe == first.probe);
    if same && others.is_empty() {
        let mut line = format!("options {MODULE} num_vfs={}", first.vfs);
        if first.probe.total() > 0 {
            line.push_str(&format!(" probe_vf={}", first.probe));
        }
        return Ok(Some(line));
    }
    if dialect == Dialect::HostWide {
        let why = if same {
            crate::msg!(
                "{} has no entry and would get VFs too",
                others
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            crate::msg!("the configured ConnectX-3 cards want different counts")
        };
        return Err(crate::msg!(
            "the kernel's mlx4_core takes one VF count for every ConnectX-3 in the host, and {}: give every \
             ConnectX-3 the same count (vfnet persist DEV N for each), or use Mellanox OFED's mlx4_core, which takes \
             counts per device",
            why
        ));
    }
    let mut sorted: Vec<Want> = wants.to_vec();
    sorted.extend(others.iter().map(|&addr| Want {
        addr,
        vfs: Vfs::Dual(0),
        probe: Vfs::Dual(0),
        ports: None,
    }));
    sorted.sort_unstable_by_key(|w| w.addr);
    let list = |f: &dyn Fn(&Want) -> String| {
        sorted
            .iter()
            .map(|w| format!("{}-{}", short_addr(w.addr), f(w)))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut line = format!(
        "options {MODULE} num_vfs={}",
        list(&|w| w.vfs.device_value())
    );
    if sorted.iter().any(|w| w.probe.total() > 0) {
        line.push_str(&format!(" probe_vf={}", list(&|w| w.probe.device_value())));
    }
    Ok(Some(line))
}

/// `bb:dd.f` for domain 0 (the form OFED documents), else the full address.
fn short_addr(a: PciAddr) -> String {
    let full = a.to_string();
    match full.strip_prefix("0000:") {
        Some(short) => short.to_string(),
        None => full,
    }
}

/// The text of vfnet's modprobe.d file for `line`.
pub fn modprobe_file(line: &str) -> String {
    crate::msg!(
        "# Written by vfnet persist from /etc/vfnet/vfnet.conf: the VF counts of the host's ConnectX-3\n\
         # cards, which mlx4_core takes only when it loads. Edit with vfnet persist, not here.\n\
         {}\n",
        line
    )
}

/// One `options mlx4_core` line elsewhere that sets a parameter vfnet
/// writes: modprobe passes every file's options, and the last value wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The line number.
    pub line: usize,
    /// The parameter (`num_vfs`, `probe_vf`, `port_type_array`).
    pub param: String,
}

/// The lines of a modprobe.d file's `text` that set `num_vfs`, `probe_vf`
/// or (when vfnet's `line` does) `port_type_array` for mlx4_core
/// ([`crate::modules::options`] reads them as kmod does:
/// `options mlx4-core probe-vf=1` counts).
pub fn conflicts(text: &str, line: &str) -> Vec<Conflict> {
    let ours = params(line);
    crate::modules::options(text, MODULE)
        .into_iter()
        .filter(|(_, name, _)| ours.contains(&name.as_str()))
        .map(|(line, param, _)| Conflict { line, param })
        .collect()
}

/// The parameters vfnet's `line` sets: `port_type_array` only when it
/// does (the host's own choice of port types is not vfnet's business
/// otherwise).
pub fn params(line: &str) -> Vec<&'static str> {
    let mut p = vec!["num_vfs", "probe_vf"];
    if line.contains(" port_type_array=") {
        p.push("port_type_array");
    }
    p
}

/// What a loaded mlx4_core gives the device at `addr`, from its `num_vfs`
/// parameter's text, in either dialect (`None`: the text names other
/// devices only, or does not parse).
pub fn in_force(param: &str, addr: PciAddr) -> Option<Vfs> {
    let param = param.trim();
    if param.is_empty() {
        return Some(Vfs::Dual(0));
    }
    if !param.contains(['-', ':']) {
        // The kernel's byte array: 1 value is dual-port VFs; 2 are per port.
        let parts: Vec<u32> = param
            .split(',')
            .map(|p| crate::text::parse_u32_max(p, 255))
            .collect::<Option<_>>()?;
        return match parts[..] {
            [n] => Some(Vfs::Dual(n)),
            [x, y] => Some(Vfs::Ports(x, y, 0)),
            [x, y, z] => Some(Vfs::Ports(x, y, z)),
            _ => None,
        };
    }
    let (short, full) = (short_addr(addr), addr.to_string());
    param.split(',').find_map(|entry| {
        let (dev, value) = entry.rsplit_once('-')?;
        if dev != short && dev != full {
            return None;
        }
        Vfs::parse(&value.replace(';', ","))
    })
}

/// A ConnectX-3's port types, as `persist --port-type` and the config's
/// `KEY.port_type` give them and mlx4_core's `port_type_array` takes them
/// (`enum mlx4_port_type`: 1 InfiniBand, 2 Ethernet, 3 sensed; 0: the
/// firmware's choice): port 1's, then port 2's (0 when only one is given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortTypes(pub [u8; 2]);

/// The names of the port types, by value.
const PORT_TYPES: [&str; 4] = ["default", "ib", "eth", "auto"];

impl PortTypes {
    /// `ib`, `eth` or `auto` for port 1, then, after a comma, port 2. Port
    /// 1 Ethernet with port 2 InfiniBand is refused: mlx4_core has no such
    /// combination (mlx4_verify_params, main.c, turns it into IB/IB).
    /// `what` names where it was given (`--port-type`, `port_type`).
    pub fn parse(s: &str, what: &str) -> Result<PortTypes, String> {
        let one = |w: &str| match PORT_TYPES.iter().position(|t| *t == w.trim()) {
            Some(i) if i > 0 => Ok(i as u8),
            _ => Err(crate::msg!(
                "{} takes ib, eth or auto for port 1, then for port 2 (ib,eth), not '{}'",
                what,
                crate::text::quote(s)
            )),
        };
        let mut it = s.split(',');
        let p1 = one(it.next().unwrap_or_default())?;
        let p2 = match it.next() {
            Some(w) => one(w)?,
            None => 0,
        };
        if it.next().is_some() {
            return Err(one("").unwrap_err());
        }
        if (p1, p2) == (2, 1) {
            return Err(crate::msg!(
                "eth,ib: mlx4_core cannot run port 1 as Ethernet with port 2 as InfiniBand \
                 (it loads such a card as ib,ib); use ib,eth, or the same type on both"
            ));
        }
        Ok(PortTypes([p1, p2]))
    }

    /// `port_type_array`'s value: `1,2`, or `2` for one port.
    pub fn param(&self) -> String {
        match self.0 {
            [a, 0] => a.to_string(),
            [a, b] => format!("{a},{b}"),
        }
    }
}

impl fmt::Display for PortTypes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |t: u8| PORT_TYPES.get(t as usize).copied().unwrap_or("?");
        match self.0 {
            [a, 0] => f.write_str(name(a)),
            [a, b] => write!(f, "{},{}", name(a), name(b)),
        }
    }
}

/// mlx4_core's `port_type_array` values: 1 InfiniBand, 2 Ethernet, 0 or
/// 3 as the firmware says.
pub fn port_types(param: &str) -> Vec<&'static str> {
    param
        .trim()
        .split(',')
        .map(|t| match t.trim() {
            "1" => "ib",
            "2" => "eth",
            "3" => "auto",
            _ => "default",
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> PciAddr {
        PciAddr::parse(s).unwrap()
    }

    fn want(a: &str, vfs: &str, probe: &str) -> Want {
        Want {
            addr: addr(a),
            vfs: Vfs::parse(vfs).unwrap(),
            probe: Vfs::parse(probe).unwrap(),
            ports: None,
        }
    }

    #[test]
    fn port_types_are_names_for_port_type_array() {
        let t = |s: &str| PortTypes::parse(s, "--port-type");
        assert_eq!(t("ib,eth").unwrap().param(), "1,2");
        assert_eq!(t("eth").unwrap().param(), "2");
        assert_eq!(t("auto,auto").unwrap().to_string(), "auto,auto");
        assert_eq!(t(" eth , eth").unwrap(), PortTypes([2, 2]));
        assert!(
            t("eth,ib")
                .unwrap_err()
                .contains("cannot run port 1 as Ethernet")
        );
        for bad in ["", "ib,", "infiniband", "ib,eth,eth", "1,2", "default"] {
            let e = t(bad).unwrap_err();
            assert!(
                e.contains("--port-type takes ib, eth or auto"),
                "{bad}: {e}"
            );
        }
        // Written next to the counts, one value for the host.
        let mut a = want("0000:01:00.0", "4", "0");
        a.ports = Some(PortTypes([1, 2]));
        let mut b = want("0000:02:00.0", "4", "0");
        assert_eq!(
            options_line(&[a, b], &[], Dialect::HostWide)
                .unwrap()
                .unwrap(),
            "options mlx4_core num_vfs=4 port_type_array=1,2"
        );
        b.ports = Some(PortTypes([2, 2]));
        let e = options_line(&[a, b], &[], Dialect::HostWide).unwrap_err();
        assert!(
            e.contains("0000:01:00.0 wants ib,eth where 0000:02:00.0 wants eth,eth"),
            "{e}"
        );
        // Port types without VFs still make a line.
        let mut none = want("0000:01:00.0", "0", "0");
        none.ports = Some(PortTypes([2, 2]));
        assert_eq!(
            options_line(&[none], &[], Dialect::HostWide)
                .unwrap()
                .unwrap(),
            "options mlx4_core port_type_array=2,2"
        );
    }

    #[test]
    fn a_count_is_a_number_or_a_triplet_of_ports() {
        assert_eq!(Vfs::parse("7"), Some(Vfs::Dual(7)));
        assert_eq!(Vfs::parse("4,2,1"), Some(Vfs::Ports(4, 2, 1)));
        assert_eq!(Vfs::parse("4,2,1").unwrap().total(), 7);
        for bad in ["", "4,2", "4,2,1,0", "a", "-1", "4;2;1", "256", "1,,2"] {
            assert_eq!(Vfs::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Vfs::Ports(4, 2, 1).to_string(), "4,2,1");
    }

    #[test]
    fn the_drivers_limits_are_63_a_port_126_a_card_and_the_firmwares() {
        assert!(Vfs::Dual(63).check(None).is_ok());
        assert!(
            Vfs::Dual(64)
                .check(None)
                .unwrap_err()
                .contains("at most 63")
        );
        assert!(
            Vfs::Ports(61, 0, 3)
                .check(None)
                .unwrap_err()
                .contains("at most 63")
        );
        assert!(Vfs::Ports(63, 63, 0).check(None).is_ok());
        assert!(
            Vfs::Ports(40, 24, 40)
                .check(None)
                .unwrap_err()
                .contains("63")
        );
        assert!(Vfs::Dual(8).check(Some(16)).is_ok());
        let e = Vfs::Dual(17).check(Some(16)).unwrap_err();
        assert!(e.contains("at most 16") && e.contains("NUM_OF_VFS"), "{e}");
    }

    #[test]
    fn one_card_gets_the_host_wide_form_which_both_drivers_take() {
        let line = options_line(&[want("0000:03:00.0", "7", "0")], &[], Dialect::HostWide).unwrap();
        assert_eq!(line.as_deref(), Some("options mlx4_core num_vfs=7"));
        let line = options_line(
            &[want("0000:03:00.0", "4,2,1", "1,0,0")],
            &[],
            Dialect::HostWide,
        )
        .unwrap();
        assert_eq!(
            line.as_deref(),
            Some("options mlx4_core num_vfs=4,2,1 probe_vf=1,0,0")
        );
    }

    #[test]
    fn two_cards_wanting_the_same_share_the_host_wide_form() {
        let w = [
            want("0000:03:00.0", "4", "0"),
            want("0000:04:00.0", "4", "0"),
        ];
        let line = options_line(&w, &[], Dialect::HostWide).unwrap();
        assert_eq!(line.as_deref(), Some("options mlx4_core num_vfs=4"));
    }

    #[test]
    fn cards_wanting_different_counts_need_ofeds_per_device_form() {
        let w = [
            want("0000:04:00.0", "4,2,1", "0,0,0"),
            want("0000:03:00.0", "8", "2"),
        ];
        let e = options_line(&w, &[], Dialect::HostWide).unwrap_err();
        assert!(e.contains("different counts") && e.contains("OFED"), "{e}");
        let line = options_line(&w, &[], Dialect::PerDevice).unwrap().unwrap();
        assert_eq!(
            line,
            "options mlx4_core num_vfs=03:00.0-8,04:00.0-4;2;1 probe_vf=03:00.0-2,04:00.0-0;0;0"
        );
    }

    #[test]
    fn a_card_without_an_entry_keeps_none_so_the_form_is_per_device() {
        let w = [want("0001:03:00.0", "4", "0")];
        let others = [addr("0000:05:00.0")];
        let e = options_line(&w, &others, Dialect::HostWide).unwrap_err();
        assert!(e.contains("0000:05:00.0 has no entry"), "{e}");
        let line = options_line(&w, &others, Dialect::PerDevice)
            .unwrap()
            .unwrap();
        assert_eq!(line, "options mlx4_core num_vfs=05:00.0-0,0001:03:00.0-4");
    }

    #[test]
    fn no_vfs_wanted_means_no_line() {
        let w = [want("0000:03:00.0", "0", "0")];
        assert_eq!(
            options_line(&w, &[addr("0000:04:00.0")], Dialect::HostWide),
            Ok(None)
        );
    }

    #[test]
    fn the_dialect_shows_in_the_loaded_parameter() {
        assert_eq!(dialect(None), Dialect::HostWide);
        assert_eq!(dialect(Some("0,0,0\n")), Dialect::HostWide);
        assert_eq!(dialect(Some("4\n")), Dialect::HostWide);
        assert_eq!(dialect(Some("\n")), Dialect::PerDevice);
        assert_eq!(dialect(Some("03:00.0-4;0;0\n")), Dialect::PerDevice);
    }

    #[test]
    fn what_is_in_force_reads_both_dialects() {
        let a = addr("0000:03:00.0");
        assert_eq!(in_force("0,0,0\n", a), Some(Vfs::Ports(0, 0, 0)));
        assert_eq!(in_force("7\n", a), Some(Vfs::Dual(7)));
        assert_eq!(in_force("4,2\n", a), Some(Vfs::Ports(4, 2, 0)));
        assert_eq!(in_force("4,2,1\n", a), Some(Vfs::Ports(4, 2, 1)));
        assert_eq!(
            in_force("03:00.0-5;6;7,04:00.0-8\n", a),
            Some(Vfs::Ports(5, 6, 7))
        );
        assert_eq!(in_force("0000:03:00.0-3", a), Some(Vfs::Dual(3)));
        assert_eq!(in_force("04:00.0-8", a), None);
        assert_eq!(in_force("\n", a), Some(Vfs::Dual(0)));
        assert_eq!(in_force("x", a), None);
    }

    #[test]
    fn port_types_elsewhere_conflict_only_when_vfnet_sets_them() {
        let text = "options mlx4_core port_type_array=2,2\n";
        assert_eq!(conflicts(text, "options mlx4_core num_vfs=4"), []);
        assert_eq!(
            conflicts(text, "options mlx4_core num_vfs=4 port_type_array=1,2"),
            [Conflict {
                line: 1,
                param: "port_type_array".into()
            }]
        );
    }

    #[test]
    fn other_files_options_for_the_same_parameters_are_conflicts() {
        let text = "# mine\noptions mlx4_core port_type_array=2,2\noptions mlx4_core num_vfs=4 probe_vf=1 # old\n\
                    options mlx4_en pfctx=3\n#options mlx4_core num_vfs=9\n";
        assert_eq!(
            conflicts(text, "options mlx4_core num_vfs=4"),
            vec![
                Conflict {
                    line: 3,
                    param: "num_vfs".into()
                },
                Conflict {
                    line: 3,
                    param: "probe_vf".into()
                },
            ]
        );
    }

    #[test]
    fn conflicts_are_read_as_kmod_reads_them() {
        // `-` is `_` in module and parameter names, and a `\` at the end of
        // a line goes on on the next (the conflict is named by its first).
        let text =
            "options mlx4-core port_type_array=2,2 \\\n  num_vfs=4\noptions mlx4_core probe-vf=1\n";
        assert_eq!(
            conflicts(text, "options mlx4_core num_vfs=4"),
            vec![
                Conflict {
                    line: 1,
                    param: "num_vfs".into()
                },
                Conflict {
                    line: 3,
                    param: "probe_vf".into()
                },
            ]
        );
    }

    #[test]
    fn probe_fits_in_the_same_form() {
        assert!(Vfs::Dual(4).holds(&Vfs::Dual(2)));
        assert!(!Vfs::Dual(4).holds(&Vfs::Dual(5)));
        assert!(Vfs::Ports(4, 2, 1).holds(&Vfs::Ports(1, 0, 1)));
        assert!(!Vfs::Ports(4, 2, 1).holds(&Vfs::Dual(1)));
        assert!(Vfs::Ports(4, 2, 1).holds(&Vfs::Dual(0)));
    }

    #[test]
    fn port_types_read_as_names() {
        assert_eq!(port_types("2,1\n"), vec!["eth", "ib"]);
        assert_eq!(port_types("0,0"), vec!["default", "default"]);
    }
}
