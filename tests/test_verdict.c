/* measure/verdict.h: the latency verdict `qx-bench compare` gives, held to its promises.
 *
 * 1. The rule on hand-made rounds: identical runs, a clear slowdown, preemption that moves the
 *    wall time only, too few rounds, a noisy run; and with reference-loop times (the machine's
 *    speed, measure/reference.h): a machine 50% slower on every row is not a regression, a
 *    real 2x is one on a steady or a 50% slower machine alike.
 * 2. Its error rates on noise recorded on a shared 2-core machine (tools/record-noise wrote
 *    tests/fixtures/noise/recorded.json: per run and configuration, the rounds' medians of wall
 *    and CPU time; every other run had a busy loop on the other CPU). Every ordered pair of
 *    different runs of one configuration is an A/A comparison (same build, different moments):
 *    at most 1% may be REGRESSED. The same pairs with NEW's times 10% higher are A/B
 *    comparisons of a 10% slowdown: at least 90% must be REGRESSED. The pairs replay what
 *    compare does with two real runs, including the drift of the machine between them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "measure/verdict.h"
#include "support/tap.h"

#define MAX_ROUNDS 64

/* How busy each side's machine was: threads, load average, CPUs, and each round's reference-loop
 * time when recorded (measure/verdict.h). */
struct busy {
	int threads;
	double load1;
	int cpus;
	const double *reference;   /* NULL: none (the recording so far has none) */
};

static const struct busy quiet = { 1, 0.5, 2, NULL };

static struct qx_verdict decide_busy(const double *ow, const double *oc, size_t on,
                                     const struct busy *ob, const double *nw, const double *nc,
                                     size_t nn, const struct busy *nb)
{
	struct qx_verdict_side o = { ow, oc, on, ob->threads, ob->load1, ob->cpus, ob->reference };
	struct qx_verdict_side n = { nw, nc, nn, nb->threads, nb->load1, nb->cpus, nb->reference };
	struct qx_verdict_options opt = QX_VERDICT_OPTIONS_DEFAULT;
	struct qx_verdict v;
	qx_verdict_latency(&o, &n, &opt, &v);
	return v;
}

static struct qx_verdict decide(const double *ow, const double *oc, size_t on, const double *nw,
                                const double *nc, size_t nn)
{
	return decide_busy(ow, oc, on, &quiet, nw, nc, nn, &quiet);
}

/* One-thread rows on CPU time with each round's reference-loop time (NULL: none recorded). */
static struct qx_verdict decide_ref(const double *oc, const double *oref, const double *nc,
                                    const double *nref, size_t rounds)
{
	struct qx_verdict_side o = { oc, oc, rounds, 1, 0.5, 2, oref };
	struct qx_verdict_side n = { nc, nc, rounds, 1, 0.5, 2, nref };
	struct qx_verdict_options opt = QX_VERDICT_OPTIONS_DEFAULT;
	struct qx_verdict v;
	qx_verdict_latency(&o, &n, &opt, &v);
	return v;
}

/* The machine's drift, measured by the reference loop, divided out (measure/verdict.h). */
static void test_drift(void)
{
	double a[10], b[10], ra[10], rb[10];
	double machine_slow[10], machine_ref[10], twice[10], fast_ref[10];
	double slower_on_fast[10];
	for (int i = 0; i < 10; i++) {
		a[i] = 1.0 + 0.01 * ((i * 7) % 5 - 2);   /* +-2% around 1 ms, as in test_rule */
		b[i] = 1.0 + 0.01 * ((i * 3) % 5 - 2);
		ra[i] = 0.4 * (1.0 + 0.01 * ((i * 9) % 5 - 2));   /* the loop: +-2% around 0.4 ms */
		rb[i] = 0.4 * (1.0 + 0.01 * ((i * 1) % 5 - 2));
		machine_slow[i] = 1.5 * b[i];            /* the whole machine 50% slower ... */
		machine_ref[i] = 1.5 * rb[i];            /* ... the reference loop with it */
		twice[i] = 2.0 * b[i];
		fast_ref[i] = rb[i] / 1.3;               /* a machine 30% faster ... */
		slower_on_fast[i] = b[i];                /* ... hiding code 30% slower */
	}
	struct qx_verdict v = decide_ref(a, ra, machine_slow, machine_ref, 10);
	ok(!v.regression && !strcmp(v.verdict, "inconclusive") && v.drifted &&
	   strstr(v.why, "the machine itself ran 50% slower in NEW") && fabs(v.drift - 50) < 3 &&
	   fabs(v.corrected) < 3, "machine +50%%, reference +50%%: inconclusive, not REGRESSED "
	   "(%s: %s)", v.verdict, v.why);
	v = decide_ref(a, ra, twice, rb, 10);
	ok(v.regression && !v.drifted && isfinite(v.drift) && fabs(v.drift) < 2.5 &&
	   isnan(v.corrected), "real 2x, reference +0%%: REGRESSED (%s, drift %+.1f%%)", v.verdict,
	   v.drift);
	/* Twice the time while the machine ran 50% slower: 2 / 1.5 = +33% is the code's. */
	v = decide_ref(a, ra, twice, machine_ref, 10);
	ok(v.regression && v.drifted && fabs(v.corrected - 100.0 / 3.0) < 4 &&
	   strstr(v.why, "divided out"), "2x times, reference +50%%: still REGRESSED, divided out "
	   "%+.1f%% (%s)", v.corrected, v.why);
	v = decide_ref(a, NULL, machine_slow, machine_ref, 10);
	ok(v.regression && isnan(v.drift) && !v.drifted && !strstr(v.why, "machine"),
	   "reference absent in OLD: today's verdict (%s, %s)", v.verdict, v.why);
	v = decide_ref(a, ra, machine_slow, NULL, 10);
	ok(v.regression && isnan(v.drift), "reference absent in NEW: today's verdict (%s)",
	   v.verdict);
	v = decide_ref(a, ra, slower_on_fast, fast_ref, 10);
	ok(!strcmp(v.verdict, "inconclusive") && v.corrected > 20 && strstr(v.why, "faster in NEW"),
	   "code 30%% slower on a machine 30%% faster: not called unchanged (%s: %s)", v.verdict,
	   v.why);
	v = decide_ref(a, ra, b, rb, 10);
	ok(!strcmp(v.verdict, "unchanged") && !v.drifted, "same times, same machine: unchanged (%s)",
	   v.verdict);
	double machine_fast[10], fast_ref2[10];
	for (int i = 0; i < 10; i++) {
		machine_fast[i] = b[i] / 1.5;
		fast_ref2[i] = rb[i] / 1.5;
	}
	v = decide_ref(a, ra, machine_fast, fast_ref2, 10);
	ok(strcmp(v.verdict, "improved") && strstr(v.why, "faster in NEW"),
	   "machine 50%% faster, reference with it: not improved (%s: %s)", v.verdict, v.why);
}

static void test_rule(void)
{
	double a[10], b[10], slow[10], preempted[10];
	for (int i = 0; i < 10; i++) {
		a[i] = 1.0 + 0.01 * ((i * 7) % 5 - 2);   /* +-2% around 1 ms */
		b[i] = 1.0 + 0.01 * ((i * 3) % 5 - 2);
		slow[i] = 1.3 * b[i];
		preempted[i] = 2.5 * b[i];                /* wall time only: other processes ran */
	}
	struct qx_verdict v = decide(a, a, 10, b, b, 10);
	ok(!strcmp(v.verdict, "unchanged") && !strcmp(v.clock, "cpu") && !v.regression,
	   "same times: unchanged; one thread is decided on CPU time (%s, %s)", v.verdict, v.why);
	const struct busy two = { 2, 0.5, 2, NULL };
	v = decide_busy(a, a, 10, &two, b, b, 10, &two);
	ok(!strcmp(v.verdict, "unchanged") && !strcmp(v.clock, "wall"),
	   "two threads, not preempted: on wall time (%s)", v.clock);
	v = decide(a, a, 10, slow, slow, 10);
	ok(v.regression && !strcmp(v.verdict, "REGRESSED") && fabs(v.change - 30.0) < 3 &&
	   v.lo > 2.5 && v.p < 0.001, "30%% slower: REGRESSED, change %+.1f%% [%+.1f, %+.1f], p %.2g",
	   v.change, v.lo, v.hi, v.p);
	v = decide(slow, slow, 10, a, a, 10);
	ok(!strcmp(v.verdict, "improved") && !v.regression, "30%% faster: improved");
	v = decide_busy(a, a, 10, &two, preempted, b, 10, &two);
	ok(!strcmp(v.verdict, "unchanged") && !strcmp(v.clock, "cpu") && strstr(v.why, "preempted"),
	   "two threads, wall time 2.5x but CPU time the same: unchanged on CPU time (%s)", v.why);
	v = decide(a, a, 10, preempted, slow, 10);
	ok(v.regression && !strcmp(v.clock, "cpu"), "preempted and 30%% more CPU time: REGRESSED "
	   "on CPU time");
	double one_bad[10];
	memcpy(one_bad, b, sizeof one_bad);
	one_bad[3] *= 3;                              /* one round's wall time preempted */
	v = decide_busy(a, a, 10, &two, one_bad, b, 10, &two);
	ok(!strcmp(v.verdict, "unchanged") && !strcmp(v.clock, "cpu"),
	   "one preempted round in wall time only: decided on CPU time (%s)", v.why);
	v = decide(a, a, 2, slow, slow, 2);
	ok(!strcmp(v.verdict, "inconclusive") && strstr(v.why, "too few rounds"),
	   "2 rounds: inconclusive (%s)", v.why);
	v = decide_busy(a, NULL, 10, &two, slow, slow, 10, &two);
	ok(v.regression && !strcmp(v.clock, "wall"), "OLD without CPU times: decided on wall time");
	double noisy[10];
	for (int i = 0; i < 10; i++)
		noisy[i] = a[i] * (i % 2 ? 1.6 : 0.7);
	v = decide(a, a, 10, noisy, noisy, 10);
	ok(!strcmp(v.verdict, "inconclusive") && v.why[0], "rounds scattered by -30%%..+60%%: "
	   "inconclusive, and says why (%s)", v.why);
	struct busy contended = { 2, 7.5, 2, NULL };
	v = decide_busy(a, a, 10, &contended, slow, slow, 10, &contended);
	ok(!strcmp(v.verdict, "inconclusive") && strstr(v.why, "competed for the CPUs"),
	   "2 threads at load 7.5 on 2 CPUs, 30%% slower: not decided (%s)", v.why);
	double twice[10];
	for (int i = 0; i < 10; i++)
		twice[i] = 2 * b[i];
	v = decide_busy(a, a, 10, &contended, twice, twice, 10, &contended);
	ok(v.regression, "the same, twice as slow: REGRESSED");
}

