//! The netlink socket: opened, sent on and read from (rtnetlink and generic
//! netlink); the messages it carries are `crate::netlink`'s, built and
//! read apart from it.

use super::*;
use std::os::fd::{AsRawFd, OwnedFd};

/// A netlink socket: rtnetlink ([`Socket::route`]) or generic netlink
/// ([`Socket::generic`], for devlink).
pub struct Socket {
    fd: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
}

impl Socket {
    /// Opens an rtnetlink socket.
    pub fn route() -> Result<Socket, Errno> {
        Socket::open(nix::sys::socket::SockProtocol::NetlinkRoute, 256 * 1024)
    }

    /// Opens a generic netlink socket (its answers here are small).
    pub fn generic() -> Result<Socket, Errno> {
        Socket::open(nix::sys::socket::SockProtocol::NetlinkGeneric, 16 * 1024)
    }

    fn open(protocol: nix::sys::socket::SockProtocol, buf: usize) -> Result<Socket, Errno> {
        use nix::sys::socket::{AddressFamily, NetlinkAddr, SockFlag, SockType, bind, socket};
        let fd = socket(
            AddressFamily::Netlink,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC,
            protocol,
        )?;
        bind(fd.as_raw_fd(), &NetlinkAddr::new(0, 0))?;
        Ok(Socket {
            fd,
            seq: 0,
            buf: vec![0; buf],
        })
    }

    /// Sends the message `msg(seq)` makes and returns what `pick` makes
    /// of the answer with that sequence number.
    pub fn request<T>(
        &mut self,
        msg: impl FnOnce(u32) -> Vec<u8>,
        pick: impl FnMut(Reply) -> Option<Result<T, Errno>>,
    ) -> Result<T, Errno> {
        let seq = self.send(msg)?;
        self.reply(seq, pick)
    }

    fn send(&mut self, msg: impl FnOnce(u32) -> Vec<u8>) -> Result<u32, Errno> {
        self.seq += 1;
        let m = msg(self.seq);
        nix::sys::socket::send(self.fd.as_raw_fd(), &m, nix::sys::socket::MsgFlags::empty())?;
        Ok(self.seq)
    }

    /// Receives until the reply to `seq`; returns what `pick` made of it.
    fn reply<T>(
        &mut self,
        seq: u32,
        mut pick: impl FnMut(Reply) -> Option<Result<T, Errno>>,
    ) -> Result<T, Errno> {
        loop {
            let n = nix::sys::socket::recv(
                self.fd.as_raw_fd(),
                &mut self.buf,
                nix::sys::socket::MsgFlags::empty(),
            )?;
            for (s, r) in replies(&self.buf[..n]) {
                if s == seq {
                    if let Some(out) = pick(r) {
                        return out;
                    }
                }
            }
        }
    }

    /// The PF `name` and its VFs' settings.
    pub fn link(&mut self, name: &str) -> Result<Link, Errno> {
        self.link_with(name, false)
    }

    /// [`Socket::link`], with the VFs' traffic counters when `stats`.
    pub fn link_with(&mut self, name: &str, stats: bool) -> Result<Link, Errno> {
        let seq = self.send(|s| get_link_with(s, name, stats))?;
        self.reply(seq, |r| match r {
            Reply::Msg(RTM_NEWLINK, body) => Some(parse_link(body).ok_or(Errno::EBADMSG)),
            Reply::Ack(Err(e)) => Some(Err(e)),
            Reply::Done => Some(Err(Errno::ENODEV)),
            _ => None,
        })
    }

    /// One change to one VF; the kernel's answer.
    pub fn set_vf(&mut self, ifindex: i32, vf: u32, set: VfSet) -> Result<(), Errno> {
        let seq = self.send(|s| set_vf(s, ifindex, vf, set))?;
        self.ack(seq)
    }

    /// Brings an interface up.
    pub fn set_up(&mut self, ifindex: i32) -> Result<(), Errno> {
        let seq = self.send(|s| set_up(s, ifindex))?;
        self.ack(seq)
    }

    /// Sets an interface's MTU; the kernel's answer.
    pub fn set_mtu(&mut self, ifindex: i32, mtu: u32) -> Result<(), Errno> {
        let seq = self.send(|s| set_mtu(s, ifindex, mtu))?;
        self.ack(seq)
    }

    /// The messages of kind `want` in the answer to the dump request
    /// `msg`, each handed to `each` (`crate::neigh`: links, the bridges'
    /// tables). Not generic: one copy for every kind of dump.
    pub fn dump_each(
        &mut self,
        msg: &dyn Fn(u32) -> Vec<u8>,
        want: u16,
        each: &mut dyn FnMut(&[u8]),
    ) -> Result<(), Errno> {
        let seq = self.send(msg)?;
        self.reply(seq, |r| match r {
            Reply::Msg(k, body) if k == want => {
                each(body);
                None
            }
            Reply::Done => Some(Ok(())),
            Reply::Ack(Err(e)) => Some(Err(e)),
            _ => None,
        })
    }

    /// Sends `msg(seq)`, which asks for an ACK; the kernel's answer.
    pub fn acked(&mut self, msg: impl FnOnce(u32) -> Vec<u8>) -> Result<(), Errno> {
        let seq = self.send(msg)?;
        self.ack(seq)
    }

    /// An rtnetlink socket that receives the events of `groups`
    /// ([`RTMGRP_LINK`], [`RTMGRP_NEIGH`]), for [`Socket::events`].
    pub fn route_events(groups: u32) -> Result<Socket, Errno> {
        use nix::sys::socket::{AddressFamily, NetlinkAddr, SockFlag, SockType, bind, socket};
        let fd = socket(
            AddressFamily::Netlink,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
            nix::sys::socket::SockProtocol::NetlinkRoute,
        )?;
        bind(fd.as_raw_fd(), &NetlinkAddr::new(0, groups))?;
        Ok(Socket {
            fd,
            seq: 0,
            buf: vec![0; 256 * 1024],
        })
    }

    /// Waits up to `timeout` for events and drains them: how many link or
    /// bridge-table events came (0: none in time). ENOBUFS (the kernel
    /// dropped some) counts as one: the caller looks again anyway.
    pub fn events(&mut self, timeout: std::time::Duration) -> Result<usize, Errno> {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        use std::os::fd::AsFd;
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLIN)];
        match poll(
            &mut fds,
            PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
        ) {
            Ok(0) => return Ok(0),
            Err(Errno::EINTR) => return Ok(0),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        let mut count = 0;
        loop {
            match nix::sys::socket::recv(
                self.fd.as_raw_fd(),
                &mut self.buf,
                nix::sys::socket::MsgFlags::MSG_DONTWAIT,
            ) {
                Ok(n) => {
                    // Only the groups subscribed to send here.
                    count += replies(&self.buf[..n])
                        .filter(|(_, r)| matches!(r, Reply::Msg(..)))
                        .count()
                }
                Err(Errno::EAGAIN) => return Ok(count),
                Err(Errno::ENOBUFS) => count += 1,
                Err(e) => return Err(e),
            }
        }
    }

    fn ack(&mut self, seq: u32) -> Result<(), Errno> {
        self.reply(seq, |r| match r {
            Reply::Ack(res) => Some(res),
            _ => None,
        })
    }
}
