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

/* Beyond this share of the threshold the machine's drift (reference loop, NEW over OLD) is
 * divided out before a change is decided: at a drift of half the threshold, a change just above
 * the threshold is already half the machine's. */
#define DRIFT_SHARE 0.5

/* Each round's time over that round's reference-loop time: the work in units of the machine's
 * speed at that moment. NULL when out of memory. */
static double *per_reference(const double *x, const double *ref, size_t n)
{
	double *out = malloc(n * sizeof *out);
	if (out)
		for (size_t i = 0; i < n; i++)
			out[i] = x[i] / ref[i];
	return out;
}

/* The rule's decision on a change with its interval and U test: +1 slower, -1 faster, 0
 * neither shown. */
static int decided(double change, double lo, double hi, double p, double t, double alpha)
{
	if (change > t && p < alpha && lo > LOW_END * t)
		return 1;
	if (change < -t && p < alpha && hi < -LOW_END * t)
		return -1;
	return 0;
}

/* The machine's drift between the sides, and when beyond DRIFT_SHARE of the threshold, the
 * change with it divided out (v->corrected*, NAN otherwise). Returns the corrected decision
 * (+1, -1, 0), or 2 when the drift is unknown or small (nothing to correct), or -2 when out of
 * memory. */
static int drift_corrected(const struct qx_verdict_side *o, const struct qx_verdict_side *n,
                           const double *a, const double *b, double t, double alpha,
                           struct qx_verdict *v)
{
	v->drift = v->drift_lo = v->drift_hi = NAN;
	v->corrected = v->corrected_lo = v->corrected_hi = NAN;
	if (!usable(o->reference, o->rounds) || !usable(n->reference, n->rounds))
		return 2;
	struct qx_median_ci ci;
	if (qx_stats_ratio_ci(o->reference, o->rounds, n->reference, n->rounds, VERDICT_SEED, &ci,
	                      NULL))
		return -2;
	v->drift = 100.0 * (ci.median - 1.0);
	v->drift_lo = 100.0 * (ci.lo - 1.0);
	v->drift_hi = 100.0 * (ci.hi - 1.0);
	if (!(fabs(v->drift) > DRIFT_SHARE * t))
		return 2;
	v->drifted = 1;
	double *ca = per_reference(a, o->reference, o->rounds);
	double *cb = per_reference(b, n->reference, n->rounds);
	struct qx_mann_whitney mw;
	int rc = !ca || !cb ||
	         qx_stats_ratio_ci(ca, o->rounds, cb, n->rounds, VERDICT_SEED, &ci, NULL) ||
	         qx_stats_mann_whitney(ca, o->rounds, cb, n->rounds, &mw, NULL);
	free(ca);
	free(cb);
	if (rc)
		return -2;
	v->corrected = 100.0 * (ci.median - 1.0);
	v->corrected_lo = 100.0 * (ci.lo - 1.0);
	v->corrected_hi = 100.0 * (ci.hi - 1.0);
	return decided(v->corrected, v->corrected_lo, v->corrected_hi, mw.p, t, alpha);
}

/* Appends s to the string in buf (cap bytes), cut at the end: the notes are joined by hand
 * because a sanitized build's format-truncation check rejects snprintf("%s%s") into them. */
static void append(char *buf, size_t cap, const char *s)
{
	size_t len = strlen(buf), add = strlen(s);
	if (len + 1 >= cap)
		return;
	if (add > cap - 1 - len)
		add = cap - 1 - len;
	memcpy(buf + len, s, add);
	buf[len + add] = '\0';
}

/* v->why = head, then "; " and note when there is one. */
static void set_why(struct qx_verdict *v, const char *head, const char *note)
{
	v->why[0] = '\0';
	append(v->why, sizeof v->why, head);
	if (note[0]) {
		append(v->why, sizeof v->why, head[0] ? "; " : "");
		append(v->why, sizeof v->why, note);
	}
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
	v->drift = v->drift_lo = v->drift_hi = NAN;
	v->corrected = v->corrected_lo = v->corrected_hi = NAN;
	v->clock = "wall";
	v->old_wall_over_cpu = wall_over_cpu(o);
	v->new_wall_over_cpu = wall_over_cpu(n);
	char why[400];
	if (o->rounds < opt->min_rounds || n->rounds < opt->min_rounds) {
		snprintf(why, sizeof why, "too few rounds: %zu and %zu (a verdict needs >= %zu on each "
		         "side)", o->rounds, n->rounds, opt->min_rounds);
		inconclusive(v, why);
		return;
	}
	const double *a = o->wall, *b = n->wall;
	char clock_note[380] = "";
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
	int raw = decided(v->change, v->lo, v->hi, mw.p, t, opt->alpha);
	int corrected = drift_corrected(o, n, a, b, t0, opt->alpha, v);
	if (corrected == -2) {
		inconclusive(v, "out of memory computing the machine's drift");
		return;
	}
	char drift_note[200] = "";
	if (v->drifted)
		snprintf(drift_note, sizeof drift_note, "the machine itself ran %.0f%% %s in NEW "
		         "(reference loop %+.1f%% [%+.1f, %+.1f]); divided out: %+.1f%% [%+.1f, %+.1f]",
		         fabs(v->drift), v->drift > 0 ? "slower" : "faster", v->drift, v->drift_lo,
		         v->drift_hi, v->corrected, v->corrected_lo, v->corrected_hi);
	int unchanged = fabs(v->change) <= t0 && v->lo >= -2 * t0 && v->hi <= 2 * t0;
	if (v->drifted && ((raw && corrected != raw) || (!raw && unchanged && corrected))) {
		/* The change and the machine's drift cannot be told apart: what the rule saw on the
		 * raw times is not there once the machine is divided out, or the other way round. */
		v->verdict = "inconclusive";
		snprintf(why, sizeof why, "%+.1f%% not decided: ", v->change);
		append(why, sizeof why, drift_note);
		set_why(v, why, clock_note);
		return;
	}
	if (drift_note[0]) {
		/* Any other row says the machine drifted too, and what remained without it. */
		append(clock_note, sizeof clock_note, clock_note[0] ? "; " : "");
		append(clock_note, sizeof clock_note, drift_note);
	}
	if (raw > 0) {
		v->verdict = "REGRESSED";
		v->regression = 1;
	} else if (raw < 0) {
		v->verdict = "improved";
	} else if (unchanged) {
		v->verdict = "unchanged";
	} else if (contention[0] && fabs(v->change) > t0) {
		v->verdict = "inconclusive";
		snprintf(why, sizeof why, "%+.1f%% not decided: %s", v->change, contention);
		set_why(v, why, clock_note);
		return;
	} else if (fabs(v->change) > t0) {
		v->verdict = "inconclusive";
		snprintf(why, sizeof why, "%+.1f%% not shown: %s (U test p %.2g over %zu and %zu "
		         "rounds, 95%% interval %+.1f%% to %+.1f%%)", v->change,
		         !significant ? "not significant" : "interval reaches below half the threshold",
		         mw.p, o->rounds, n->rounds, v->lo, v->hi);
		set_why(v, why, clock_note);
		return;
	} else {
		v->verdict = "inconclusive";
		snprintf(why, sizeof why, "too noisy to tell: 95%% interval of the change %+.1f%% to "
		         "%+.1f%% is wider than +-%g%%", v->lo, v->hi, 2 * t0);
		set_why(v, why, clock_note);
		return;
	}
	set_why(v, "", clock_note);
}
