/* Preloaded before libfaketime by clock.sh: a sleep on the monotonic clock goes straight to
 * the kernel. libfaketime 0.9.10 with FAKETIME_DONT_FAKE_MONOTONIC=1 still shifts the
 * deadline of clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) by the fake offset, so
 * Python's time.sleep (and subprocess's waits) fail with EINVAL. The monotonic clock is not
 * faked, so its deadlines need no translation; every other clock keeps libfaketime's. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int clock_nanosleep(clockid_t clock, int flags, const struct timespec *request,
                    struct timespec *remain) {
  static int (*next)(clockid_t, int, const struct timespec *, struct timespec *);
  if (clock == CLOCK_MONOTONIC) {
    return syscall(SYS_clock_nanosleep, clock, flags, request, remain) == 0 ? 0 : errno;
  }
  if (next == NULL) {
    next = (int (*)(clockid_t, int, const struct timespec *, struct timespec *))dlsym(
        RTLD_NEXT, "clock_nanosleep");
  }
  return next(clock, flags, request, remain);
}
