/* One pass over a dataset's batches on several threads: the loop that evaluation, the
 * bit-identity check, the trust check and the per-layer error share.
 *
 * Batches are handed out in order, one at a time, to whichever thread is free, so a thread the
 * machine slows down simply takes fewer of them. What a pass computes must not depend on which
 * thread ran a batch: a caller keeps each batch's results at the batch's own index (or merges
 * them in an order that does not depend on the threads, e.g. batch order for floating-point
 * sums), so one thread and sixteen give the same bits. */
#ifndef QX_UTIL_BATCH_PASS_H
#define QX_UTIL_BATCH_PASS_H

#include <stdint.h>

#include "util/error.h"

/* The most threads a pass runs on. */
#define QX_BATCH_PASS_MAX_THREADS 16

struct qx_batch_pass {
	const char *what;          /* the pass, for the interrupt message ("evaluation") */
	int64_t n_batches;         /* batches 0 .. n_batches - 1 */
	int threads;               /* wanted: 1 .. QX_BATCH_PASS_MAX_THREADS (more batches than
	                              threads are not needed: the count is cut to n_batches) */
	void *ctx;                 /* passed to the callbacks */
	/* Optional: prepares thread `thread` (its own models, buffers) before its first batch.
	 * A failure stops the pass; the thread takes no batch. */
	int (*init)(void *ctx, int thread, struct qx_error *err);
	/* Runs batch b on thread `thread`. Called by one thread at a time for a given `thread`. */
	int (*run)(void *ctx, int thread, int64_t b, struct qx_error *err);
	/* Optional: called once for every thread that was started (init failed or not), after its
	 * last batch, on that thread. */
	void (*fini)(void *ctx, int thread);
};

/* Runs the pass; the calling thread is thread 0 and works too. Returns the number of threads
 * that ran (a thread the OS refuses to start leaves its batches to the others), or a negative
 * error code with err set:
 *   - the error of the earliest failed batch (an init failure counts as earlier than every
 *     batch), so the message does not depend on thread timing more than it must; on the first
 *     failure the other threads stop after their current batch;
 *   - QX_EINTERRUPTED "interrupted during <what>" when SIGINT/SIGTERM/SIGPIPE arrived
 *     (util/interrupt.h), checked before each batch;
 *   - QX_EINTERNAL for threads out of range. */
int qx_batch_pass_run(const struct qx_batch_pass *p, struct qx_error *err);

/* Test-only (set in the environment when a pass starts): thread t takes batches t, t + T,
 * t + 2T, ... (T threads) instead of whichever is next, so that a test on a tiny model, whose
 * first thread would otherwise finish every batch before the others start, really spreads
 * its batches and can see a merge that depends on the threads. A thread the OS refuses to
 * start would leave its batches undone: never set outside tests. */
#define QX_TEST_BATCH_PASS_STATIC_ENV "QX_TEST_BATCH_PASS_STATIC"

#endif
