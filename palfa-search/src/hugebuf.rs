//! Large work buffers in memory the kernel is asked to back with huge pages.
//!
//! The acceleration search's f-ḟ plane is hundreds of MB, and its harmonic
//! sum reads short stretches of it all over (a subharmonic's rows are written
//! long before they are read). With 4-KiB pages nearly every such stretch
//! misses the TLB as well as the caches; with 2-MiB pages the whole plane
//! needs a few hundred TLB entries. Linux gives huge pages to a mapping that
//! asks for them (`madvise(MADV_HUGEPAGE)`) where transparent huge pages are
//! enabled ("always" or "madvise", the common default); elsewhere, or where
//! none are free, the mapping works as usual with small pages.

use bytemuck::Pod;
use memmap2::MmapMut;

/// A zero-initialised buffer of `T` in an anonymous mapping advised for huge
/// pages; reused by [`resize`](Self::resize) without remapping while it is
/// large enough.
pub(crate) struct HugeBuf<T> {
    map: Option<MmapMut>,
    len: usize,
    _t: std::marker::PhantomData<T>,
}

impl<T: Pod> Default for HugeBuf<T> {
    fn default() -> Self {
        Self {
            map: None,
            len: 0,
            _t: std::marker::PhantomData,
        }
    }
}

impl<T: Pod> HugeBuf<T> {
    /// Sets the length to `len` elements. The buffer is remapped (zeroed)
    /// only when it is too small; otherwise what it held stays.
    ///
    /// # Panics
    /// If the mapping cannot be made (out of address space or memory), as a
    /// `Vec` that cannot grow does.
    pub fn resize(&mut self, len: usize) {
        let bytes = len * std::mem::size_of::<T>();
        if self.map.as_ref().map_or(0, |m| m.len()) < bytes {
            self.map = None;
            if bytes > 0 {
                let map = MmapMut::map_anon(bytes).unwrap_or_else(|e| panic!("cannot map {bytes} bytes: {e}"));
                #[cfg(target_os = "linux")]
                {
                    // Only advice: without huge pages the buffer is as good as a Vec.
                    let _ = map.advise(memmap2::Advice::HugePage);
                }
                self.map = Some(map);
            }
        }
        self.len = len;
    }

    /// A buffer holding `values` (tests).
    #[cfg(test)]
    pub fn from_slice(values: &[T]) -> Self {
        let mut b = Self::default();
        b.resize(values.len());
        b.copy_from_slice(values);
        b
    }
}

impl<T: Pod> std::ops::Deref for HugeBuf<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match &self.map {
            // The mapping is page-aligned, so any `T` fits its alignment.
            Some(m) => bytemuck::cast_slice(&m[..self.len * std::mem::size_of::<T>()]),
            None => &[],
        }
    }
}

impl<T: Pod> std::ops::DerefMut for HugeBuf<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        let bytes = self.len * std::mem::size_of::<T>();
        match &mut self.map {
            Some(m) => bytemuck::cast_slice_mut(&mut m[..bytes]),
            None => &mut [],
        }
    }
}

impl<T> std::fmt::Debug for HugeBuf<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HugeBuf")
            .field("len", &self.len)
            .field("mapped_bytes", &self.map.as_ref().map_or(0, |m| m.len()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_zeroed_and_keeps_its_contents_while_large_enough() {
        let mut b = HugeBuf::<u16>::default();
        assert!(b.is_empty());
        b.resize(3_000_000);
        assert!(b.iter().all(|&v| v == 0));
        b[2_999_999] = 7;
        b.resize(10);
        b[9] = 5;
        b.resize(3_000_000);
        assert_eq!((b[9], b[2_999_999], b.len()), (5, 7, 3_000_000));
        b.resize(4_000_000);
        assert!(b.iter().all(|&v| v == 0));
        b.resize(0);
        assert!(b.is_empty());
        let c = HugeBuf::from_slice(&[1.5f32, 2.5]);
        assert_eq!(&c[..], &[1.5, 2.5]);
    }
}
