/* A fixed team of threads, one per core, that splits an index range [0, total) across itself.
 *
 * The executors call qx_pool_run once per op (about 20 times per image at batch 1), so a call
 * must cost a few microseconds at most: workers spin on a shared generation counter for a short
 * while after each job and only then sleep on a futex; the caller spins, then sleeps, while it
 * waits for the last worker.
 *
 * Threads: the calling thread is thread 0 and works too; threads 1..n-1 are workers. With
 * pinning, thread i is bound (hwloc) to one PU of the i-th core in hwloc's logical order, the
 * caller included, for as long as the pool lives; qx_pool_free restores the caller's previous
 * binding. Asking for more threads than the cores this process may use is an error: qx-bench
 * never oversubscribes, because two threads sharing a core make latency numbers meaningless.
 *
 * Not thread-safe: one thread (the one that created the pool) calls qx_pool_run, and fn must not
 * call qx_pool_run on the same pool. */
#ifndef QX_MEASURE_POOL_H
#define QX_MEASURE_POOL_H

#include <stdint.h>

#include "util/error.h"

struct qx_pool;

/* Work function: processes indices [begin, end). Called with begin < end only: a thread whose
 * chunk is empty is not called. */
typedef void (*qx_pool_fn)(void *ctx, int64_t begin, int64_t end);

/* Creates a pool of n_threads threads (the caller counts as one). pin != 0 binds each thread,
 * the caller too, to one PU of its own core. On failure nothing is left running, the caller's
 * binding is unchanged, *out is NULL and err says why:
 *   QX_EINVAL        n_threads < 1, or more threads than cores (the message gives both counts);
 *   QX_EUNSUPPORTED  the OS refused the binding (the message names the thread and the PU);
 *   QX_ENOMEM        no memory or no thread could be started. */
int qx_pool_create(int n_threads, int pin, struct qx_pool **out, struct qx_error *err);

/* Runs fn over [0, total) split into contiguous chunks, one per thread: thread i gets
 * [i*q + min(i, r), ...) with q = total / n, r = total % n (the first r threads one index more),
 * so every index is handed out exactly once. Returns when every chunk is done. With one thread
 * it is fn(ctx, 0, total) inline. total <= 0 does nothing. ctx is only used during the call. */
void qx_pool_run(struct qx_pool *pool, int64_t total, qx_pool_fn fn, void *ctx);

/* Number of threads, the caller included. */
int qx_pool_threads(const struct qx_pool *pool);

/* Whether the threads are pinned. */
int qx_pool_pinned(const struct qx_pool *pool);

/* Fills pu_os_index[i] (i < n and i < threads) with the OS index (as in /proc/cpuinfo
 * "processor") of the PU thread i is bound to, or -1 for an unpinned pool. Returns the number of
 * threads. */
int qx_pool_describe(const struct qx_pool *pool, int *pu_os_index, int n);

/* Fills tids[k] (k < n) with the kernel thread id of worker k + 1 (every worker has one once
 * qx_pool_create returns), for reading its scheduler counters in /proc. Returns the number filled: threads - 1 at
 * most. */
int qx_pool_worker_tids(const struct qx_pool *pool, int *tids, int n);

/* How long an idle thread spins before it sleeps, in nanoseconds (default 500000: long enough
 * to bridge the gap between two ops of one inference, short enough not to burn a core between
 * inferences). 0 sleeps at once. */
void qx_pool_set_spin_ns(struct qx_pool *pool, int64_t spin_ns);

/* Stops the workers, restores the caller's CPU binding and frees the pool. NULL is allowed. */
void qx_pool_free(struct qx_pool *pool);

#endif
