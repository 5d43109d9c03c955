//! The allocator setting of `mailfts_indexer::memory`, in a process of its own (the counters read
//! are the whole process's).

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn large_blocks_stay_mapped_after_a_larger_one_was_freed() {
    use mailfts_indexer::memory::map_large_blocks;
    let mapped = || unsafe { libc::mallinfo2() }.hblkhd;
    map_large_blocks();
    // by default glibc raises its threshold to the size of a mapped block freed (up to 32 MB),
    // and serves the later blocks below it from its arenas (where the space at an arena's top
    // serves a block, it does so either way: the trim after each free keeps that space small)
    let big = vec![1u8; 24 << 20];
    assert!(mapped() >= 24 << 20, "a large block is mapped");
    drop(big);
    for size in [2 << 20, 16 << 20] {
        let before = mapped();
        let block = vec![1u8; size];
        let during = mapped();
        assert!(
            during >= before + size,
            "a block of {size} bytes mapped on its own: {before} → {during}"
        );
        drop(block);
        assert!(mapped() < during, "and unmapped when freed");
    }
}
