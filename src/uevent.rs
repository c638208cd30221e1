//! Kernel uevents, as a wake-up call: at boot, `apply --wait` sleeps until
//! the kernel announces a device (a driver binding, a netdev appearing)
//! instead of polling blindly.
//!
//! The socket is `NETLINK_KOBJECT_UEVENT`, group 1 (the kernel's own
//! events, before udev). The messages are not parsed: any event means
//! "look at sysfs again", and sysfs is the truth. Where the socket cannot
//! be opened (a container, a network namespace, an old kernel), waiting
//! falls back to plain polling with backoff.

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{
    AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType, bind, recv, socket,
};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Duration;

/// A subscription to kernel uevents, or nothing when the kernel refused one.
pub struct Uevents {
    fd: Option<OwnedFd>,
}

impl Uevents {
    /// Subscribes to the kernel's uevents (without a socket, waits poll instead).
    pub fn open() -> Uevents {
        let fd = socket(
            AddressFamily::Netlink,
            SockType::Datagram,
            SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
            SockProtocol::NetlinkKObjectUEvent,
        )
        .ok()
        .filter(|fd| bind(fd.as_raw_fd(), &NetlinkAddr::new(0, 1)).is_ok());
        Uevents { fd }
    }

    /// Whether events will wake the waiter (else it only polls).
    pub fn active(&self) -> bool {
        self.fd.is_some()
    }

    /// Sleeps until an event arrives or `timeout` passes, then drains
    /// whatever is queued.
    pub fn sleep(&self, timeout: Duration) {
        let Some(fd) = &self.fd else {
            std::thread::sleep(timeout);
            return;
        };
        let ms = timeout.as_millis().min(u16::MAX as u128) as u16;
        let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        if let Ok(n) = poll(&mut fds, PollTimeout::from(ms)) {
            if n > 0 {
                let mut buf = [0u8; 8192];
                while matches!(recv(fd.as_raw_fd(), &mut buf, MsgFlags::empty()), Ok(n) if n > 0) {}
            }
        }
    }
}
