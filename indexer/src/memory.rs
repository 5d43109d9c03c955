//! Giving freed heap memory back to the system.
//!
//! glibc's allocator keeps freed memory in its arenas (one per thread that allocated) for reuse;
//! after a commit the index writer's buffers (tens of megabytes) are free but still counted in the
//! process's resident size, and the merge that follows allocates its own on top. Trimming after
//! each commit keeps a rescan's peak memory at the writer's budget plus the merge's, not their sum
//! (linux-usb 60k: 165 MB before, see docs/BENCHMARKS.md).
//!
//! Trimming gives back only whole free pages, though, and a long-running process that builds an
//! index in many writers' threads, one after the other (the daemon's chunked first build), leaves
//! its large buffers spread over a dozen arenas among small blocks that stay: [`map_large_blocks`]
//! keeps the large ones out of the arenas altogether.

/// Size from which glibc's allocator maps each block on its own once [`map_large_blocks`] ran,
/// and unmaps it when it is freed.
pub const MMAP_THRESHOLD: usize = 128 << 10;

/// Returns the allocator's free memory to the system where the allocator supports it (glibc);
/// a no-op elsewhere.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks and shrinks glibc's own free lists; it touches no live
    // allocation and may be called at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Makes glibc's allocator map every block of at least [`MMAP_THRESHOLD`] bytes on its own and
/// unmap it as soon as it is freed, for the whole life of the process (`mallopt`; a no-op with
/// another allocator). glibc does so by default only until the first such block is freed: it
/// then raises the threshold to that block's size (up to 32 MB) and serves the later ones from
/// its arenas, where what they free stays resident among small blocks still in use. The daemon's
/// first build of the generated 1M home peaked at 243 MB that way, 107 MB with this (most of the
/// difference freed writer and merge buffers; see docs/BENCHMARKS.md). A block this large costs
/// a `mmap` and a `munmap`, negligible beside filling it. Called once, at the start of `main`.
pub fn map_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's parameters; called before any other thread
    // exists, it races with no allocation.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int);
    }
}
