//! devlink, by hand: a PF's eswitch mode (legacy or switchdev) over generic
//! netlink's "devlink" family: the family's id from the generic netlink
//! controller, then `DEVLINK_CMD_ESWITCH_GET` and `_SET` on the handle
//! `pci/ADDR`.
//!
//! Encoding and decoding are pure functions on byte buffers, tested on the
//! bytes iproute2's `devlink` sends (strace -xx) and on byte arrays laid
//! out as the kernel's uapi headers say (`linux/genetlink.h`,
//! `linux/devlink.h`). The socket is [`crate::netlink::Socket`].
//!
//! A driver without devlink (igb, ixgbe) has no devlink instance: the
//! kernel answers ENODEV. One with devlink but no eswitch answers
//! EOPNOTSUPP. A kernel without devlink has no such family (ENOENT).

use crate::netlink::{Reply, Socket, attr, attrs};
use crate::pci::PciAddr;
use nix::errno::Errno;

// linux/genetlink.h
/// The generic netlink controller's fixed family id.
const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;
/// `struct genlmsghdr { u8 cmd; u8 version; u16 reserved; }`
const GENL_HDR: usize = 4;

// linux/devlink.h
const DEVLINK_GENL_VERSION: u8 = 1;
const DEVLINK_CMD_ESWITCH_GET: u8 = 29;
const DEVLINK_CMD_ESWITCH_SET: u8 = 30;
const DEVLINK_ATTR_BUS_NAME: u16 = 1;
const DEVLINK_ATTR_DEV_NAME: u16 = 2;
const DEVLINK_ATTR_ESWITCH_MODE: u16 = 25;

/// A PF's eswitch mode (`enum devlink_eswitch_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Classic SR-IOV: the PF's embedded switch forwards by MAC and VLAN.
    Legacy = 0,
    /// Each VF gets a representor netdev on the host; the host's
    /// switching (tc, OVS) decides.
    Switchdev = 1,
}

impl Mode {
    /// Its name, as devlink and the config file write it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Legacy => "legacy",
            Mode::Switchdev => "switchdev",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Mode> {
        [Mode::Legacy, Mode::Switchdev]
            .into_iter()
            .find(|m| m.name() == s)
    }

    fn from_u16(v: u16) -> Option<Mode> {
        [Mode::Legacy, Mode::Switchdev]
            .into_iter()
            .find(|&m| m as u16 == v)
    }
}

/// A message: netlink header, genlmsghdr, attributes (length fixed here).
fn message(family: u16, flags: u16, seq: u32, cmd: u8, version: u8, attrs: &[u8]) -> Vec<u8> {
    let len = 16 + GENL_HDR + attrs.len();
    let mut b = Vec::with_capacity(len);
    b.extend_from_slice(&(len as u32).to_ne_bytes());
    b.extend_from_slice(&family.to_ne_bytes());
    b.extend_from_slice(&(crate::netlink::NLM_F_REQUEST | flags).to_ne_bytes());
    b.extend_from_slice(&seq.to_ne_bytes());
    b.extend_from_slice(&0u32.to_ne_bytes());
    b.extend_from_slice(&[cmd, version, 0, 0]);
    b.extend_from_slice(attrs);
    b
}

fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// `CTRL_CMD_GETFAMILY` for "devlink", with an ACK (as iproute2 asks).
pub fn get_family(seq: u32) -> Vec<u8> {
    let mut a = Vec::new();
    attr(&mut a, CTRL_ATTR_FAMILY_NAME, &cstr("devlink"));
    message(
        GENL_ID_CTRL,
        crate::netlink::NLM_F_ACK,
        seq,
        CTRL_CMD_GETFAMILY,
        1,
        &a,
    )
}

/// The family id in the controller's answer (its body after the netlink
/// header).
pub fn parse_family(body: &[u8]) -> Option<u16> {
    attrs(body.get(GENL_HDR..)?)
        .find(|(k, _)| *k == CTRL_ATTR_FAMILY_ID)
        .and_then(|(_, p)| Some(u16::from_ne_bytes(p.get(..2)?.try_into().ok()?)))
}

/// The devlink handle of a PCI device: bus "pci", device its address.
fn handle(addr: &str) -> Vec<u8> {
    let mut a = Vec::new();
    attr(&mut a, DEVLINK_ATTR_BUS_NAME, &cstr("pci"));
    attr(&mut a, DEVLINK_ATTR_DEV_NAME, &cstr(addr));
    a
}

/// `DEVLINK_CMD_ESWITCH_GET` for the PCI device `addr`.
pub fn eswitch_get(seq: u32, family: u16, addr: &str) -> Vec<u8> {
    let a = handle(addr);
    message(
        family,
        0,
        seq,
        DEVLINK_CMD_ESWITCH_GET,
        DEVLINK_GENL_VERSION,
        &a,
    )
}

