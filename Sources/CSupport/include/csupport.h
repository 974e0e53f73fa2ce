// Thin C helpers for what Swift cannot import: function-like ioctl macros.
#ifndef BLOCKLAB_CSUPPORT_H
#define BLOCKLAB_CSUPPORT_H
#include <stdint.h>

/// Size of a block device in bytes (BLKGETSIZE64). Returns 0 on success, -errno on failure.
int bl_blk_getsize64(int fd, uint64_t *out);
/// Logical block size of a block device (BLKSSZGET). Returns 0 or -errno.
int bl_blk_logical_block_size(int fd, uint32_t *out);
/// Physical block size (BLKPBSZGET). Returns 0 or -errno.
int bl_blk_physical_block_size(int fd, uint32_t *out);
/// Flush the buffer cache of a block device (BLKFLSBUF). Returns 0 or -errno.
int bl_blk_flush_buffers(int fd);
/// The filesystem magic of the filesystem holding fd (statfs f_type), or -errno.
int64_t bl_fs_magic(int fd);
/// Punch a hole (fallocate PUNCH_HOLE|KEEP_SIZE). Returns 0 or -errno.
int bl_punch_hole(int fd, uint64_t offset, uint64_t length);
/// The calling thread's CPU time in nanoseconds (RUSAGE_THREAD): user and system.
int bl_thread_cpu_ns(uint64_t *user_ns, uint64_t *sys_ns, uint64_t *vol_ctx, uint64_t *invol_ctx, uint64_t *minflt, uint64_t *majflt);

#endif
