/* What the rest of the machine did while a measurement ran: the evidence a reader (and
 * `qx-bench compare`) needs to tell slower code from a busy machine.
 *
 * A snapshot is taken before and after each round of a measurement; the difference of two is a
 * round's record:
 *   nivcsw   involuntary context switches of the pool's threads during the round: the caller's
 *            from getrusage(RUSAGE_THREAD), each worker's from /proc/self/task/<tid>/status
 *            (nonvoluntary_ctxt_switches). Each one is a time slice given to another runnable
 *            thread on that CPU;
 *   busy     fraction of all CPUs' time in use during the round (ours included), from the first
 *            line of /proc/stat: 1 - (idle + iowait) / total;
 *   steal    fraction of the CPUs' time the hypervisor gave to other guests (/proc/stat steal);
 *   load1    the kernel's one-minute load average at the end of the round (/proc/loadavg);
 *   reference_ms  thread CPU time of the reference loop (measure/reference.h) timed on the
 *            measuring thread right before the round: how fast the machine itself was then.
 * A value that cannot be read (no /proc) is -1; nothing here fails a measurement. */
#ifndef QX_MEASURE_NOISE_H
#define QX_MEASURE_NOISE_H

#include <stdint.h>

#include "exec/pool.h"

struct qx_noise_snapshot {
	int64_t nivcsw;            /* summed over the pool's threads; -1 unknown */
	uint64_t cpu_total, cpu_idle, cpu_steal;   /* /proc/stat jiffies; total 0 when unknown */
	double load1;              /* -1 unknown */
};

struct qx_noise_round {
	int64_t nivcsw;            /* -1 unknown */
	double busy;               /* 0..1, -1 unknown */
	double steal;              /* 0..1, -1 unknown */
	double load1;              /* -1 unknown */
	double reference_ms;       /* -1 unknown; set by the caller (qx_noise_round sets -1) */
};

/* Takes a snapshot. Call it on the pool's calling thread (RUSAGE_THREAD is that thread's);
 * pool may be NULL (then only the caller counts). */
void qx_noise_snapshot(const struct qx_pool *pool, struct qx_noise_snapshot *out);

/* The round between two snapshots taken in that order. */
void qx_noise_round(const struct qx_noise_snapshot *before, const struct qx_noise_snapshot *after,
                    struct qx_noise_round *out);

/* Online CPUs (sysconf), for "load 6.5 on 2 CPUs". */
int qx_noise_online_cpus(void);

#endif
