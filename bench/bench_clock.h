/* The one clock of bench/: seconds of this thread's CPU time (CLOCK_THREAD_CPUTIME_ID). On a
 * shared machine or a VM, time taken by other processes or the hypervisor is not counted, and
 * interference only ever adds time, so every benchmark here takes the best of several rounds
 * of it. Read once per round, not per call (it is a system call). */
#ifndef QX_BENCH_CLOCK_H
#define QX_BENCH_CLOCK_H

#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#endif
#include <time.h>

static inline double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif
