#include "stats/paired.h"

#include <math.h>

#include <gsl/gsl_cdf.h>

void qx_paired_compare(const uint8_t *pred_a, const uint8_t *pred_b, const uint8_t *labels,
                       int64_t n, struct qx_paired *out)
{
	int64_t right_a = 0, right_b = 0, same = 0, only_a = 0, only_b = 0;
	for (int64_t i = 0; i < n; i++) {
		int a = pred_a[i] == labels[i], b = pred_b[i] == labels[i];
		right_a += a;
		right_b += b;
		same += pred_a[i] == pred_b[i];
		only_a += a && !b;
		only_b += b && !a;
	}
	out->n = n;
	out->only_a = only_a;
	out->only_b = only_b;
	if (n == 0) {
		out->acc_a = out->acc_b = out->drop = out->drop_lo = out->drop_hi = out->agree = 0.0;
		return;
	}
	double dn = (double)n;
	out->acc_a = 100.0 * (double)right_a / dn;
	out->acc_b = 100.0 * (double)right_b / dn;
	out->agree = 100.0 * (double)same / dn;
	/* d_i is +1 for only_a images, -1 for only_b ones, 0 otherwise. */
	double mean = (double)(only_a - only_b) / dn;
	out->drop = 100.0 * mean;
	if (n < 2) {
		out->drop_lo = out->drop_hi = out->drop;
		return;
	}
	double sum_sq = (double)(only_a + only_b);
	double var = (sum_sq - dn * mean * mean) / (dn - 1.0);
	double half = gsl_cdf_tdist_Pinv(0.975, dn - 1.0) * sqrt(var > 0.0 ? var : 0.0) / sqrt(dn);
	out->drop_lo = 100.0 * (mean - half);
	out->drop_hi = 100.0 * (mean + half);
}
