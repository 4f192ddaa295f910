//! `ZeroedBuf`: a fixed-length, zero-initialised buffer for large hash tables. Buffers of
//! 4 MiB and more are aligned to 2 MiB and marked for transparent huge pages, because
//! random probes into a table far larger than the caches otherwise miss the TLB on
//! almost every access (and a page walk in a virtual machine costs as much as the
//! probe itself).

use std::alloc::{alloc, alloc_zeroed, dealloc, handle_alloc_error, Layout};
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

/// Types for which the all-zero byte pattern is a valid value.
///
/// # Safety
/// Implement only for plain integers and aggregates of them.
pub unsafe trait Zeroable: Copy {}
unsafe impl Zeroable for u64 {}
unsafe impl Zeroable for [u64; 2] {}
unsafe impl<K: Zeroable> Zeroable for (K, u64) {}

const HUGE_PAGE: usize = 2 << 20;
const HUGE_FROM: usize = 4 << 20;

pub struct ZeroedBuf<T: Zeroable> {
    ptr: NonNull<T>,
    len: usize,
    layout: Layout,
}

// SAFETY: the buffer owns its elements like a Vec does.
unsafe impl<T: Zeroable + Send> Send for ZeroedBuf<T> {}
unsafe impl<T: Zeroable + Sync> Sync for ZeroedBuf<T> {}

impl<T: Zeroable> ZeroedBuf<T> {
    /// `len` zeroed elements; aborts on allocation failure, as `Vec` does.
    pub fn new(len: usize) -> Self {
        let layout = Self::layout(len);
        Self::try_new(len).unwrap_or_else(|| handle_alloc_error(layout))
    }

    fn layout(len: usize) -> Layout {
        let bytes = len.saturating_mul(std::mem::size_of::<T>()).max(1);
        Layout::from_size_align(bytes, std::mem::align_of::<T>()).unwrap_or(Layout::new::<T>())
    }

    /// `len` zeroed elements, or `None` if the memory cannot be had.
    pub fn try_new(len: usize) -> Option<Self> {
        let bytes = len.checked_mul(std::mem::size_of::<T>())?;
        if bytes == 0 {
            return Some(ZeroedBuf {
                ptr: NonNull::dangling(),
                len,
                layout: Layout::new::<()>(),
            });
        }
        let huge = bytes >= HUGE_FROM;
        let align = if huge {
            HUGE_PAGE
        } else {
            std::mem::align_of::<T>()
        };
        let layout = Layout::from_size_align(bytes, align).ok()?;
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe {
            if huge {
                let p = alloc(layout);
                if !p.is_null() {
                    advise_huge(p, bytes);
                    // Zero after advising, so that first touch builds huge pages.
                    p.write_bytes(0, bytes);
                }
                p
            } else {
                alloc_zeroed(layout)
            }
        };
        let ptr = NonNull::new(raw as *mut T)?;
        Some(ZeroedBuf { ptr, len, layout })
    }
}

#[cfg(target_os = "linux")]
unsafe fn advise_huge(p: *mut u8, bytes: usize) {
    // A hint: failure (no THP support) leaves ordinary pages, which are still correct.
    libc::madvise(p as *mut libc::c_void, bytes, libc::MADV_HUGEPAGE);
}

#[cfg(not(target_os = "linux"))]
unsafe fn advise_huge(_p: *mut u8, _bytes: usize) {}

impl<T: Zeroable> Drop for ZeroedBuf<T> {
    fn drop(&mut self) {
        if self.layout.size() > 0 {
            // SAFETY: allocated in `new` with this very layout.
            unsafe { dealloc(self.ptr.as_ptr() as *mut u8, self.layout) }
        }
    }
}

impl<T: Zeroable> Deref for ZeroedBuf<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `len` initialised elements (zeroed, then written through `deref_mut`).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Zeroable> DerefMut for ZeroedBuf<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, and `&mut self` makes the access unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Zeroable> Clone for ZeroedBuf<T> {
    fn clone(&self) -> Self {
        let mut copy = ZeroedBuf::new(self.len);
        copy.copy_from_slice(self);
        copy
    }
}

impl<T: Zeroable> Default for ZeroedBuf<T> {
    fn default() -> Self {
        ZeroedBuf::new(0)
    }
}

impl<T: Zeroable + std::fmt::Debug> std::fmt::Debug for ZeroedBuf<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ZeroedBuf(len={})", self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_huge_buffers_are_zeroed_and_writable() {
        for len in [0usize, 3, 1 << 20] {
            let mut b: ZeroedBuf<(u64, u64)> = ZeroedBuf::new(len);
            assert!(b.iter().all(|&(k, c)| k == 0 && c == 0));
            if len > 0 {
                b[len - 1] = (7, 9);
                let c = b.clone();
                assert_eq!(c[len - 1], (7, 9));
            }
        }
    }
}