/// `DEVLINK_CMD_ESWITCH_SET` of the mode alone, with an ACK.
pub fn eswitch_set(seq: u32, family: u16, addr: &str, mode: Mode) -> Vec<u8> {
    let mut a = handle(addr);
    attr(
        &mut a,
        DEVLINK_ATTR_ESWITCH_MODE,
        &(mode as u16).to_ne_bytes(),
    );
    let ack = crate::netlink::NLM_F_ACK;
    message(
        family,
        ack,
        seq,
        DEVLINK_CMD_ESWITCH_SET,
        DEVLINK_GENL_VERSION,
        &a,
    )
}

/// What an eswitch answer says: `Ok(Some(mode))`, `Ok(None)` when the
/// mode is one vfnet does not know, `Err` when it is not a devlink
/// eswitch answer.
pub fn parse_eswitch(body: &[u8]) -> Result<Option<Mode>, Errno> {
    let cmd = *body.first().ok_or(Errno::EBADMSG)?;
    if cmd != DEVLINK_CMD_ESWITCH_GET {
        return Err(Errno::EBADMSG);
    }
    let (_, p) = attrs(&body[GENL_HDR.min(body.len())..])
        .find(|(k, _)| *k == DEVLINK_ATTR_ESWITCH_MODE)
        .ok_or(Errno::EBADMSG)?;
    let v = u16::from_ne_bytes(
        p.get(..2)
            .ok_or(Errno::EBADMSG)?
            .try_into()
            .unwrap_or([0; 2]),
    );
    Ok(Mode::from_u16(v))
}

/// Why the kernel refused, in words a user can act on.
pub fn refusal(e: Errno, driver: Option<&str>) -> String {
    let driver = driver.map_or("its driver".to_string(), |d| format!("its driver {d}"));
    match e {
        Errno::ENODEV => crate::msg!(
            "{} has no devlink eswitch (only the classic, legacy SR-IOV); \
             switchdev needs a driver such as mlx5_core, ice or nfp",
            driver
        ),
        Errno::EOPNOTSUPP => crate::msg!("{} has devlink but cannot switch eswitch modes", driver),
        Errno::ENOENT => crate::msg!("this kernel has no devlink (CONFIG_NET_DEVLINK)"),
        Errno::EPERM => crate::msg!("changing the eswitch mode needs root (CAP_NET_ADMIN)"),
        Errno::EBUSY => crate::msg!(
            "{} refuses while VFs exist or the device is busy (EBUSY)",
            driver
        ),
        e => crate::msg!("devlink refused: {}", crate::error::strerror(e)),
    }
}

/// A devlink socket: generic netlink, with the family's id looked up.
pub struct Devlink {
    sock: Socket,
    family: u16,
}

impl Devlink {
    /// Opens a generic netlink socket and finds the devlink family
    /// (ENOENT: a kernel without devlink).
    pub fn open() -> Result<Devlink, Errno> {
        let mut sock = Socket::generic()?;
        let family = sock.request(get_family, |r| match r {
            Reply::Msg(GENL_ID_CTRL, body) => Some(parse_family(body).ok_or(Errno::EBADMSG)),
            Reply::Ack(Err(e)) => Some(Err(e)),
            _ => None,
        })?;
        Ok(Devlink { sock, family })
    }

    /// The eswitch mode of the PCI device `addr` (`Ok(None)`: one vfnet
    /// does not know).
    pub fn mode(&mut self, addr: PciAddr) -> Result<Option<Mode>, Errno> {
        let (family, a) = (self.family, addr.to_string());
        self.sock.request(
            |s| eswitch_get(s, family, &a),
            |r| match r {
                Reply::Msg(f, body) if f == family => Some(parse_eswitch(body)),
                Reply::Ack(Err(e)) => Some(Err(e)),
                _ => None,
            },
        )
    }

