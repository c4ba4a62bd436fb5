#include "measure/reference.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define WORDS (QX_REFERENCE_BYTES / sizeof(uint32_t))
#define DOT_BYTES (16u << 10)
#define DOT_REPEATS 48

/* Kept between calls: allocating (and faulting in) 4 MB every round would be timed too. Each
 * measuring thread calls it in turn (rounds are sequential), so no lock is needed; a second
 * thread calling it at once would only perturb its own timing, never its safety, since each
 * pass's result is discarded except for its time. */
static uint32_t *buf;

/* Written so the compiler cannot drop the loop as dead code. */
static volatile uint32_t sink;

static double thread_cpu_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return -1.0;
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One pass, two parts, so that it feels both kinds of contention a model's inference does:
 * 1. a read-modify-write over the whole buffer with a multiply-accumulate per word and no long
 *    dependency chain: bound by the caches' and memory's bandwidth, which whatever shares them
 *    (the other CPU, the host's other tenants) takes a part of;
 * 2. int8 dot products (a GEMM's inner loop) over the buffer's first 16 KB, which stays in L1:
 *    bound by the core's execution units, which the host's SMT sibling shares. */
/* Not instrumented under SAN=1: ASan's checks would make the loop 4-5 times slower (several
 * ms a round, a third of a short round), and the loop's job is to measure the machine the same
 * way in every build, not to be checked (it only touches its own buffer, within bounds). */
#if defined(__GNUC__)
__attribute__((no_sanitize("address", "undefined")))
#endif
static uint32_t pass(uint32_t *b)
{
	uint32_t acc = 0;
	for (size_t i = 0; i < WORDS; i++) {
		uint32_t x = b[i];
		acc += x * 2654435761u;
		b[i] = x + (x >> 3) + 1u;
	}
	const int8_t *w = (const int8_t *)b;
	for (int rep = 0; rep < DOT_REPEATS; rep++) {
		int32_t dot = 0;
		for (size_t i = 0; i < DOT_BYTES / 2; i++)
			dot += (int32_t)w[i] * (int32_t)w[i + DOT_BYTES / 2];
		acc += (uint32_t)dot;
	}
	return acc;
}

double qx_reference_ms(void)
{
	if (!buf) {
		buf = malloc(QX_REFERENCE_BYTES);
		if (!buf)
			return -1.0;
		for (size_t i = 0; i < WORDS; i++)
			buf[i] = (uint32_t)i * 2246822519u;
	}
	double t[QX_REFERENCE_PASSES];
	for (int p = 0; p < QX_REFERENCE_PASSES; p++) {
		double t0 = thread_cpu_ms();
		sink = pass(buf);
		double t1 = thread_cpu_ms();
		if (t0 < 0 || t1 < 0)
			return -1.0;
		t[p] = t1 - t0;
	}
	/* Median of a handful by insertion sort: one pass hit by an interrupt does not count. */
	for (int i = 1; i < QX_REFERENCE_PASSES; i++)
		for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
			double x = t[j];
			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	return t[QX_REFERENCE_PASSES / 2];
}
