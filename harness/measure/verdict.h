/* The latency verdict of `qx-bench compare` for one configuration measured in two runs, from
 * each run's per-round medians (docs/nightly.md states the rule; tests/test_verdict.c holds it
 * to its false-alarm and detection rates on noise recorded on a shared machine).
 *
 * Why rounds and not single inferences: inferences within a round share whatever the machine
 * was doing (another process's time slice, the clock, a cold cache), so thousands of them are
 * not thousands of independent draws, and a test over them calls a 3% drift "p 1e-100".
 * Interleaved rounds are the unit that varies nearly independently, so the test (Mann-Whitney U
 * over round medians, as Google Benchmark's compare.py does over repetitions) and the interval
 * (bootstrap over rounds) are computed over them.
 *
 * Why CPU time: on a shared machine the wall time of an inference includes the time slices other
 * processes got while it ran; the calling thread's CPU time does not. With one thread nothing
 * in an inference waits (no I/O, no lock, no worker), so its CPU time is the work itself and
 * the verdict is always decided on it. With more threads the calling thread also waits for its
 * workers, which CPU time does not see, so wall time is used unless it shows preemption: the
 * median wall / CPU ratio of a side's rounds above max_wall_over_cpu, or wall medians that
 * disagree far more than the CPU medians of the same rounds. The verdict says which clock.

 * Rule (threshold T percent, alpha A), with the change and its 95% interval in percent:
 *   inconclusive  fewer than min_rounds rounds on a side, or no usable values;
 *   REGRESSED     change > T, U test p < A, and the interval's low end above 0.8 T: the
 *                 slowdown is both significant and shown to be about T or more;
 *   improved      the mirror image;
 *   unchanged     |change| <= T and the interval within +-2T;
 *   inconclusive  otherwise, with the reason in words (not significant, or too noisy).
 *
 * Contended multi-threaded measurements: with threads > 1 while the load average exceeded the
 * CPU count (other processes competed for the pool's CPUs) on either side, thread 0's times
 * move with how often its workers were preempted: recorded on a shared 2-core VM, the same
 * build's 2-thread batch-1 times sat in one of two modes for a whole run, up to 64% apart, while
 * 1-thread CPU times agreed within 2%. Such a row uses contended_threshold_percent instead of
 * T, so that only a large change (a 2x slowdown) is decided and a smaller one is inconclusive,
 * saying why.
 *
 * Machine drift: thread CPU time is immune to time slicing but not to what shares the core's
 * caches and memory bandwidth (or the host's SMT sibling): on a shared 2-core VM under two
 * concurrent compiles, an A/A comparison of one-thread rows measured the same build ~50% slower
 * in CPU time. Each round also records the thread CPU time of a fixed reference loop that is not
 * the project's code (measure/reference.h). When both sides have it, the machine's drift is
 * median(NEW reference) / median(OLD reference) with its interval; beyond half the threshold,
 * the machine drifted, and a REGRESSED (or improved) verdict stands only if the rule above also
 * holds on each round's time divided by that round's reference time; otherwise the row is
 * inconclusive ("the machine itself ran X% slower in NEW (reference loop): not decided"). A row
 * the rule calls unchanged while the corrected times show a change is inconclusive too (a
 * faster machine can hide a slowdown). A side without reference times (older results.json, the
 * recorded noise) gets the rule above unchanged. */
#ifndef QX_MEASURE_VERDICT_H
#define QX_MEASURE_VERDICT_H

#include <stddef.h>

/* One run's side of a comparison: per-round medians, ms. */
struct qx_verdict_side {
	const double *wall;        /* rounds values */
	const double *cpu;         /* rounds values, or NULL when the run has no CPU times */
	size_t rounds;
	int threads;               /* the pool's threads (1 when unknown) */
	double load1;              /* highest one-minute load average seen, -1 unknown */
	int cpus;                  /* online CPUs of the machine, 0 unknown */
	const double *reference;   /* rounds values: the reference loop's ms, or NULL unknown */
};

struct qx_verdict_options {
	double threshold_percent;  /* default 5 */
	double alpha;              /* default 0.05 */
	size_t min_rounds;         /* default 3 */
	double max_wall_over_cpu;  /* default 1.05: above it a run's wall time counts as preempted */
	double contended_threshold_percent; /* default 60, see below */
};

/* Above this median wall / CPU time ratio a measurement counts as preempted: other processes
 * took more than 5% of the time its inferences were timed. */
#define QX_PREEMPTED_WALL_OVER_CPU 1.05

#define QX_VERDICT_OPTIONS_DEFAULT { 5.0, 0.05, 3, QX_PREEMPTED_WALL_OVER_CPU, 60.0 }

struct qx_verdict {
	const char *verdict;       /* "unchanged", "REGRESSED", "improved", "inconclusive" */
	int regression;            /* verdict is REGRESSED */
	const char *clock;         /* "wall" or "cpu": what the verdict was decided on */
	double old_est, new_est;   /* median of round medians on that clock, ms */
	double change;             /* percent, NAN when not computed */
	double lo, hi;             /* 95% interval of the change, percent */
	double p;                  /* U test over round medians, NAN when not computed */
	double old_wall_over_cpu, new_wall_over_cpu;   /* -1 when unknown */
	double drift, drift_lo, drift_hi;  /* the machine's drift in NEW, percent (reference loop
	                                    * NEW / OLD and its 95% interval); NAN when unknown */
	int drifted;               /* |drift| > half the threshold: the corrected change decided */
	double corrected, corrected_lo, corrected_hi;  /* the change with each round divided by its
	                                                * reference time, percent; NAN unless drifted */
	char why[640];             /* in words: why inconclusive, or which clock and why */
};

/* Never fails: missing or unusable data is an inconclusive verdict with its reason. */
void qx_verdict_latency(const struct qx_verdict_side *old_side,
                        const struct qx_verdict_side *new_side,
                        const struct qx_verdict_options *opt, struct qx_verdict *out);

#endif