static int read_rounds(json_t *arr, double *out, size_t *n, double factor)
{
	*n = json_array_size(arr);
	if (*n == 0 || *n > MAX_ROUNDS)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		json_t *e = json_array_get(arr, i);
		if (!json_is_number(e))
			return -1;
		out[i] = json_number_value(e) * factor;
	}
	return 0;
}

struct rates {
	long pairs, false_regressions, detected, detected_2x, inconclusive_aa;
};

/* Every ordered pair (i, j), i != j, of the runs that measured config. */
static struct busy busy_of(json_t *run, json_t *cfg)
{
	struct busy b = { (int)json_integer_value(json_object_get(cfg, "threads")),
	                  json_number_value(json_object_get(cfg, "load1_max")),
	                  (int)json_integer_value(json_object_get(run, "online_cpus")), NULL };
	if (b.threads < 1)
		b.threads = 1;
	return b;
}

static int is_contended(const struct busy *b)
{
	return b->threads > 1 && b->cpus > 0 && b->load1 > b->cpus;
}

/* Every ordered pair (i, j), i != j, of the runs that measured config, into r[0] when both
 * sides can be decided at the usual threshold, r[1] when either is a contended multi-thread
 * measurement (measure/verdict.h). */
static void replay(json_t *runs, const char *config, double slowdown, struct rates r[2])
{
	size_t nruns = json_array_size(runs);
	/* Every stride-th pair: each verdict bootstraps its interval, and all of them would take
	 * minutes under the sanitizers; a regular subset keeps every run in play. */
	size_t stride = tap_sanitized() ? 16 : 4, k = 0;
	for (size_t i = 0; i < nruns; i++)
		for (size_t j = 0; j < nruns; j++) {
			if (i == j || k++ % stride)
				continue;
			json_t *a = json_object_get(json_object_get(json_array_get(runs, i), "configs"),
			                            config);
			json_t *b = json_object_get(json_object_get(json_array_get(runs, j), "configs"),
			                            config);
			double ow[MAX_ROUNDS], oc[MAX_ROUNDS], nw[MAX_ROUNDS], nc[MAX_ROUNDS];
			double sw[MAX_ROUNDS], sc[MAX_ROUNDS], tw[MAX_ROUNDS], tc[MAX_ROUNDS];
			size_t on, oc_n, nn, nc_n, sn, sc_n, tn, tc_n;
			if (!a || !b || read_rounds(json_object_get(a, "wall"), ow, &on, 1) ||
			    read_rounds(json_object_get(a, "cpu"), oc, &oc_n, 1) ||
			    read_rounds(json_object_get(b, "wall"), nw, &nn, 1) ||
			    read_rounds(json_object_get(b, "cpu"), nc, &nc_n, 1) ||
			    read_rounds(json_object_get(b, "wall"), sw, &sn, slowdown) ||
			    read_rounds(json_object_get(b, "cpu"), sc, &sc_n, slowdown) ||
			    read_rounds(json_object_get(b, "wall"), tw, &tn, 2.0) ||
			    read_rounds(json_object_get(b, "cpu"), tc, &tc_n, 2.0) ||
			    oc_n != on || nc_n != nn)
				continue;
			struct busy ob = busy_of(json_array_get(runs, i), a);
			struct busy nb = busy_of(json_array_get(runs, j), b);
			/* Runs recorded with the reference loop (tools/record-noise writes "reference"
			 * when results.json has it) replay the drift correction too; a slowdown of the
			 * code leaves the machine's reference times as they were. */
			double oref[MAX_ROUNDS], nref[MAX_ROUNDS];
			size_t orn, nrn;
			if (!read_rounds(json_object_get(a, "reference"), oref, &orn, 1) &&
			    !read_rounds(json_object_get(b, "reference"), nref, &nrn, 1) && orn == on &&
			    nrn == nn) {
				ob.reference = oref;
				nb.reference = nref;
			}
			struct qx_verdict same = decide_busy(ow, oc, on, &ob, nw, nc, nn, &nb);
			struct qx_verdict slower = decide_busy(ow, oc, on, &ob, sw, sc, sn, &nb);
			struct qx_verdict twice = decide_busy(ow, oc, on, &ob, tw, tc, tn, &nb);
			struct rates *into = &r[is_contended(&ob) || is_contended(&nb)];
			into->pairs++;
			into->false_regressions += same.regression;
			into->inconclusive_aa += !strcmp(same.verdict, "inconclusive");
			into->detected += slower.regression;
			into->detected_2x += twice.regression;
		}
}

