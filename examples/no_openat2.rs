//! `no_openat2 [--eperm] PROGRAM ARGS...`: runs PROGRAM with a seccomp
//! filter that makes `openat2` answer ENOSYS (as a kernel before 5.6 does),
//! or EPERM with `--eperm` (as a container runtime's filter does). Every
//! other syscall is allowed. The test suite runs vfnet through it
//! (`VFNET_TEST_NO_OPENAT2=1`) to check the `--root` sandbox without
//! openat2 (`src/chase.rs`).

use nix::libc;
use std::os::unix::process::CommandExt;

/// `openat2`'s number: the same on x86_64 and aarch64 (and every arch
/// since the syscall table was unified).
const NR_OPENAT2: u32 = 437;

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xc000_003e;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xc000_00b7;

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let errno = if args.first().map(String::as_str) == Some("--eperm") {
        args.remove(0);
        libc::EPERM
    } else {
        libc::ENOSYS
    };
    if args.is_empty() {
        eprintln!("usage: no_openat2 [--eperm] PROGRAM ARGS...");
        std::process::exit(2);
    }
    let (ld, jeq, ret) = (
        (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16,
        (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        (libc::BPF_RET | libc::BPF_K) as u16,
    );
    // struct seccomp_data: nr at 0, arch at 4.
    let filter = [
        stmt(ld, 4),
        jump(jeq, AUDIT_ARCH, 1, 0),
        stmt(ret, libc::SECCOMP_RET_ALLOW),
        stmt(ld, 0),
        jump(jeq, NR_OPENAT2, 0, 1),
        stmt(ret, libc::SECCOMP_RET_ERRNO | errno as u32),
        stmt(ret, libc::SECCOMP_RET_ALLOW),
    ];
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: plain prctl calls; `prog` and `filter` outlive them.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
            || libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER as libc::c_ulong,
                &prog as *const libc::sock_fprog,
            ) != 0
        {
            eprintln!("no_openat2: seccomp: {}", std::io::Error::last_os_error());
            std::process::exit(127);
        }
    }
    let e = std::process::Command::new(&args[0]).args(&args[1..]).exec();
    eprintln!("no_openat2: {}: {e}", args[0]);
    std::process::exit(127);
}
