//! Settings of the C allocator, applied once before any thread starts.
//!
//! Password hashing (argon2id) allocates 19 MiB per hash. glibc raises its mmap threshold to the size of
//! the largest block freed, so after the first hash those blocks come from per-thread arenas and stay
//! resident; with a dozen arenas the server held 412 MiB after start and 579 MiB under the load of
//! `benches/memory.rs`. A fixed threshold keeps every large block in its own mapping, returned to the
//! system when freed, and fewer arenas leave less memory stranded between them: 82 MiB under the same load.

/// Blocks from this size up are mapped and unmapped on their own (fixing it disables glibc's adjustment).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 1 << 20;

/// Call first thing in `main`, before the runtime starts its threads.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        // Safety: mallopt only changes allocator parameters; it is called before other threads exist.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            libc::mallopt(libc::M_ARENA_MAX, cores.clamp(2, 8) as i32);
        }
    }
}
