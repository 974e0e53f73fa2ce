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

int bl_blk_discard(int fd, uint64_t offset, uint64_t length) {
    uint64_t range[2] = { offset, length };
    return ioctl(fd, BLKDISCARD, range) == 0 ? 0 : -errno;
}

int64_t bl_path_fs_magic(const char *path) {
    struct statfs s;
    if (statfs(path, &s) != 0) return -errno;
    return (int64_t)(unsigned long)s.f_type;
}

int bl_punch_hole(int fd, uint64_t offset, uint64_t length) {
    return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)length) == 0 ? 0 : -errno;
}

#include <linux/stat.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef STATX_DIOALIGN
#define STATX_DIOALIGN 0x00002000U
#endif

int bl_dio_align(int fd, uint32_t *mem_align, uint32_t *offset_align) {
    struct statx stx;
    memset(&stx, 0, sizeof stx);
    *mem_align = 0;
    *offset_align = 0;
    if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) != 0) return -errno;
    if (!(stx.stx_mask & STATX_DIOALIGN)) return -EOPNOTSUPP;
    *mem_align = stx.stx_dio_mem_align;
    *offset_align = stx.stx_dio_offset_align;
    return 0;
}

int bl_sleep_until_ns(uint64_t deadline_ns) {
    struct timespec ts;
    ts.tv_sec = (time_t)(deadline_ns / 1000000000ull);
    ts.tv_nsec = (long)(deadline_ns % 1000000000ull);
    int rc;
    do {
        rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    } while (rc == EINTR);
    return -rc;
}

void bl_set_timer_slack_min(void) {
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
}

volatile int bl_stop_flag;

static void on_stop_signal(int sig) {
    (void)sig;
    bl_stop_flag = 1;
}

int bl_install_stop_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0) return -errno;
    if (sigaction(SIGTERM, &sa, NULL) != 0) return -errno;
    /* A blocked mask is inherited across exec (some launchers block SIGINT in the child):
       unblock both here, before any job thread is created and inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    return 0;
}


int bl_o_direct_flag(void) { return O_DIRECT; }
int bl_o_noatime_flag(void) { return O_NOATIME; }

#include <sched.h>

int bl_allowed_cpus(int *out, int max) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return -errno;
    int n = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && n < max; cpu++)
        if (CPU_ISSET(cpu, &set)) out[n++] = cpu;
    return n;
}

int bl_pin_thread(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set) == 0 ? 0 : -errno;
}

int bl_current_cpu(void) { return sched_getcpu(); }

__thread int bl_thread_slot = 0;

int bl_set_affinity(const int *cpus, int count) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < count; i++)
        if (cpus[i] >= 0 && cpus[i] < CPU_SETSIZE) CPU_SET(cpus[i], &set);
    return sched_setaffinity(0, sizeof(set), &set) == 0 ? 0 : -errno;
}

/* I/O priorities (ioprio_set(2)): the calling thread's, as fio sets them per job. */
int bl_ioprio_set_thread(int value) {
    return (int)syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, value) < 0 ? -errno : 0;
}

int bl_ioprio_get_thread(void) {
    long r = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
    return r < 0 ? -errno : (int)r;
}
