//! `ZeroedBuf`: a fixed-length, zero-initialised buffer for large hash tables. Buffers of
//! 4 MiB and more are aligned to 2 MiB and marked for transparent huge pages, because
//! random probes into a table far larger than the caches otherwise miss the TLB on
//! almost every access (and a page walk in a virtual machine costs as much as the
//! probe itself).
//!
//! Many small buffers can also be carved from one allocation ([`ZeroedBuf::split`]): a
//! fresh small allocation is faulted in 4 KiB at a time as it is first written, and in a
//! virtual machine those faults cost more than filling the tables, while one large
//! allocation gets huge pages.

use std::alloc::{alloc, alloc_zeroed, dealloc, handle_alloc_error, Layout};
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::Arc;

/// Types for which the all-zero byte pattern is a valid value.
///
/// # Safety
/// Implement only for plain integers and aggregates of them.
pub unsafe trait Zeroable: Copy {}
unsafe impl Zeroable for u64 {}
unsafe impl<K: Zeroable> Zeroable for (K, u64) {}

const HUGE_PAGE: usize = 2 << 20;
const HUGE_FROM: usize = 4 << 20;

/// One zeroed allocation, freed on drop.
struct Block {
    ptr: NonNull<u8>,
    layout: Layout,
}

// SAFETY: a block is plain memory; the buffers carved from it hand out disjoint parts.
unsafe impl Send for Block {}
unsafe impl Sync for Block {}

impl Block {
    /// `bytes` (> 0) zeroed bytes aligned for `align`, or `None` if the memory cannot
    /// be had.
    fn zeroed(bytes: usize, align: usize) -> Option<Block> {
        let huge = bytes >= HUGE_FROM;
        let align = if huge { HUGE_PAGE.max(align) } else { align };
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
        Some(Block {
            ptr: NonNull::new(raw)?,
            layout,
        })
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        // SAFETY: allocated in `zeroed` with this very layout.
        unsafe { dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

/// The allocation holding a buffer's elements, freed with the buffer (or, when shared,
/// with the last buffer carved from it). Held only to be dropped.
#[allow(dead_code)]
enum Backing {
    Empty,
    Own(Block),
    Shared(Arc<Block>),
}

pub struct ZeroedBuf<T: Zeroable> {
    ptr: NonNull<T>,
    len: usize,
    _backing: Backing,
}

// SAFETY: the buffer owns its elements like a Vec does (buffers sharing a block own
// disjoint parts of it).
unsafe impl<T: Zeroable + Send> Send for ZeroedBuf<T> {}
unsafe impl<T: Zeroable + Sync> Sync for ZeroedBuf<T> {}

impl<T: Zeroable> ZeroedBuf<T> {
    /// `len` zeroed elements; aborts on allocation failure, as `Vec` does.
    pub fn new(len: usize) -> Self {
        Self::try_new(len).unwrap_or_else(|| handle_alloc_error(Self::layout(len)))
    }

    fn layout(len: usize) -> Layout {
        let bytes = len.saturating_mul(std::mem::size_of::<T>()).max(1);
        Layout::from_size_align(bytes, std::mem::align_of::<T>()).unwrap_or(Layout::new::<T>())
    }

    fn empty(len: usize) -> Self {
        ZeroedBuf {
            ptr: NonNull::dangling(),
            len,
            _backing: Backing::Empty,
        }
    }

    /// `len` zeroed elements, or `None` if the memory cannot be had.
    pub fn try_new(len: usize) -> Option<Self> {
        let bytes = len.checked_mul(std::mem::size_of::<T>())?;
        if bytes == 0 {
            return Some(Self::empty(len));
        }
        let block = Block::zeroed(bytes, std::mem::align_of::<T>())?;
        Some(ZeroedBuf {
            ptr: block.ptr.cast(),
            len,
            _backing: Backing::Own(block),
        })
    }

    /// Buffers of `lens[i]` zeroed elements, carved from one allocation (huge pages
    /// when it is large); aborts on allocation failure.
    pub fn split(lens: &[usize]) -> Vec<Self> {
        let total = lens.iter().fold(0usize, |t, &l| t.saturating_add(l));
        let bytes = total.saturating_mul(std::mem::size_of::<T>());
        if bytes == 0 {
            return lens.iter().map(|&len| Self::empty(len)).collect();
        }
        let block = Block::zeroed(bytes, std::mem::align_of::<T>())
            .map(Arc::new)
            .unwrap_or_else(|| handle_alloc_error(Self::layout(total)));
        let mut next: *mut T = block.ptr.cast().as_ptr();
        lens.iter()
            .map(|&len| {
                // SAFETY: the lengths sum to the block's size, so each buffer lies inside
                // it, after the previous one.
                let ptr = unsafe { NonNull::new_unchecked(next) };
                next = unsafe { next.add(len) };
                ZeroedBuf {
                    ptr,
                    len,
                    _backing: Backing::Shared(Arc::clone(&block)),
                }
            })
            .collect()
    }
}

#[cfg(target_os = "linux")]
unsafe fn advise_huge(p: *mut u8, bytes: usize) {
    // A hint: failure (no THP support) leaves ordinary pages, which are still correct.
    libc::madvise(p as *mut libc::c_void, bytes, libc::MADV_HUGEPAGE);
}

#[cfg(not(target_os = "linux"))]
unsafe fn advise_huge(_p: *mut u8, _bytes: usize) {}

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

    #[test]
    fn split_buffers_are_disjoint_and_outlive_each_other() {
        for lens in [
            vec![0usize; 3],
            vec![5, 0, 7, 1],
            vec![1 << 18, 3, 1 << 19, 2],
        ] {
            let mut parts: Vec<ZeroedBuf<u64>> = ZeroedBuf::split(&lens);
            for (p, &len) in parts.iter_mut().zip(&lens) {
                assert!(p.len() == len && p.iter().all(|&v| v == 0));
                p.iter_mut().for_each(|v| *v = len as u64 + 1);
            }
            let last = parts.pop().unwrap();
            drop(parts);
            assert!(last.iter().all(|&v| v == lens[lens.len() - 1] as u64 + 1));
        }
    }
}
