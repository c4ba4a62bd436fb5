/* measure/stats.h against reference values.
 *
 * scipy is not installed here, so the references are (a) values published by scipy, R and
 * DolphinDB documentation, and (b) scipy's formulas re-done in plain Python (math.erfc for the
 * normal tail, fractions + math.comb for exact binomial sums), each written next to its check:
 *
 *   def mwu(a, b):  # scipy.stats.mannwhitneyu(a, b, method="asymptotic"), two-sided
 *       pooled = sorted([(v, 0) for v in a] + [(v, 1) for v in b]); n = len(pooled)
 *       average ranks over ties -> r1 (sum of a's ranks), tie = sum(t**3 - t)
 *       u1 = r1 - n1*(n1+1)/2;  U = max(u1, n1*n2 - u1)
 *       s = sqrt(n1*n2/12 * ((n+1) - tie/(n*(n-1))));  z = (U - n1*n2/2 - 0.5) / s
 *       p = min(1, erfc(z / sqrt(2)))
 *   mcnemar exact: min(1, 2 * sum(comb(n, i) for i <= min(b, c)) / 2**n)
 *   mcnemar chi2:  st = (abs(b - c) - 1)**2 / (b + c);  p = erfc(sqrt(st / 2))  (1 dof) */
#include <math.h>
#include <string.h>

#include "measure/stats.h"
#include "support/tap.h"

static int near(double got, double want, double rel)
{
	return fabs(got - want) <= rel * fmax(fabs(want), 1e-300);
}

static void test_summary(void)
{
	/* Sorted: 1 1 2 3 3 4 5 5 5 6 9. Quantile q at (n-1) q = 10 q (numpy "linear", R type 7):
	 * median = x[5] = 4; p90 = x[9] = 6; p99 = x[9] + 0.9 (x[10] - x[9]) = 8.7.
	 * Python statistics: mean 4.0, stdev 2.3664319132398464, cv 0.5916079783099616. */
	const double x[] = { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5 };
	struct qx_summary s;
	struct qx_error err = { 0 };
	ok(qx_stats_summarize(x, 11, &s, &err) == 0, "summary of 11 samples");
	ok(s.n == 11 && s.min == 1.0 && s.max == 9.0, "n, min, max");
	ok(near(s.median, 4.0, 1e-15) && near(s.mean, 4.0, 1e-15), "median 4, mean 4");
	ok(near(s.p90, 6.0, 1e-15) && near(s.p99, 8.7, 1e-12), "p90 6, p99 8.7 (got %.17g %.17g)",
	   s.p90, s.p99);
	ok(near(s.stddev, 2.3664319132398464, 1e-12), "sample stddev (got %.17g)", s.stddev);
	ok(near(s.cv, 0.5916079783099616, 1e-12), "cv = stddev / mean (got %.17g)", s.cv);
	ok(x[0] == 3 && x[5] == 9, "input left in its order");

	/* Even count: median between the middle two; one sample: stddev 0. */
	const double even[] = { 4, 1, 3, 2 };
	qx_stats_summarize(even, 4, &s, NULL);
	ok(near(s.median, 2.5, 1e-15), "median of 1 2 3 4 is 2.5 (got %g)", s.median);
	const double one[] = { 7.5 };
	qx_stats_summarize(one, 1, &s, NULL);
	ok(s.median == 7.5 && s.p99 == 7.5 && s.stddev == 0.0 && s.cv == 0.0,
	   "one sample: every quantile is it, stddev 0");

	ok(qx_stats_summarize(x, 0, &s, &err) == QX_EINVAL, "no samples: QX_EINVAL");
	const double bad[] = { 1, 2, NAN };
	ok(qx_stats_summarize(bad, 3, &s, &err) == QX_EINVAL && strstr(err.msg, "[2]"),
	   "NaN sample rejected with its index: %s", err.msg);
}

