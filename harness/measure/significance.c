/* Mann-Whitney U and McNemar's test (stats.h states the formulas). */
#include "measure/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

struct tagged {
	double v;
	int from_a;
};

static int by_value(const void *x, const void *y)
{
	double a = ((const struct tagged *)x)->v, b = ((const struct tagged *)y)->v;
	return (a > b) - (a < b);
}

int qx_stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
                          struct qx_mann_whitney *out, struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	if (na == 0 || nb == 0)
		return qx_fail(err, QX_EINVAL, "Mann-Whitney: %s sample is empty (expected at least "
		               "one value on each side)", na == 0 ? "first" : "second");
	size_t n = na + nb;
	struct tagged *all = malloc(n * sizeof *all);
	if (!all)
		return qx_fail_nomem(err, "ranking samples");
	for (size_t i = 0; i < n; i++) {
		all[i].from_a = i < na;
		all[i].v = i < na ? a[i] : b[i - na];
		if (!isfinite(all[i].v)) {
			double bad = all[i].v;
			free(all);
			return qx_fail(err, QX_EINVAL, "Mann-Whitney: %s sample [%zu] is %g (expected "
			               "a finite number)", i < na ? "first" : "second",
			               i < na ? i : i - na, bad);
		}
	}
	qsort(all, n, sizeof *all, by_value);
	/* Average ranks over tie groups; R1 sums the first sample's ranks. */
	double r1 = 0.0, tie_term = 0.0;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && all[j].v == all[i].v)
			j++;
		double rank = ((double)(i + 1) + (double)j) / 2.0;
		size_t in_a = 0;
		for (size_t k = i; k < j; k++)
			in_a += (size_t)all[k].from_a;
		r1 += rank * (double)in_a;
		double t = (double)(j - i);
		tie_term += t * t * t - t;
		i = j;
	}
	free(all);
	double dna = (double)na, dnb = (double)nb, dn = (double)n;
	double u1 = r1 - dna * (dna + 1.0) / 2.0;
	double u = fmax(u1, dna * dnb - u1);
	double var = dna * dnb / 12.0 * ((dn + 1.0) - (n > 1 ? tie_term / (dn * (dn - 1.0)) : 0.0));
	out->u = u1;
	if (!(var > 0.0)) {
		out->z = 0.0;
		out->p = 1.0;
		return 0;
	}
	out->z = (u - dna * dnb / 2.0 - 0.5) / sqrt(var);
	double p = 2.0 * gsl_cdf_ugaussian_Q(out->z);
	out->p = p > 1.0 ? 1.0 : p;
	return 0;
}

int qx_stats_mcnemar(int64_t b, int64_t c, struct qx_mcnemar *out, struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	if (b < 0 || c < 0 || b + c > (int64_t)0xffffffffLL)
		return qx_fail(err, QX_EINVAL, "McNemar: discordant counts %lld and %lld (expected "
		               "two non-negative counts whose sum fits 32 bits)", (long long)b,
		               (long long)c);
	out->b = b;
	out->c = c;
	int64_t n = b + c;
	if (n == 0) {
		out->exact = 1;
		out->p = 1.0;
		return 0;
	}
	if (n < QX_MCNEMAR_EXACT_BELOW) {
		int64_t k = b < c ? b : c;
		double p = 2.0 * gsl_cdf_binomial_P((unsigned)k, 0.5, (unsigned)n);
		out->exact = 1;
		out->statistic = (double)k;
		out->p = p > 1.0 ? 1.0 : p;
		return 0;
	}
	double d = fabs((double)(b - c)) - 1.0;
	out->exact = 0;
	out->statistic = d * d / (double)n;
	out->p = gsl_cdf_chisq_Q(out->statistic, 1.0);
	return 0;
}