static void test_recorded_noise(void)
{
	const char *root = getenv("QX_ROOT") ? getenv("QX_ROOT") : ".";
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/fixtures/noise/recorded.json", root);
	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr);
	ok(doc != NULL, "%s loads (%s)", path, doc ? "ok" : jerr.text);
	if (!doc)
		return;
	json_t *runs = json_object_get(doc, "runs");
	diag("recorded %s on %s: %zu runs", json_string_value(json_object_get(doc, "recorded")),
	     json_string_value(json_object_get(doc, "machine")), json_array_size(runs));
	struct rates all[2] = { { 0 }, { 0 } };
	const char *config;
	json_t *unused;
	json_object_foreach(json_object_get(json_array_get(runs, 0), "configs"), config, unused) {
		struct rates r[2] = { { 0 }, { 0 } };
		replay(runs, config, 1.10, r);
		for (int k = 0; k < 2; k++) {
			if (!r[k].pairs)
				continue;
			diag("%-40s %-9s %4ld pairs: A/A %5.2f%% REGRESSED, %5.1f%% inconclusive; "
			     "REGRESSED when 10%% slower %5.1f%%, 2x slower %5.1f%%", config,
			     k ? "contended" : "", r[k].pairs,
			     100.0 * r[k].false_regressions / r[k].pairs,
			     100.0 * r[k].inconclusive_aa / r[k].pairs,
			     100.0 * r[k].detected / r[k].pairs, 100.0 * r[k].detected_2x / r[k].pairs);
			all[k].pairs += r[k].pairs;
			all[k].false_regressions += r[k].false_regressions;
			all[k].inconclusive_aa += r[k].inconclusive_aa;
			all[k].detected += r[k].detected;
			all[k].detected_2x += r[k].detected_2x;
		}
	}
	long pairs = all[0].pairs + all[1].pairs;
	long false_regressions = all[0].false_regressions + all[1].false_regressions;
	ok(pairs >= (tap_sanitized() ? 500 : 2000), "%ld A/A and as many A/B pairs replayed (%ld of them contended "
	   "multi-thread measurements)", pairs, all[1].pairs);
	ok(pairs && false_regressions <= 0.01 * pairs, "A/A: %.2f%% false regressions (%ld of %ld; "
	   "at most 1%%)", pairs ? 100.0 * false_regressions / pairs : 0.0, false_regressions,
	   pairs);
	ok(all[0].pairs && all[0].detected >= 0.90 * all[0].pairs, "A/B, 10%% slower, decidable "
	   "at the usual threshold: %.1f%% detected as REGRESSED (%ld of %ld; at least 90%%)",
	   all[0].pairs ? 100.0 * all[0].detected / all[0].pairs : 0.0, all[0].detected,
	   all[0].pairs);
	ok(all[1].pairs == 0 || all[1].detected_2x >= 0.80 * all[1].pairs, "A/B, 2x slower, "
	   "contended multi-thread: %.1f%% detected (%ld of %ld; at least 80%%: a run-level mode "
	   "of up to +64%% in these rows hides the rest)",
	   all[1].pairs ? 100.0 * all[1].detected_2x / all[1].pairs : 100.0, all[1].detected_2x,
	   all[1].pairs);
	diag("10%% slower over all pairs, contended ones included: %.1f%% REGRESSED (contended "
	     "multi-thread rows only decide changes above 60%%)",
	     100.0 * (all[0].detected + all[1].detected) / (pairs ? pairs : 1));
	diag("A/A inconclusive: %.1f%% of pairs", 100.0 * (all[0].inconclusive_aa +
	     all[1].inconclusive_aa) / (pairs ? pairs : 1));
	json_decref(doc);
}

int main(void)
{
	test_rule();
	test_drift();
	test_recorded_noise();
	return tap_done();
}
