//! Giving freed heap memory back to the system between the phases of a rescan.
//!
//! glibc's allocator keeps freed memory in its arenas (one per thread that allocated) for reuse;
//! after a commit the index writer's buffers (tens of megabytes) are free but still counted in the
//! process's resident size, and the merge that follows allocates its own on top. Trimming after
//! each commit keeps a rescan's peak memory at the writer's budget plus the merge's, not their sum
//! (linux-usb 60k: 165 MB before, see docs/BENCHMARKS.md).

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
