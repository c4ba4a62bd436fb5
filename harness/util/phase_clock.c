/* Wall and CPU time per phase of a run (phase_clock.h). */
#include "util/phase_clock.h"

#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* Each phase's key in results.json and its words on the run's last line. */
static const struct {
	const char *key, *words;
} names[QX_PHASE_COUNT] = {
	[QX_PHASE_OTHER] = { "other", "other" },
	[QX_PHASE_LOAD] = { "load", "loading" },
	[QX_PHASE_FP32] = { "fp32", "fp32" },
	[QX_PHASE_CALIBRATION] = { "calibration", "calibration" },
	[QX_PHASE_EVALUATION] = { "evaluation", "evaluation" },
	[QX_PHASE_TRUST] = { "trust", "trust check" },
	[QX_PHASE_LAYER_ERROR] = { "layer_error", "per-layer error" },
	[QX_PHASE_BIT_IDENTITY] = { "bit_identity", "bit identity" },
	[QX_PHASE_INVESTIGATION] = { "investigation", "sensitivity/fallback" },
	[QX_PHASE_LATENCY] = { "latency", "latency" },
	[QX_PHASE_WRITING] = { "writing", "writing results" },
};

const char *qx_phase_key(enum qx_phase p)
{
	return p >= 0 && p < QX_PHASE_COUNT ? names[p].key : "other";
}

const char *qx_phase_words(enum qx_phase p)
{
	return p >= 0 && p < QX_PHASE_COUNT ? names[p].words : "other";
}

static double seconds(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* This process's CPU time (every thread) plus its reaped children's. */
static double cpu_now(void)
{
	struct rusage ru;
	double children = 0.0;
	if (!getrusage(RUSAGE_CHILDREN, &ru))
		children = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
		           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
	return seconds(CLOCK_PROCESS_CPUTIME_ID) + children;
}

static enum qx_phase open_phase(const struct qx_phase_clock *c)
{
	if (c->depth <= 0)
		return QX_PHASE_OTHER;
	return c->stack[(c->depth > QX_PHASE_MAX_DEPTH ? QX_PHASE_MAX_DEPTH : c->depth) - 1];
}

void qx_phase_update_at(struct qx_phase_clock *c, double wall, double cpu)
{
	enum qx_phase p = open_phase(c);
	c->wall[p] += wall - c->last_wall;
	c->cpu[p] += cpu - c->last_cpu;
	c->last_wall = wall;
	c->last_cpu = cpu;
}

void qx_phase_clock_start_at(struct qx_phase_clock *c, double wall, double cpu)
{
	memset(c, 0, sizeof *c);
	c->start_wall = c->last_wall = wall;
	c->start_cpu = c->last_cpu = cpu;
}

void qx_phase_enter_at(struct qx_phase_clock *c, enum qx_phase p, double wall, double cpu)
{
	qx_phase_update_at(c, wall, cpu);
	if (c->depth < QX_PHASE_MAX_DEPTH)
		c->stack[c->depth] = p >= 0 && p < QX_PHASE_COUNT ? p : QX_PHASE_OTHER;
	c->depth++;
}

void qx_phase_leave_at(struct qx_phase_clock *c, double wall, double cpu)
{
	qx_phase_update_at(c, wall, cpu);
	if (c->depth > 0)
		c->depth--;
}

void qx_phase_clock_start(struct qx_phase_clock *c)
{
	qx_phase_clock_start_at(c, seconds(CLOCK_MONOTONIC), cpu_now());
}

void qx_phase_enter(struct qx_phase_clock *c, enum qx_phase p)
{
	if (c)
		qx_phase_enter_at(c, p, seconds(CLOCK_MONOTONIC), cpu_now());
}

void qx_phase_leave(struct qx_phase_clock *c)
{
	if (c)
		qx_phase_leave_at(c, seconds(CLOCK_MONOTONIC), cpu_now());
}

void qx_phase_clock_update(struct qx_phase_clock *c)
{
	if (c)
		qx_phase_update_at(c, seconds(CLOCK_MONOTONIC), cpu_now());
}

double qx_phase_clock_wall(const struct qx_phase_clock *c)
{
	return c->last_wall - c->start_wall;
}

double qx_phase_clock_cpu(const struct qx_phase_clock *c)
{
	return c->last_cpu - c->start_cpu;
}