static void test_speedup(void)
{
	struct qx_speedup sp;
	struct qx_error err = { 0 };
	/* Constant times: every resample has the same medians, so the interval is the point. */
	const double a1[] = { 1, 1, 1, 1, 1 }, b1[] = { 2, 2, 2, 2, 2, 2, 2 };
	ok(qx_stats_speedup(a1, 5, b1, 7, &sp, &err) == 0 && sp.ratio == 2.0 && sp.lo == 2.0 &&
	   sp.hi == 2.0, "A twice as fast as constant B: 2 [2, 2]");

	/* Spread: B = 1.5 A, so the ratio of medians is 1.5; the interval holds it and has width. */
	double a[41], b[41];
	for (int i = 0; i < 41; i++) {
		a[i] = 1.0 + 0.01 * (double)((i * 17) % 41);
		b[i] = 1.5 * a[i];
	}
	ok(qx_stats_speedup(a, 41, b, 41, &sp, &err) == 0, "speedup with spread");
	ok(near(sp.ratio, 1.5, 1e-12), "ratio of medians 1.5 (got %.17g)", sp.ratio);
	ok(sp.lo < 1.5 && sp.hi > 1.5 && sp.lo > 1.2 && sp.hi < 1.9,
	   "95%% interval [%g, %g] holds 1.5 and is plausible", sp.lo, sp.hi);
	ok(sp.resamples == QX_SPEEDUP_RESAMPLES && sp.seed == QX_SPEEDUP_SEED, "method recorded");
	struct qx_speedup again;
	qx_stats_speedup(a, 41, b, 41, &again, NULL);
	ok(again.lo == sp.lo && again.hi == sp.hi, "fixed seed: the same interval every time");
	/* A slower than B: ratio below 1. */
	qx_stats_speedup(b, 41, a, 41, &again, NULL);
	ok(near(again.ratio, 1.0 / 1.5, 1e-12) && again.hi < 1.0, "slower A: ratio %g < 1",
	   again.ratio);

	const double zero[] = { 1, 0 };
	ok(qx_stats_speedup(zero, 2, b1, 7, &sp, &err) == QX_EINVAL && strstr(err.msg, "A[1]"),
	   "zero time rejected: %s", err.msg);
	ok(qx_stats_speedup(a1, 5, b1, 0, &sp, &err) == QX_EINVAL, "empty B rejected");
}

