//! The shipped build's allocator: size classes of powers of two from 16
//! bytes to 32 KiB, each a free list carved from 256 KiB `mmap`ed
//! arenas, and anything larger mapped and unmapped on its own. With it,
//! no code of the binary calls the C library's `malloc`, and musl's
//! (mallocng, about 9 KiB) is not linked (README, "Size").
//!
//! Rust tells `dealloc` and `realloc` the size and alignment of each
//! block, so a block carries no header: its class follows from its
//! layout. One spin lock guards the lists (vfnet's threads allocate
//! little: one per PF while `apply` waits for VFs). Memory freed into a
//! class stays in that class, which suits a program that runs for a
//! command (and the watchers, whose allocations repeat).

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicBool, Ordering};

/// log2 of the smallest class.
const MIN_SHIFT: usize = 4;
/// Classes: 16 B .. 32 KiB.
const CLASSES: usize = 12;
/// What one arena maps.
const ARENA: usize = 256 * 1024;

/// The allocator.
pub struct Heap {
    lock: AtomicBool,
    state: std::cell::UnsafeCell<State>,
}

struct State {
    /// Each class's first free block (each free block holds the next).
    free: [*mut u8; CLASSES],
    /// The unused rest of the current arena.
    next: *mut u8,
    end: *mut u8,
}

// SAFETY: `state` is only touched with `lock` held.
unsafe impl Sync for Heap {}

impl Heap {
    /// An empty heap.
    pub const fn new() -> Heap {
        Heap {
            lock: AtomicBool::new(false),
            state: std::cell::UnsafeCell::new(State {
                free: [std::ptr::null_mut(); CLASSES],
                next: std::ptr::null_mut(),
                end: std::ptr::null_mut(),
            }),
        }
    }
}

impl Default for Heap {
    fn default() -> Heap {
        Heap::new()
    }
}

/// The class of a layout, `None` for one mapped on its own.
pub fn class(l: Layout) -> Option<usize> {
    let size = l.size().max(l.align()).max(1 << MIN_SHIFT);
    let shift = size.next_power_of_two().trailing_zeros() as usize;
    (shift - MIN_SHIFT < CLASSES).then(|| shift - MIN_SHIFT)
}

fn map(len: usize) -> *mut u8 {
    use nix::libc;
    // SAFETY: an anonymous private mapping; failure is checked.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        std::ptr::null_mut()
    } else {
        p.cast()
    }
}

/// Bytes mapped for a large block.
fn pages(l: Layout) -> usize {
    l.size().next_multiple_of(4096)
}

impl Heap {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        while self
            .lock
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        // SAFETY: the lock is held.
        let t = f(unsafe { &mut *self.state.get() });
        self.lock.store(false, Ordering::Release);
        t
    }
}

unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let Some(c) = class(l) else {
            // Large: page-aligned, which is all Rust asks of vfnet's.
            return if l.align() <= 4096 {
                map(pages(l))
            } else {
                std::ptr::null_mut()
            };
        };
        let size = 1usize << (c + MIN_SHIFT);
        self.with(|s| {
            let head = s.free[c];
            if !head.is_null() {
                // SAFETY: a free block holds the next one's address.
                s.free[c] = unsafe { head.cast::<*mut u8>().read() };
                return head;
            }
            // Carve from the arena, aligned to the block's size (a power
            // of two up to 32 KiB: so to any alignment its class holds).
            let mut at = (s.next as usize).next_multiple_of(size);
            if s.next.is_null() || at + size > s.end as usize {
                let a = map(ARENA);
                if a.is_null() {
                    return a;
                }
                (s.next, s.end) = (a, a.wrapping_add(ARENA));
                // The mapping is page-aligned; a larger block is aligned
                // within it (an arena holds 8 of the largest).
                at = (a as usize).next_multiple_of(size);
            }
            s.next = (at + size) as *mut u8;
            at as *mut u8
        })
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        match class(l) {
            None => {
                // SAFETY: mapped by `alloc` with this length.
                unsafe { nix::libc::munmap(p.cast(), pages(l)) };
            }
            Some(c) => self.with(|s| {
                // SAFETY: the block is at least 16 bytes and free now.
                unsafe { p.cast::<*mut u8>().write(s.free[c]) };
                s.free[c] = p;
            }),
        }
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let Ok(to) = Layout::from_size_align(new, l.align()) else {
            return std::ptr::null_mut();
        };
        if class(l).is_some() && class(l) == class(to) {
            return p;
        }
        // SAFETY: as GlobalAlloc's contract: `p` is `l`'s, `to` is valid.
        unsafe {
            let q = self.alloc(to);
            if !q.is_null() {
                std::ptr::copy_nonoverlapping(p, q, l.size().min(new));
                self.dealloc(p, l);
            }
            q
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_powers_of_two_and_large_blocks_are_mapped() {
        let l = |s, a| Layout::from_size_align(s, a).unwrap();
        assert_eq!(class(l(1, 1)), Some(0));
        assert_eq!(class(l(16, 8)), Some(0));
        assert_eq!(class(l(17, 8)), Some(1));
        assert_eq!(class(l(8, 64)), Some(2));
        assert_eq!(class(l(32 * 1024, 8)), Some(11));
        assert_eq!(class(l(32 * 1024 + 1, 8)), None);
    }

    #[test]
    fn blocks_are_aligned_distinct_reused_and_keep_their_bytes() {
        let h = Heap::new();
        let mut live = Vec::new();
        for (i, size) in (0..2000).map(|i| (i, 1 + (i * 37) % 70_000)) {
            let l = Layout::from_size_align(size, 1 << (i % 7)).unwrap();
            // SAFETY: a valid layout; the block is written within it.
            let p = unsafe { h.alloc(l) };
            assert!(!p.is_null());
            assert_eq!(p as usize % l.align(), 0);
            unsafe { std::ptr::write_bytes(p, i as u8, size) };
            live.push((p, l, i as u8));
            if i % 3 == 0 {
                let (p, l, v) = live.remove(i % live.len());
                assert!((0..l.size()).all(|k| unsafe { *p.add(k) } == v));
                unsafe { h.dealloc(p, l) };
            }
        }
        // Alignments past a page, within the classes: each block is
        // aligned to its class's size.
        for align in [8192usize, 16384, 32768] {
            let l = Layout::from_size_align(100, align).unwrap();
            let p = unsafe { h.alloc(l) };
            assert_eq!(p as usize % align, 0, "{align}");
            unsafe { h.dealloc(p, l) };
        }
        // Grown in place within a class, moved with its bytes past it.
        let l = Layout::from_size_align(20, 8).unwrap();
        let p = unsafe { h.alloc(l) };
        unsafe { std::ptr::write_bytes(p, 7, 20) };
        assert_eq!(unsafe { h.realloc(p, l, 30) }, p);
        let q = unsafe { h.realloc(p, Layout::from_size_align(30, 8).unwrap(), 5000) };
        assert!((0..20).all(|k| unsafe { *q.add(k) } == 7));
        for (p, l, v) in live {
            assert!((0..l.size()).all(|k| unsafe { *p.add(k) } == v));
            unsafe { h.dealloc(p, l) };
        }
    }
}
