//! A memory budget for template evaluation.
//!
//! MiniJinja's fuel counts instructions, but a handful of instructions can
//! build gigabytes (a string doubled in a loop), and the engine has no hook
//! for the size of what it builds. So pplay's allocator keeps, per thread, a
//! count of the bytes allocated while a [`metered`] section runs. It never
//! refuses an allocation (a refusal aborts the process); instead the places
//! where the engine calls back into pplay (each `range` step, each piece of
//! rendered text) ask [`over_budget`] and stop the work, and the evaluation
//! then fails with a located error. Outside a metered section it only passes
//! calls through.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The allocator: the system's, counting inside metered sections.
pub struct Metered;

#[global_allocator]
static ALLOCATOR: Metered = Metered;

thread_local! {
    /// Bytes allowed in the running section; `None` outside one.
    static LIMIT: Cell<Option<usize>> = const { Cell::new(None) };
    /// Bytes allocated and not yet freed since the section started.
    static USED: Cell<isize> = const { Cell::new(0) };
    /// Has the running section been over its budget at any moment?
    static OVER: Cell<bool> = const { Cell::new(false) };
}

fn count(delta: isize) {
    // `try_with`: a thread being torn down simply is not counted.
    let _ = LIMIT.try_with(|l| {
        if let Some(limit) = l.get() {
            let _ = USED.try_with(|u| {
                let used = u.get().saturating_add(delta);
                u.set(used);
                if used > limit as isize {
                    let _ = OVER.try_with(|o| o.set(true));
                }
            });
        }
    });
}

// SAFETY: every call is passed to `System` unchanged; the counting around it
// touches only const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for Metered {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `f` with a budget of `limit` bytes on this thread; returns its value
/// and whether what it held at any moment went over the budget. Sections
/// nest: the inner one is counted on its own, and its bytes count for the
/// outer one too.
pub fn metered<R>(limit: usize, f: impl FnOnce() -> R) -> (R, bool) {
    let outer_limit = LIMIT.with(|l| l.replace(Some(limit)));
    let outer_used = USED.with(|u| u.replace(0));
    let outer_over = OVER.with(|o| o.replace(false));
    let r = f();
    let used = USED.with(Cell::get);
    let over = OVER.with(Cell::get);
    LIMIT.with(|l| l.set(outer_limit));
    USED.with(|u| u.set(outer_used.saturating_add(used)));
    OVER.with(|o| o.set(outer_over));
    (r, over)
}

/// Has the running section held more than its budget? `false` outside one.
/// The places the template engine calls back into pplay ask this, to stop
/// work that can only fail.
pub fn over_budget() -> bool {
    LIMIT.with(|l| l.get().is_some()) && OVER.with(Cell::get)
}

/// Bytes the running section may still take; unbounded outside one.
pub fn remaining() -> usize {
    match LIMIT.with(Cell::get) {
        Some(limit) => limit.saturating_sub(USED.with(Cell::get).max(0) as usize),
        None => usize::MAX,
    }
}

/// Can the running section take `bytes` more? When it cannot, it is marked
/// over its budget now, before they are taken, so a value too large to
/// build is refused instead of built. Always `true` outside a section.
pub fn claim(bytes: usize) -> bool {
    let fits = bytes <= remaining();
    if !fits {
        OVER.with(|o| o.set(true));
    }
    fits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_sees_what_it_allocates() {
        let (v, over) = metered(1 << 20, || vec![0u8; 2 << 20]);
        assert!(over);
        drop(v);
        let (_, over) = metered(1 << 20, || drop(vec![0u8; 2 << 20]));
        assert!(over, "a peak counts even when it was freed");
        let (_, over) = metered(1 << 20, || {
            let v = vec![0u8; 512 << 10];
            (over_budget(), v.len())
        });
        assert!(!over);
        assert!(!over_budget(), "no section runs here");
    }

    #[test]
    fn freed_bytes_are_given_back() {
        let (_, over) = metered(1 << 20, || {
            for _ in 0..10 {
                drop(vec![0u8; 512 << 10]);
            }
        });
        assert!(!over);
    }
}
