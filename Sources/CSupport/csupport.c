#define _GNU_SOURCE
#include "csupport.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/vfs.h>

int bl_blk_getsize64(int fd, uint64_t *out) {
    return ioctl(fd, BLKGETSIZE64, out) == 0 ? 0 : -errno;
}

int bl_blk_logical_block_size(int fd, uint32_t *out) {
    int v = 0;
    if (ioctl(fd, BLKSSZGET, &v) != 0) return -errno;
    *out = (uint32_t)v;
    return 0;
}

int bl_blk_physical_block_size(int fd, uint32_t *out) {
    unsigned int v = 0;
    if (ioctl(fd, BLKPBSZGET, &v) != 0) return -errno;
    *out = v;
    return 0;
}

int bl_blk_flush_buffers(int fd) {
    return ioctl(fd, BLKFLSBUF, 0) == 0 ? 0 : -errno;
}

int64_t bl_fs_magic(int fd) {
    struct statfs s;
    if (fstatfs(fd, &s) != 0) return -errno;
    return (int64_t)(unsigned long)s.f_type;
}

int bl_punch_hole(int fd, uint64_t offset, uint64_t length) {
    return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)length) == 0 ? 0 : -errno;
}

int bl_thread_cpu_ns(uint64_t *user_ns, uint64_t *sys_ns, uint64_t *vol_ctx, uint64_t *invol_ctx, uint64_t *minflt, uint64_t *majflt) {
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) != 0) return -errno;
    *user_ns = (uint64_t)ru.ru_utime.tv_sec * 1000000000ull + (uint64_t)ru.ru_utime.tv_usec * 1000ull;
    *sys_ns = (uint64_t)ru.ru_stime.tv_sec * 1000000000ull + (uint64_t)ru.ru_stime.tv_usec * 1000ull;
    *vol_ctx = (uint64_t)ru.ru_nvcsw;
    *invol_ctx = (uint64_t)ru.ru_nivcsw;
    *minflt = (uint64_t)ru.ru_minflt;
    *majflt = (uint64_t)ru.ru_majflt;
    return 0;
}
