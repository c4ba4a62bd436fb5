#include "measure/verdict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "measure/stats.h"

/* The interval's seed: fixed, so that the same two runs always get the same verdict. */
#define VERDICT_SEED 20261207UL

/* The interval's low end must clear this share of the threshold: at 0.5, one A/A comparison
 * of the default suite here flagged a 5.3% [3.8, 6.9] drift of CPU time under a load that went
 * from 5.7 to 8.1; at 1.0, 10% slowdowns were detected in under 90% of the recorded pairs. */
#define LOW_END 0.8

static int usable(const double *x, size_t n)
{
	if (!x)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]) || x[i] <= 0.0)
			return 0;
	return 1;
}

/* The median of n values (sorts a copy); -1 when out of memory. */
static double median(const double *x, size_t n)
{
	double *c = malloc(n * sizeof *c);
	if (!c)
		return -1.0;
	memcpy(c, x, n * sizeof *c);
	gsl_sort(c, 1, n);
	double m = gsl_stats_median_from_sorted_data(c, 1, n);
	free(c);
	return m;
}

/* Median over rounds of wall / CPU: how much of an inference's wall time was spent preempted. */
static double wall_over_cpu(const struct qx_verdict_side *s)
{
	if (!usable(s->cpu, s->rounds) || !usable(s->wall, s->rounds))
		return -1.0;
	double *r = malloc(s->rounds * sizeof *r);
	if (!r)
		return -1.0;
	for (size_t i = 0; i < s->rounds; i++)
		r[i] = s->wall[i] / s->cpu[i];
	double v = median(r, s->rounds);
	free(r);
	return v;
}

/* Multi-threaded, and more runnable threads than CPUs on average (ours included). */
static int contended(const struct qx_verdict_side *s)
{
	return s->threads > 1 && s->cpus > 0 && s->load1 > (double)s->cpus;
}

/* Range of the round medians over their median: how much the rounds disagree. */
static double spread(const double *x, size_t n)
{
	double lo = x[0], hi = x[0];
	for (size_t i = 1; i < n; i++) {
		lo = x[i] < lo ? x[i] : lo;
		hi = x[i] > hi ? x[i] : hi;
	}
	double m = median(x, n);
	return m > 0 ? (hi - lo) / m : 0.0;
}

/* Wall-time rounds that disagree far more than the same rounds' CPU times: the difference is
 * time slices other processes got (a preempted round), not the code. */
static int wall_noisier(const struct qx_verdict_side *s)
{
	double w = spread(s->wall, s->rounds), c = spread(s->cpu, s->rounds);
	return w > 0.02 && w > 2 * c;
}

static void inconclusive(struct qx_verdict *v, const char *why)
{
	v->verdict = "inconclusive";
	snprintf(v->why, sizeof v->why, "%s", why);
}

