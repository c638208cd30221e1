//! /proc, read through the root like every other path: which processes hold
//! which device files open, what a process is (its command line and name),
//! which network namespace it is in, and which interfaces have addresses.
//! One pass over /proc; kernel threads are skipped; a process's open files
//! are read only as links (never followed).

use crate::sysfs::{Dir, LINK_MAX, Root};

/// The processes of `/proc` holding one of `targets` (absolute device
/// paths like `/dev/vfio/17`) open: `(target, pid)`, by pid; and whether
/// every process's open files could be read (not as an unprivileged user).
/// Every open file of a process is looked at, not just up to the first
/// match: a VM may hold several VFs.
pub fn holders(proc_dir: &Dir, targets: &[String]) -> (Vec<(String, u32)>, bool) {
    let mut out = Vec::new();
    let mut complete = true;
    if targets.is_empty() {
        return (out, complete);
    }
    let mut pids = Vec::new();
    let _ = proc_dir.for_each_entry(|e| {
        if let Ok(pid) = e.parse::<u32>() {
            pids.push(pid);
        }
    });
    pids.sort_unstable();
    let mut buf = [0u8; LINK_MAX];
    for pid in pids {
        // Every process's open files are looked at, whatever its command
        // line says (a process may empty its own; a kernel thread has an
        // empty `fd` directory): one that holds a VF is a user.
        let fds = match proc_dir.open_dir(&format!("{pid}/fd")) {
            Ok(d) => d,
            Err(nix::errno::Errno::EACCES | nix::errno::Errno::EPERM) => {
                complete = false; // not ours to read
                continue;
            }
            Err(_) => continue, // gone
        };
        let mut names = Vec::new();
        let _ = fds.for_each_entry(|e| names.push(e.to_string()));
        for fd in names {
            let Ok(t) = fds.link(&fd, &mut buf) else {
                continue;
            };
            if let Some(target) = targets.iter().find(|t2| t2.as_bytes() == t) {
                if !out
                    .iter()
                    .any(|(t3, p): &(String, u32)| t3 == target && *p == pid)
                {
                    out.push((target.clone(), pid));
                }
            }
        }
    }
    (out, complete)
}

/// A process: its name (`comm`) and command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Process {
    /// Its pid.
    pub pid: u32,
    /// Its name.
    pub comm: String,
    /// Its arguments.
    pub cmdline: Vec<String>,
}

/// What can be read of the process `pid`: its command line's first 64 KiB
/// (a libvirt guest's can be longer; its program and `-name` come first)
/// and its name. A process that vanished, or whose files cannot be read,
/// is all empty: it is still the process it is (a holder stays a holder).
pub fn process(proc_dir: &Dir, pid: u32) -> Process {
    let bytes = proc_dir
        .read_prefix(&format!("{pid}/cmdline"), 64 * 1024)
        .map(|(b, _)| b)
        .unwrap_or_default();
    let cmdline = bytes
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let mut buf = [0u8; crate::sysfs::ATTR_MAX];
    let comm = proc_dir
        .read(&format!("{pid}/comm"), &mut buf)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .unwrap_or_default();
    let comm = comm.trim_end_matches('\n').to_string();
    Process { pid, comm, cmdline }
}

/// The network namespace of `pid` (`net:[4026531840]`), or of vfnet
/// itself with `self`.
pub fn netns(proc_dir: &Dir, pid: &str) -> Option<String> {
    let mut buf = [0u8; 128];
    let t = proc_dir.link(&format!("{pid}/ns/net"), &mut buf).ok()?;
    Some(String::from_utf8_lossy(t).into_owned())
}

/// The one process (the lowest pid) of the only network namespace other
/// than `ours`, when there is exactly one such namespace.
pub fn lone_foreign_netns(proc_dir: &Dir, ours: &str) -> Option<u32> {
    let mut pids = Vec::new();
    let _ = proc_dir.for_each_entry(|e| {
        if let Ok(pid) = e.parse::<u32>() {
            pids.push(pid);
        }
    });
    pids.sort_unstable();
    let mut found: Option<(String, u32)> = None;
    for pid in pids {
        let Some(ns) = netns(proc_dir, &pid.to_string()) else {
            continue;
        };
        if ns == ours {
            continue;
        }
        match &found {
            None => found = Some((ns, pid)),
            Some((n, _)) if *n == ns => {}
            Some(_) => return None, // several: no telling which
        }
    }
    found.map(|(_, p)| p)
}

/// Interfaces with an IPv4 route of their own (`/proc/net/route`: every
/// address brings its prefix's route) or a global IPv6 address
/// (`/proc/net/if_inet6`, scope 00): the host uses them.
pub fn addressed(root: &Root) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Ok((b, _)) = crate::files::read_regular(&root.real("/proc/net/route"), 1 << 20) {
        for line in String::from_utf8_lossy(&b).lines().skip(1) {
            if let Some(i) = line.split_whitespace().next() {
                out.push(i.to_string());
            }
        }
    }
    if let Ok((b, _)) = crate::files::read_regular(&root.real("/proc/net/if_inet6"), 1 << 20) {
        for line in String::from_utf8_lossy(&b).lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            // address, ifindex, prefix length, scope, flags, name
            if f.len() == 6 && f[3] == "00" {
                out.push(f[5].to_string());
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}
