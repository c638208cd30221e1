//! A few jobs at the same time, one OS thread each (`apply` changing
//! several PFs' counts at once). Plain pthreads: std's thread machinery
//! (names, handles, scoped packets) costs the binary 24 KiB, and vfnet
//! needs none of it. Every thread is joined before [`all`] returns, so a job
//! may borrow what its caller holds.

use nix::libc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A job, what it gave, and whether it is done.
struct Slot<'a, T> {
    job: Option<Box<dyn FnOnce() -> T + Send + 'a>>,
    result: Option<T>,
    done: AtomicBool,
}

extern "C" fn trampoline<T>(arg: *mut libc::c_void) -> *mut libc::c_void {
    // SAFETY: `arg` is the Slot that `all` keeps alive until it has joined
    // this thread, and only this thread touches it until `done` is set.
    let slot = unsafe { &mut *(arg as *mut Slot<'_, T>) };
    if let Some(job) = slot.job.take() {
        slot.result = Some(job());
    }
    slot.done.store(true, Ordering::Release);
    std::ptr::null_mut()
}

/// Runs every job at the same time and returns what each gave, in order.
/// `tick` is called on the caller's thread until every job is done (it
/// should pause a little: a signal wait, a sleep). A job whose thread
/// cannot be created runs on the caller's thread.
pub fn all<'a, T: Send>(
    jobs: Vec<Box<dyn FnOnce() -> T + Send + 'a>>,
    mut tick: impl FnMut(),
) -> Vec<T> {
    let mut slots: Vec<Box<Slot<'a, T>>> = jobs
        .into_iter()
        .map(|job| {
            Box::new(Slot {
                job: Some(job),
                result: None,
                done: AtomicBool::new(false),
            })
        })
        .collect();
    let mut threads = Vec::new();
    // musl's threads get 128 KiB of stack by default: a job gets 1 MiB, as
    // the main thread's reads of sysfs (4 KiB link buffers) may want.
    // SAFETY: a zeroed attr is initialized by pthread_attr_init before use.
    let mut attr: libc::pthread_attr_t = unsafe { std::mem::zeroed() };
    let attr_ok = unsafe {
        libc::pthread_attr_init(&mut attr) == 0
            && libc::pthread_attr_setstacksize(&mut attr, 1 << 20) == 0
    };
    for slot in &mut slots {
        let arg = &mut **slot as *mut Slot<'a, T> as *mut libc::c_void;
        // SAFETY: a pthread_t is plain data (an integer or a pointer) that
        // pthread_create fills in.
        let mut id: libc::pthread_t = unsafe { std::mem::zeroed() };
        let attr_p = if attr_ok {
            &attr as *const _
        } else {
            std::ptr::null()
        };
        // SAFETY: the slot outlives the thread (joined below); the
        // trampoline is the only one to touch it until it is done.
        let made = unsafe { libc::pthread_create(&mut id, attr_p, trampoline::<T>, arg) };
        if made == 0 {
            threads.push(id);
        } else {
            trampoline::<T>(arg);
        }
    }
    if attr_ok {
        // SAFETY: initialized above; the threads made with it keep their stacks.
        unsafe { libc::pthread_attr_destroy(&mut attr) };
    }
    while !slots.iter().all(|s| s.done.load(Ordering::Acquire)) {
        tick();
    }
    for id in threads {
        // SAFETY: each id is a thread created above, joined once.
        unsafe { libc::pthread_join(id, std::ptr::null_mut()) };
    }
    slots
        .into_iter()
        .map(|s| s.result.expect("every job gave its result"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn jobs_run_at_the_same_time_and_give_their_results_in_order() {
        let base = 10u32;
        let jobs: Vec<Box<dyn FnOnce() -> u32 + Send + '_>> = (0..4)
            .map(|i| {
                let base = &base;
                Box::new(move || {
                    std::thread::sleep(Duration::from_millis(200));
                    base + i
                }) as Box<dyn FnOnce() -> u32 + Send>
            })
            .collect();
        let start = Instant::now();
        let mut ticks = 0;
        let got = all(jobs, || {
            ticks += 1;
            std::thread::sleep(Duration::from_millis(10));
        });
        assert_eq!(got, [10, 11, 12, 13]);
        assert!(
            start.elapsed() < Duration::from_millis(700),
            "{:?}",
            start.elapsed()
        );
        assert!(ticks > 0);
    }
}
