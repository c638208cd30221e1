//! The unwinder's entry points, as no-ops, for the shipped binary only
//! (built with `--cfg vfnet_no_unwinder` by scripts/build-release).
//!
//! vfnet is built with `panic = "abort"` and links no unwind tables
//! (.cargo/config.toml), so nothing ever unwinds and a backtrace has no
//! frame to step to. std still refers to the unwinder, for the panic
//! hook's backtrace (`RUST_BACKTRACE`) and for its personality routine,
//! and those references pull in LLVM's libunwind and the C library's
//! printf behind it: about 50 KiB that can do nothing here. Defining the
//! symbols std uses keeps the archive's objects out of the link. If std
//! ever refers to one not defined here, the archive object comes back and
//! the link fails on the duplicate definitions: loudly, never silently.
//!
//! What changes: `RUST_BACKTRACE=1` prints a backtrace without frames.

#![allow(missing_docs, clippy::missing_safety_doc)]

use std::ffi::{c_int, c_void};

/// `_URC_END_OF_STACK`: a backtrace ends at once.
const END_OF_STACK: c_int = 5;
/// `_URC_FATAL_PHASE1_ERROR`: nothing can be raised.
const FATAL: c_int = 3;

type Context = *mut c_void;

#[unsafe(no_mangle)]
pub extern "C" fn _Unwind_Backtrace(_trace: *mut c_void, _arg: *mut c_void) -> c_int {
    END_OF_STACK
}

#[unsafe(no_mangle)]
pub extern "C" fn _Unwind_RaiseException(_exception: *mut c_void) -> c_int {
    FATAL
}

#[unsafe(no_mangle)]
pub extern "C" fn _Unwind_Resume(_exception: *mut c_void) {
    std::process::abort()
}

#[unsafe(no_mangle)]
pub extern "C" fn _Unwind_DeleteException(_exception: *mut c_void) {}

/// The readers of an unwind context, which never exists here.
macro_rules! zero {
    ($($name:ident),*) => {$(
        #[unsafe(no_mangle)]
        pub extern "C" fn $name(_ctx: Context) -> usize {
            0
        }
    )*};
}

zero!(
    _Unwind_GetIP,
    _Unwind_GetCFA,
    _Unwind_GetLanguageSpecificData,
    _Unwind_GetRegionStart,
    _Unwind_GetTextRelBase,
    _Unwind_GetDataRelBase
);

/// # Safety
/// `before` is null or points to a writable `int`, as the unwinder's ABI
/// requires of its callers.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _Unwind_GetIPInfo(_ctx: Context, before: *mut c_int) -> usize {
    if !before.is_null() {
        // SAFETY: the caller passes a valid pointer or null (above).
        unsafe { *before = 0 };
    }
    0
}

#[unsafe(no_mangle)]
pub extern "C" fn _Unwind_SetGR(_ctx: Context, _reg: c_int, _value: usize) {}

#[unsafe(no_mangle)]
pub extern "C" fn _Unwind_SetIP(_ctx: Context, _value: usize) {}

#[unsafe(no_mangle)]
pub extern "C" fn _Unwind_FindEnclosingFunction(_pc: *mut c_void) -> *mut c_void {
    std::ptr::null_mut()
}
