/* A fixed reference workload that measures the machine, not the code (docs/measurement.md,
 * "Machine drift: the reference loop").
 *
 * Thread CPU time is immune to time slicing but not to what shares the core's caches and memory
 * bandwidth, or the host's SMT sibling: on a shared 2-core VM, an A/A comparison of one-thread
 * rows under two concurrent compiles measured the same build ~50% slower in CPU time. So each
 * round of a measurement also times this loop on the measuring thread, in thread CPU time: it is
 * not the project's kernels and does not change with them, and it streams over a buffer of a few
 * MB (the size of an L2/L3) and then does int8 dot products in L1, so it feels the same cache,
 * memory-bandwidth and execution-unit contention a model's inference does. compare divides the machine's drift out
 * (measure/verdict.h). */
#ifndef QX_MEASURE_REFERENCE_H
#define QX_MEASURE_REFERENCE_H

/* Bytes the loop streams over, and passes timed per call (the median pass is the result). */
#define QX_REFERENCE_BYTES (4u << 20)
#define QX_REFERENCE_PASSES 3

/* Runs the reference loop on the calling thread: the median over QX_REFERENCE_PASSES passes of
 * one pass's thread CPU time, ms (about 0.5 ms here, in every build: it is not sanitized); -1 when it cannot be
 * measured (no buffer, no thread CPU clock). The buffer is allocated on first use and kept. */
double qx_reference_ms(void);

#endif