    /// Sets the eswitch mode of the PCI device `addr`; the kernel's answer.
    pub fn set_mode(&mut self, addr: PciAddr, mode: Mode) -> Result<(), Errno> {
        let (family, a) = (self.family, addr.to_string());
        self.sock.request(
            |s| eswitch_set(s, family, &a, mode),
            |r| match r {
                Reply::Ack(res) => Some(res),
                _ => None,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_family_request_is_the_bytes_iproute2_sends() {
        // strace -xx devlink dev eswitch show pci/0000:01:00.0 (iproute2
        // 6.1): nlmsg_len=32, nlmsg_type=nlctrl (0x10),
        // NLM_F_REQUEST|NLM_F_ACK, then the payload below.
        let m = get_family(9);
        assert_eq!(m.len(), 32);
        assert_eq!(&m[0..4], &32u32.to_ne_bytes());
        assert_eq!(u16::from_ne_bytes([m[4], m[5]]), 0x10);
        assert_eq!(u16::from_ne_bytes([m[6], m[7]]), 1 | 4);
        assert_eq!(&m[8..12], &9u32.to_ne_bytes());
        assert_eq!(
            &m[16..],
            b"\x03\x01\x00\x00\x0c\x00\x02\x00\x64\x65\x76\x6c\x69\x6e\x6b\x00"
        );
    }

    #[test]
    fn the_family_id_is_read_from_the_controllers_answer() {
        // CTRL_CMD_NEWFAMILY (1), version 2, then FAMILY_NAME, FAMILY_ID
        // (u16, padded), VERSION, as the kernel's ctrl_fill_info puts them.
        let mut body = vec![1, 2, 0, 0];
        attr(&mut body, CTRL_ATTR_FAMILY_NAME, b"devlink\0");
        attr(&mut body, CTRL_ATTR_FAMILY_ID, &0x15u16.to_ne_bytes());
        attr(&mut body, 3, &1u32.to_ne_bytes());
        assert_eq!(&body[16..24], &[6, 0, 1, 0, 0x15, 0, 0, 0]);
        assert_eq!(parse_family(&body), Some(0x15));
        assert_eq!(parse_family(&body[..16]), None);
        assert_eq!(parse_family(&[]), None);
    }

    #[test]
    fn eswitch_requests_carry_the_pci_handle_and_the_mode() {
        let m = eswitch_get(3, 0x15, "0000:01:00.0");
        // nlmsghdr 16 + genlmsghdr 4 + BUS_NAME "pci\0" (8) + DEV_NAME (4+13 -> 20)
        assert_eq!(m.len(), 16 + 4 + 8 + 20);
        assert_eq!(u16::from_ne_bytes([m[4], m[5]]), 0x15);
        assert_eq!(u16::from_ne_bytes([m[6], m[7]]), 1); // a request, no ACK
        assert_eq!(&m[16..20], &[29, 1, 0, 0]); // ESWITCH_GET, version 1
        assert_eq!(&m[20..28], b"\x08\x00\x01\x00pci\x00");
        assert_eq!(&m[28..32], &[17, 0, 2, 0]);
        assert_eq!(&m[32..45], b"0000:01:00.0\0");
        assert_eq!(&m[45..48], &[0, 0, 0]);

        let m = eswitch_set(4, 0x15, "0000:01:00.0", Mode::Switchdev);
        assert_eq!(u16::from_ne_bytes([m[6], m[7]]), 1 | 4); // REQUEST | ACK
        assert_eq!(&m[16..20], &[30, 1, 0, 0]); // ESWITCH_SET
        assert_eq!(&m[48..56], &[6, 0, 25, 0, 1, 0, 0, 0]); // ESWITCH_MODE u16
        assert_eq!(m.len(), 56);
        let legacy = eswitch_set(4, 0x15, "0000:01:00.0", Mode::Legacy);
        assert_eq!(&legacy[48..54], &[6, 0, 25, 0, 0, 0]);
    }

    #[test]
    fn the_eswitch_answer_gives_the_mode() {
        // devlink_nl_eswitch_fill: ESWITCH_GET, handle, MODE u16,
        // INLINE_MODE u8, ENCAP_MODE u8.
        let answer = |mode: u16| {
            let mut b = vec![29, 1, 0, 0];
            b.extend_from_slice(&handle("0000:3b:00.0"));
            attr(&mut b, DEVLINK_ATTR_ESWITCH_MODE, &mode.to_ne_bytes());
            attr(&mut b, 26, &[0]);
            attr(&mut b, 62, &[1]);
            b
        };
        assert_eq!(parse_eswitch(&answer(1)), Ok(Some(Mode::Switchdev)));
        assert_eq!(parse_eswitch(&answer(0)), Ok(Some(Mode::Legacy)));
        assert_eq!(parse_eswitch(&answer(7)), Ok(None));
        let good = answer(1);
        for cut in 0..good.len() {
            let _ = parse_eswitch(&good[..cut]);
        }
        assert_eq!(parse_eswitch(&good[..32]), Err(Errno::EBADMSG));
        let mut other = good.clone();
        other[0] = 1;
        assert_eq!(parse_eswitch(&other), Err(Errno::EBADMSG));
    }

    #[test]
    fn modes_and_refusals_read_as_devlink_writes_them() {
        assert_eq!(Mode::parse("switchdev"), Some(Mode::Switchdev));
        assert_eq!(Mode::parse("legacy").map(Mode::name), Some("legacy"));
        assert_eq!(Mode::parse("Switchdev"), None);
        let igb = refusal(Errno::ENODEV, Some("igb"));
        assert!(
            igb.starts_with("its driver igb has no devlink eswitch"),
            "{igb}"
        );
        assert!(!igb.contains('\n'));
        assert!(refusal(Errno::ENOENT, None).contains("CONFIG_NET_DEVLINK"));
    }
}
