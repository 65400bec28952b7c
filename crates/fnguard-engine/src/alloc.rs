//! The memory allocator of every program that scans, and the one process
//! setting it needs. The only `unsafe` code of fnguard lives here.
//!
//! The system allocator spent a third of a scan in `malloc`/`free` (document
//! trees are millions of small nodes, built and dropped on every thread) and
//! fragmented across rayon threads; mimalloc's thread-local heaps halve that.

use libmimalloc_sys::{
    mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc,
    mi_zalloc_aligned,
};
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// Alignment every mimalloc block has without asking (`MI_MAX_ALIGN_SIZE`).
const MIMALLOC_MIN_ALIGN: usize = 16;

/// mimalloc called directly. The `mimalloc` crate's allocator sends every
/// request through `mi_malloc_aligned`, whose alignment handling cost ~17
/// instructions per call in mimalloc v3 (about 5 % of a scan's instructions,
/// callgrind on 60 SAM deployments) although nearly every Rust allocation
/// asks for an alignment that plain `mi_malloc` already guarantees. Only
/// requests that need more go through the aligned entry points. The
/// condition is the one std's own Unix allocator uses for `malloc`.
pub struct MiMalloc;

fn plain_malloc_suffices(layout: &Layout) -> bool {
    layout.align() <= MIMALLOC_MIN_ALIGN && layout.align() <= layout.size()
}

// SAFETY: every method forwards to the mimalloc function with the same
// contract as the GlobalAlloc method (a block of at least `size` bytes with
// at least `align` alignment, or null), choosing the unaligned variant only
// when mimalloc's guaranteed alignment covers the layout's. `mi_free` takes
// blocks from any of these entry points.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if plain_malloc_suffices(&layout) {
            mi_malloc(layout.size()) as *mut u8
        } else {
            mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if plain_malloc_suffices(&layout) {
            mi_zalloc(layout.size()) as *mut u8
        } else {
            mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi_free(ptr as *mut c_void);
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        if plain_malloc_suffices(&new_layout) {
            mi_realloc(ptr as *mut c_void, new_size) as *mut u8
        } else {
            mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
        }
    }
}

/// mimalloc asks the kernel for transparent huge pages on its arenas; each
/// 2 MB page is zeroed at its first touch, including the parts a scan never
/// uses. On the benchmark corpus that zeroing was 14 % of all CPU samples
/// (kernel `clear_page_erms`) and it inflated RSS, for no measurable gain in
/// user time. A scan is short and allocates small nodes: plain 4 KB pages
/// suit it. (mimalloc's `no_thp` build feature only stops its own `madvise`;
/// the process flag also covers kernels set to THP `always`.)
pub fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag on this process; it takes
    // no pointers. A failure (an old kernel) leaves the default, which is
    // merely slower, so the result is ignored.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocations_of_every_alignment_are_aligned_and_usable() {
        for align in [1usize, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1usize, 3, 8, 15, 16, 17, 100, 5000, 1 << 20] {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: a non-zero-size layout; the block is written within
                // its size, grown with the same alignment, and freed once.
                unsafe {
                    let p = MiMalloc.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    p.write_bytes(0xAB, size);
                    let q = MiMalloc.realloc(p, layout, size * 2);
                    assert_eq!(q as usize % align, 0, "realloc size {size} align {align}");
                    assert_eq!(*q.add(size - 1), 0xAB);
                    MiMalloc.dealloc(q, Layout::from_size_align(size * 2, align).unwrap());
                    let z = MiMalloc.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0);
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                    MiMalloc.dealloc(z, layout);
                }
            }
        }
    }
}