void qx_verdict_latency(const struct qx_verdict_side *o, const struct qx_verdict_side *n,
                        const struct qx_verdict_options *opt, struct qx_verdict *v)
{
	memset(v, 0, sizeof *v);
	v->change = v->lo = v->hi = v->p = NAN;
	v->clock = "wall";
	v->old_wall_over_cpu = wall_over_cpu(o);
	v->new_wall_over_cpu = wall_over_cpu(n);
	char why[200];
	if (o->rounds < opt->min_rounds || n->rounds < opt->min_rounds) {
		snprintf(why, sizeof why, "too few rounds: %zu and %zu (a verdict needs >= %zu on each "
		         "side)", o->rounds, n->rounds, opt->min_rounds);
		inconclusive(v, why);
		return;
	}
	const double *a = o->wall, *b = n->wall;
	char clock_note[160] = "";
	int both_cpu = v->old_wall_over_cpu > 0 && v->new_wall_over_cpu > 0;
	int preempted = v->old_wall_over_cpu > opt->max_wall_over_cpu ||
	                v->new_wall_over_cpu > opt->max_wall_over_cpu;
	if (both_cpu && o->threads <= 1 && n->threads <= 1) {
		/* One thread waits for nothing (no I/O, no lock, no worker): its CPU time is the
		 * work itself, and its wall time adds only what other processes took. */
		a = o->cpu;
		b = n->cpu;
		v->clock = "cpu";
		snprintf(clock_note, sizeof clock_note, "on CPU time (one thread; wall/cpu %.2f and "
		         "%.2f)", v->old_wall_over_cpu, v->new_wall_over_cpu);
	} else if (preempted && both_cpu) {
		a = o->cpu;
		b = n->cpu;
		v->clock = "cpu";
		snprintf(clock_note, sizeof clock_note, "on CPU time: wall time preempted (wall/cpu "
		         "%.2f and %.2f)", v->old_wall_over_cpu, v->new_wall_over_cpu);
	} else if (both_cpu && (wall_noisier(o) || wall_noisier(n))) {
		a = o->cpu;
		b = n->cpu;
		v->clock = "cpu";
		snprintf(clock_note, sizeof clock_note, "on CPU time: some rounds' wall time was "
		         "preempted (wall medians spread %.0f%% and %.0f%%, CPU %.0f%% and %.0f%%)",
		         100 * spread(o->wall, o->rounds), 100 * spread(n->wall, n->rounds),
		         100 * spread(o->cpu, o->rounds), 100 * spread(n->cpu, n->rounds));
	} else if (preempted || ((v->old_wall_over_cpu < 0) != (v->new_wall_over_cpu < 0))) {
		/* One side has no CPU times: wall time is all there is to compare. */
		snprintf(clock_note, sizeof clock_note, "on wall time: %s has no CPU times",
		         v->old_wall_over_cpu < 0 ? "OLD" : "NEW");
	}
	if (!usable(a, o->rounds) || !usable(b, n->rounds)) {
		inconclusive(v, "no usable round medians");
		return;
	}
	double t0 = opt->threshold_percent, t = t0;
	const struct qx_verdict_side *busy = contended(o) ? o : contended(n) ? n : NULL;
	char contention[160] = "";
	if (busy && opt->contended_threshold_percent > t) {
		t = opt->contended_threshold_percent;
		snprintf(contention, sizeof contention, "%d threads while other processes competed "
		         "for the CPUs (load %.1f on %d) in %s: only changes above %g%% are decided",
		         busy->threads, busy->load1, busy->cpus, busy == o ? "OLD" : "NEW", t);
	}
	struct qx_median_ci ci;
	struct qx_mann_whitney mw;
	if (qx_stats_ratio_ci(a, o->rounds, b, n->rounds, VERDICT_SEED, &ci, NULL) ||
	    qx_stats_mann_whitney(a, o->rounds, b, n->rounds, &mw, NULL)) {
		inconclusive(v, "out of memory computing the interval");
		return;
	}
	v->old_est = median(a, o->rounds);
	v->new_est = median(b, n->rounds);
	v->change = 100.0 * (ci.median - 1.0);
	v->lo = 100.0 * (ci.lo - 1.0);
	v->hi = 100.0 * (ci.hi - 1.0);
	v->p = mw.p;
	int significant = mw.p < opt->alpha;
	if (v->change > t && significant && v->lo > LOW_END * t) {
		v->verdict = "REGRESSED";
		v->regression = 1;
	} else if (v->change < -t && significant && v->hi < -LOW_END * t) {
		v->verdict = "improved";
	} else if (fabs(v->change) <= t0 && v->lo >= -2 * t0 && v->hi <= 2 * t0) {
		v->verdict = "unchanged";
	} else if (contention[0] && fabs(v->change) > t0) {
		v->verdict = "inconclusive";
		snprintf(why, sizeof why, "%+.1f%% not decided: %s", v->change, contention);
		snprintf(v->why, sizeof v->why, "%s%s%s", why, clock_note[0] ? "; " : "", clock_note);
		return;
	} else if (fabs(v->change) > t0) {
		v->verdict = "inconclusive";
		snprintf(why, sizeof why, "%+.1f%% not shown: %s (U test p %.2g over %zu and %zu "
		         "rounds, 95%% interval %+.1f%% to %+.1f%%)", v->change,
		         !significant ? "not significant" : "interval reaches below half the threshold",
		         mw.p, o->rounds, n->rounds, v->lo, v->hi);
		snprintf(v->why, sizeof v->why, "%s%s%s", why, clock_note[0] ? "; " : "", clock_note);
		return;
	} else {
		v->verdict = "inconclusive";
		snprintf(why, sizeof why, "too noisy to tell: 95%% interval of the change %+.1f%% to "
		         "%+.1f%% is wider than +-%g%%", v->lo, v->hi, 2 * t0);
		snprintf(v->why, sizeof v->why, "%s%s%s", why, clock_note[0] ? "; " : "", clock_note);
		return;
	}
	snprintf(v->why, sizeof v->why, "%s", clock_note);
}