static void test_mann_whitney(void)
{
	struct qx_mann_whitney mw;
	struct qx_error err = { 0 };
	/* scipy's documentation (mannwhitneyu, diagnosis ages): U1 = 17, and with
	 * method="asymptotic" p = 0.11134688653314041. */
	const double males[] = { 19, 22, 16, 29, 24 }, females[] = { 20, 11, 17, 12 };
	ok(qx_stats_mann_whitney(males, 5, females, 4, &mw, &err) == 0, "scipy docs example");
	ok(mw.u == 17.0, "U1 = 17 (got %g)", mw.u);
	ok(near(mw.p, 0.11134688653314041, 1e-9), "p = 0.111346886533 (got %.15g)", mw.p);
	ok(near(mw.z, 1.5921683328090657, 1e-12), "z = 1.59216833 (got %.15g)", mw.z);

	/* With ties (tie correction matters): DolphinDB's documented mannWhitneyUTest example,
	 * two-sided corrected p = 0.518023 (it reports U2 = 11 = 30 - U1); Python formula above:
	 * U1 = 19, p = 0.5180220945903762. */
	const double x[] = { 5, 1, 4, 3, 5 }, y[] = { 2, 4, 7, -1, 0, 4 };
	qx_stats_mann_whitney(x, 5, y, 6, &mw, NULL);
	ok(mw.u == 19.0 && near(mw.p, 0.5180220945903762, 1e-9),
	   "ties: U1 19, p 0.518022 (got %g, %.15g)", mw.u, mw.p);

	/* R's wilcox.test documentation example (x: depression scores after, y: before): W = 35;
	 * R documents p = 0.1103 one-sided without correction, i.e. z = 10 / sqrt(50 * 16 / 12).
	 * Two-sided with correction (the formula above): p = 0.24462360512698333. */
	const double rx[] = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 };
	const double ry[] = { 1.15, 0.88, 0.90, 0.74, 1.21 };
	qx_stats_mann_whitney(rx, 10, ry, 5, &mw, NULL);
	ok(mw.u == 35.0 && near(mw.p, 0.24462360512698333, 1e-9), "R example: W 35, p %.15g", mw.p);
	/* Swapping the samples changes U1 to n1 n2 - U1 but not the two-sided p. */
	double p = mw.p;
	qx_stats_mann_whitney(ry, 5, rx, 10, &mw, NULL);
	ok(mw.u == 15.0 && near(mw.p, p, 1e-12), "swapped: U1 15, same p");

	/* Identical samples: no evidence, p = 1. Every value equal: s = 0, p = 1 by definition. */
	qx_stats_mann_whitney(rx, 10, rx, 10, &mw, NULL);
	ok(mw.p == 1.0, "identical samples: p 1 (got %g)", mw.p);
	const double c5[] = { 2, 2, 2, 2, 2 };
	qx_stats_mann_whitney(c5, 5, c5, 3, &mw, NULL);
	ok(mw.p == 1.0 && mw.z == 0.0, "all equal: p 1");
	/* Fully separated 20 vs 20: U1 = 0, z = (400 - 200 - 0.5) / sqrt(400 * 41 / 12). */
	double lo[20], hi[20];
	for (int i = 0; i < 20; i++) {
		lo[i] = 1.0 + 0.001 * i;
		hi[i] = 2.0 + 0.001 * i;
	}
	qx_stats_mann_whitney(lo, 20, hi, 20, &mw, NULL);
	double z = 199.5 / sqrt(400.0 * 41.0 / 12.0);
	ok(mw.u == 0.0 && near(mw.z, z, 1e-12) && mw.p < 1e-6, "separated: p %.3g", mw.p);

	ok(qx_stats_mann_whitney(lo, 0, hi, 20, &mw, &err) == QX_EINVAL, "empty side rejected");
	const double inf[] = { 1, INFINITY };
	ok(qx_stats_mann_whitney(lo, 20, inf, 2, &mw, &err) == QX_EINVAL &&
	   strstr(err.msg, "second sample [1]"), "infinite sample rejected: %s", err.msg);
}

static void test_mcnemar(void)
{
	struct qx_mcnemar m;
	struct qx_error err = { 0 };
	static const struct {
		int64_t b, c;
		int exact;
		double statistic, p;
	} cases[] = {
		/* exact: 2 * (1 + 7) / 128 */
		{ 1, 6, 1, 1.0, 0.125 },
		{ 0, 5, 1, 0.0, 0.0625 },
		{ 3, 3, 1, 3.0, 1.0 },
		/* 24 discordant: still exact; 2 * sum_{i<=10} C(24, i) / 2^24 */
		{ 10, 14, 1, 10.0, 0.5412561893463135 },
		/* chi-square with continuity correction */
		{ 10, 30, 0, 9.025, 0.002663119259138554 },
		{ 25, 25, 0, 0.02, 0.8875370839817152 },
		{ 40, 12, 0, 14.01923076923077, 0.0001809504904375634 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = qx_stats_mcnemar(cases[i].b, cases[i].c, &m, &err);
		ok(rc == 0 && m.exact == cases[i].exact && near(m.statistic, cases[i].statistic,
		   1e-12) && near(m.p, cases[i].p, 1e-9), "McNemar b=%lld c=%lld: %s, statistic %g, "
		   "p %.15g (want %.15g)", (long long)cases[i].b, (long long)cases[i].c,
		   m.exact ? "exact" : "chi2", m.statistic, m.p, cases[i].p);
	}
	qx_stats_mcnemar(0, 0, &m, NULL);
	ok(m.p == 1.0, "no discordant images: p 1");
	qx_stats_mcnemar(6, 1, &m, NULL);
	ok(near(m.p, 0.125, 1e-12), "symmetric in b and c");
	ok(qx_stats_mcnemar(-1, 3, &m, &err) == QX_EINVAL, "negative count rejected: %s", err.msg);
}

int main(void)
{
	tap_plan(0);
	test_summary();
	test_speedup();
	test_mann_whitney();
	test_mcnemar();
	return tap_done();
}
