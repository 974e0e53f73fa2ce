// liburing.h defines _XOPEN_SOURCE and _GNU_SOURCE before including libc headers, which
// changes some libc struct layouts (fd_set) from the ones Swift's Glibc module saw. Include
// those libc headers first, with the same settings as Glibc, so both modules agree.
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <string.h>
#include <inttypes.h>
#include <time.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <errno.h>
#include <liburing.h>
