// Thin C helpers for what Swift cannot import: function-like ioctl macros.
#ifndef BLOCKLAB_CSUPPORT_H
#define BLOCKLAB_CSUPPORT_H
#include <stdint.h>
#include <time.h>

/// Size of a block device in bytes (BLKGETSIZE64). Returns 0 on success, -errno on failure.
int bl_blk_getsize64(int fd, uint64_t *out);
/// Logical block size of a block device (BLKSSZGET). Returns 0 or -errno.
int bl_blk_logical_block_size(int fd, uint32_t *out);
/// Physical block size (BLKPBSZGET). Returns 0 or -errno.
int bl_blk_physical_block_size(int fd, uint32_t *out);
/// Flush the buffer cache of a block device (BLKFLSBUF). Returns 0 or -errno.
int bl_blk_flush_buffers(int fd);
/// The filesystem magic of the filesystem holding path (statfs f_type, symlinks
/// followed), or -errno. Opens nothing, so a device or FIFO is never opened to ask.
int64_t bl_path_fs_magic(const char *path);
/// Punch a hole (fallocate PUNCH_HOLE|KEEP_SIZE). Returns 0 or -errno.
int bl_punch_hole(int fd, uint64_t offset, uint64_t length);
/// Discard a block device's range (BLKDISCARD). Returns 0 or -errno.
int bl_blk_discard(int fd, uint64_t offset, uint64_t length);

/// O_DIRECT alignment of an open file from statx(STATX_DIOALIGN): memory and offset
/// alignment in bytes. Returns 0 on success, -EOPNOTSUPP when the kernel or filesystem does
/// not report it (then *offset_align is 0), or -errno.
int bl_dio_align(int fd, uint32_t *mem_align, uint32_t *offset_align);
/// Block the calling thread until the absolute CLOCK_MONOTONIC time (ns). Returns 0 or -errno.
int bl_sleep_until_ns(uint64_t deadline_ns);
/// Lower this thread's timer slack to 1 ns so timed waits wake on time (shaping accuracy).
void bl_set_timer_slack_min(void);

/* The calling thread's I/O priority (ioprio_set/ioprio_get with IOPRIO_WHO_PROCESS, 0):
   0 or the value on success, -errno on failure. */
int bl_ioprio_set_thread(int value);
int bl_ioprio_get_thread(void);
/// O_DIRECT's value on this architecture (Glibc's Swift module hides it without _GNU_SOURCE).
int bl_o_direct_flag(void);
/// O_NOATIME (a _GNU_SOURCE flag Swift's Glibc does not export).
int bl_o_noatime_flag(void);
/// The CPUs the calling thread may run on (sched_getaffinity, a macro-built set), in
/// increasing order, up to `max`. Returns how many, or -errno.
int bl_allowed_cpus(int *out, int max);
/// Restricts the calling thread to one CPU. Returns 0 or -errno.
int bl_pin_thread(int cpu);
/// Restricts the calling thread to the given CPUs. Returns 0 or -errno.
int bl_set_affinity(const int *cpus, int count);
/// The CPU the calling thread runs on now (sched_getcpu), or -1.
int bl_current_cpu(void);
/// A small per-thread index (VolumeModel's ThreadSlot): slot + 1, 0 when unassigned. C's
/// thread-local storage is one load; Swift has none, and pthread_getspecific is a call.
extern __thread int bl_thread_slot;
static inline int bl_get_thread_slot(void) { return bl_thread_slot; }
/// The time-stamp counter, after earlier instructions complete (lfence): for timing a few
/// hundred instructions in benchmarks, where a clock read costs as much as the thing timed.
static inline uint64_t bl_tsc(void) {
#if defined(__x86_64__)
    unsigned lo, hi;
    __asm__ volatile("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return ((uint64_t)hi << 32) | lo;
#else
    struct timespec ts; /* elsewhere: the monotonic clock, in ns */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}
static inline void bl_set_thread_slot(int v) { bl_thread_slot = v; }
/// Set by the SIGINT/SIGTERM handler; read on every loop iteration (volatile, so each read
/// really goes to memory).
extern volatile int bl_stop_flag;
static inline int bl_stop_requested(void) { return bl_stop_flag; }
/// Install the SIGINT/SIGTERM handler that sets bl_stop_flag. Returns 0 or -errno.
int bl_install_stop_signals(void);

#endif
