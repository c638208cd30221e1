//! `memcpy` for the static x86_64 musl build: short copies without `rep`.
//!
//! musl's x86_64 `memcpy` is `rep movsq` between two byte-at-a-time `movsb`
//! loops. That is fine for kilobytes and slow for the few bytes that
//! listing copies by the ten thousand (a JSON key, an address, a MAC, a
//! driver's name: most are 2-20 bytes, to an unaligned end of a `String`):
//! measured with `perf record -e cpu-clock:u` on `list --json` over 8 PFs x
//! 128 VFs, musl's `memcpy` was 37% of vfnet's user time. This one copies up
//! to 64 bytes with a few overlapping unaligned loads and stores (no loop,
//! no `rep` start-up) and anything longer with one `rep movsb`, which every
//! x86_64 since Ivy Bridge (ERMSB) runs at full speed.
//!
//! Only the x86_64 musl binary exports it (other builds keep their C
//! library's); [`copy`] itself is plain code, unit-tested on every target.
//! There is no loop in it that the compiler could turn back into a call to
//! `memcpy`.

/// Copies `n` bytes from `src` to `dst`.
///
/// # Safety
/// As `memcpy`: `src` readable and `dst` writable for `n` bytes, and the
/// two do not overlap.
#[inline(always)]
pub unsafe fn copy(dst: *mut u8, src: *const u8, n: usize) {
    // SAFETY: every access below is inside [0, n) of both buffers: a
    // pair of loads of `W` bytes at 0 and n - W covers n in [W, 2W].
    unsafe {
        match n {
            0 => {}
            1..=3 => {
                let (a, b, c) = (*src, *src.add(n / 2), *src.add(n - 1));
                *dst = a;
                *dst.add(n / 2) = b;
                *dst.add(n - 1) = c;
            }
            4..=7 => pair::<u32>(dst, src, n),
            8..=16 => pair::<u64>(dst, src, n),
            17..=32 => pair::<u128>(dst, src, n),
            33..=64 => {
                let s = src.cast::<u128>();
                let (a, b) = (s.read_unaligned(), s.add(1).read_unaligned());
                let e = src.add(n - 32).cast::<u128>();
                let (c, d) = (e.read_unaligned(), e.add(1).read_unaligned());
                let t = dst.cast::<u128>();
                t.write_unaligned(a);
                t.add(1).write_unaligned(b);
                let f = dst.add(n - 32).cast::<u128>();
                f.write_unaligned(c);
                f.add(1).write_unaligned(d);
            }
            _ => long(dst, src, n),
        }
    }
}

/// The first and last `size_of::<W>()` bytes, which overlap in the middle.
#[inline(always)]
unsafe fn pair<W: Copy>(dst: *mut u8, src: *const u8, n: usize) {
    let w = std::mem::size_of::<W>();
    // SAFETY: the caller has w <= n <= 2w.
    unsafe {
        let a = src.cast::<W>().read_unaligned();
        let b = src.add(n - w).cast::<W>().read_unaligned();
        dst.cast::<W>().write_unaligned(a);
        dst.add(n - w).cast::<W>().write_unaligned(b);
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn long(dst: *mut u8, src: *const u8, n: usize) {
    // SAFETY: as the caller's; the ABI keeps the direction flag clear.
    unsafe {
        std::arch::asm!(
            "rep movsb",
            inout("rcx") n => _,
            inout("rdi") dst => _,
            inout("rsi") src => _,
            options(nostack, preserves_flags)
        );
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
unsafe fn long(dst: *mut u8, src: *const u8, n: usize) {
    // SAFETY: as the caller's. Not the exported memcpy on these targets.
    unsafe { std::ptr::copy_nonoverlapping(src, dst, n) }
}

/// The C library's `memcpy`, in the x86_64 musl binary.
///
/// # Safety
/// As [`copy`].
#[cfg(all(target_arch = "x86_64", target_env = "musl"))]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller's promise, passed on.
    unsafe { copy(dst, src, n) };
    dst
}

/// Copies `n` bytes from `src` to `dst`, which may overlap.
///
/// # Safety
/// As `memmove`: `src` readable and `dst` writable for `n` bytes.
#[inline(always)]
pub unsafe fn shift(dst: *mut u8, src: *const u8, n: usize) {
    // Up to 64 bytes, [`copy`] loads every byte before it stores one:
    // overlap cannot hurt. Longer: forward unless `dst` starts inside
    // the source, then backward.
    // SAFETY: the caller's promise, passed on.
    unsafe {
        if n <= 64 || (dst as usize).wrapping_sub(src as usize) >= n {
            copy(dst, src, n)
        } else {
            long_backward(dst, src, n)
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn long_backward(dst: *mut u8, src: *const u8, n: usize) {
    // SAFETY: as the caller's; the direction flag is set for the copy and
    // cleared again, as the ABI expects it.
    unsafe {
        std::arch::asm!(
            "std",
            "rep movsb",
            "cld",
            inout("rcx") n => _,
            inout("rdi") dst.add(n - 1) => _,
            inout("rsi") src.add(n - 1) => _,
            options(nostack)
        );
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
unsafe fn long_backward(dst: *mut u8, src: *const u8, n: usize) {
    // SAFETY: as the caller's. Not the exported memmove on these targets.
    unsafe { std::ptr::copy(src, dst, n) }
}

/// The C library's `memmove`, in the x86_64 musl binary. musl's own
/// jumps into its `memcpy`, and would bring that back into the link.
///
/// # Safety
/// As [`shift`].
#[cfg(all(target_arch = "x86_64", target_env = "musl"))]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller's promise, passed on.
    unsafe { shift(dst, src, n) };
    dst
}

#[cfg(test)]
mod tests {
    use super::{copy, shift};

    /// Overlapping moves, both ways, every length up to 300: the result is
    /// what a copy through a spare buffer gives.
    #[test]
    fn moves_overlapping_ranges_both_ways() {
        for n in 0..300 {
            for (from, to) in [(0, 1), (1, 0), (0, 7), (9, 2), (3, 64), (70, 5), (0, 0)] {
                let mut buf: Vec<u8> = (0..400u32).map(|i| (i * 13 + 1) as u8).collect();
                let mut want = buf.clone();
                let part = want[from..from + n].to_vec();
                want[to..to + n].copy_from_slice(&part);
                // SAFETY: both ranges are inside buf.
                unsafe { shift(buf.as_mut_ptr().add(to), buf.as_ptr().add(from), n) };
                assert_eq!(buf, want, "n={n} from={from} to={to}");
            }
        }
    }

    /// Every length up to 300 at every alignment of both ends copies
    /// exactly its bytes and touches nothing around them.
    #[test]
    fn copies_every_length_at_every_alignment() {
        let src: Vec<u8> = (0..400u32).map(|i| (i * 7 + 3) as u8).collect();
        for n in 0..300 {
            for (so, d) in [(0, 0), (1, 0), (0, 3), (5, 7), (8, 1), (15, 9)] {
                let mut dst = vec![0xEEu8; 340];
                // SAFETY: both ranges are inside their buffers and distinct.
                unsafe { copy(dst.as_mut_ptr().add(d), src.as_ptr().add(so), n) };
                assert_eq!(&dst[d..d + n], &src[so..so + n], "n={n} so={so} d={d}");
                assert!(dst[..d].iter().all(|&b| b == 0xEE), "before, n={n}");
                assert!(dst[d + n..].iter().all(|&b| b == 0xEE), "after, n={n}");
            }
        }
    }
}
