/* Paired comparison of two classifiers on the same images: the accuracy drop of B against A
 * with a 95% confidence interval, and how often they agree. */
#ifndef QX_STATS_PAIRED_H
#define QX_STATS_PAIRED_H

#include <stdint.h>

struct qx_paired {
	int64_t n;
	double acc_a, acc_b;       /* top-1 accuracy in percent */
	double drop;               /* acc_a - acc_b, in percentage points */
	double drop_lo, drop_hi;   /* 95% confidence interval of drop (points) */
	double agree;              /* percent of images where pred_a == pred_b */
	int64_t only_a, only_b;    /* images right only for A / only for B */
};

/* d_i = [pred_a_i == label_i] - [pred_b_i == label_i]; drop = mean(d) and its interval is
 * mean +- t(0.975, n-1) * sd(d) / sqrt(n), the paired t interval (Student's t from GSL).
 * With n < 2 the interval is the point itself. */
void qx_paired_compare(const uint8_t *pred_a, const uint8_t *pred_b, const uint8_t *labels,
                       int64_t n, struct qx_paired *out);

#endif
