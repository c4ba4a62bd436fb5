/* Implementation of calculators.h (declarations and documentation there). */
#include "calculators.h"

int qxp_calib_hist_init(struct qxp_calib_hist *h, int32_t bins)
{
	memset(h, 0, sizeof *h);
	h->base_bins = bins;
	h->n = bins;
	h->min_val = INFINITY;
	h->max_val = -INFINITY;
	size_t cap = 2 * (size_t)bins + 2;
	h->counts = calloc(cap, sizeof *h->counts);
	h->scratch = calloc(cap, sizeof *h->scratch);
	h->work = calloc(2 * cap, sizeof *h->work);
	return h->counts && h->scratch && h->work ? 0 : -1;
}

void qxp_calib_hist_free(struct qxp_calib_hist *h)
{
	free(h->counts);
	free(h->scratch);
	free(h->work);
	memset(h, 0, sizeof *h);
}

double qxp_calib_edge(const struct qxp_calib_hist *h, int64_t k)
{
	return -h->T + (double)k * (2.0 * h->T / (double)h->n);
}

void qxp_calib_bin(int64_t *counts, int32_t B, double T, const float *x, int64_t n)
{
	for (int64_t i = 0; i < n; i++) {
		double u = ((double)x[i] + T) * (double)B / (2.0 * T);
		int64_t k = (int64_t)floor(u);
		if (k < 0)
			k = 0;
		if (k > B - 1)
			k = B - 1;
		counts[k]++;
	}
}

int qxp_calib_hist_observe(struct qxp_calib_hist *h, const float *x, int64_t n)
{
	if (n <= 0)
		return 0;
	float lo, hi;
	if (qxp_finite_minmax(x, n, &lo, &hi))
		return -1;
	double t = fmax(fabs((double)lo), fabs((double)hi));
	h->min_val = lo < h->min_val ? lo : h->min_val;
	h->max_val = hi > h->max_val ? hi : h->max_val;
	if (t <= h->T) {
		if (h->T == 0.0)
			h->counts[h->n / 2] += n;       /* t = 0: all zeros */
		else
			qxp_calib_bin(h->counts, h->n, h->T, x, n);
		return 0;
	}
	if (h->T == 0.0) {
		/* only zeros so far, all in bin n/2, which holds 0 over the new range too (ORT adds
		 * the old histogram index for index) */
		h->T = t;
		qxp_calib_bin(h->counts, h->n, h->T, x, n);
		return 0;
	}
	/* widen by whole old bins on each side (ORT: half_increased_bins), then merge by a power
	 * of two f while the count would pass 2 x base_bins */
	const double s = 2.0 * h->T / (double)h->n;
	const int64_t half_old = h->n / 2;
	double grow = floor((t - h->T) / s) + 1.0;
	if (!(grow < 1e15))
		return -1;
	int64_t half = half_old + (int64_t)grow;  /* half count at the old width */
	int64_t f = 1;
	while ((half + f - 1) / f > h->base_bins)
		f *= 2;
	int64_t half_new = (half + f - 1) / f;     /* half count after merging, padded up */
	int32_t B = (int32_t)(2 * half_new);
	double T = (double)(half_new * f) * s;
	memset(h->scratch, 0, (size_t)B * sizeof *h->scratch);
	const int64_t offset = half_new * f - half_old;  /* old bin j sits at fine cell j + offset */
	for (int64_t j = 0; j < h->n; j++)
		h->scratch[(j + offset) / f] += h->counts[j];
	qxp_calib_bin(h->scratch, B, T, x, n);
	int64_t *tmp = h->counts;
	h->counts = h->scratch;
	h->scratch = tmp;
	h->n = B;
	h->T = T;
	return 0;
}

void qxp_calib_clamp(const struct qxp_calib_hist *h, double lo, double hi,
                     float *out_lo, float *out_hi)
{
	*out_lo = lo < (double)h->min_val ? h->min_val : (float)lo;
	*out_hi = hi > (double)h->max_val ? h->max_val : (float)hi;
}

void qxp_calib_percentile(const struct qxp_calib_hist *h, double p, int symmetric,
                          float *lo, float *hi)
{
	if (h->T == 0.0) {
		*lo = h->min_val;
		*hi = h->max_val;
		return;
	}
	int64_t total = 0;
	for (int32_t k = 0; k < h->n; k++)
		total += h->counts[k];
	const int32_t z = h->n / 2;
	if (symmetric) {
		double want = p / 100.0 * (double)total;
		int64_t cum = 0;
		int32_t k = 0;
		for (; k < z - 1; k++) {
			cum += h->counts[z + k] + h->counts[z - 1 - k];
			if ((double)cum >= want)
				break;
		}
		double a = qxp_calib_edge(h, z + k + 1);
		qxp_calib_clamp(h, -a, a, lo, hi);
		return;
	}
	double want_lo = (100.0 - p) / 100.0 * (double)total, want_hi = p / 100.0 * (double)total;
	int64_t cum = 0;
	int32_t k_lo = -1, k_hi = h->n - 1;
	for (int32_t k = 0; k < h->n; k++) {
		cum += h->counts[k];
		if (k_lo < 0 && (double)cum >= want_lo)
			k_lo = k;
		if ((double)cum >= want_hi) {
			k_hi = k;
			break;
		}
	}
	if (k_lo < 0)
		k_lo = 0;
	qxp_calib_clamp(h, qxp_calib_edge(h, k_lo), qxp_calib_edge(h, k_hi + 1), lo, hi);
}

int qxp_calib_smooth(double *v, int64_t len)
{
	const double eps = 0.0001;
	int64_t zeros = 0;
	for (int64_t k = 0; k < len; k++)
		zeros += v[k] == 0.0;
	if (zeros == len)
		return -1;
	double eps1 = eps * (double)zeros / (double)(len - zeros);
	for (int64_t k = 0; k < len; k++) {
		v[k] = v[k] == 0.0 ? eps : v[k] - eps1;
		if (!(v[k] > 0.0))
			return -1;
	}
	return 0;
}

void qxp_calib_entropy(struct qxp_calib_hist *h, int32_t levels, float *lo,
                       float *hi)
{
	const int32_t z = h->n / 2, half_levels = levels / 2;
	if (h->T == 0.0 || z < half_levels) {
		*lo = h->min_val;
		*hi = h->max_val;
		return;
	}
	double *p = h->work, *q = h->work + h->n + 1;
	int64_t total = 0;
	for (int32_t k = 0; k < h->n; k++)
		total += h->counts[k];
	double best = INFINITY;
	int32_t best_i = -1;
	for (int32_t i = half_levels; i <= z; i++) {
		const int32_t start = z - i, len = 2 * i;
		int64_t inside = 0;
		for (int32_t k = 0; k < len; k++) {
			p[k] = (double)h->counts[start + k];
			inside += h->counts[start + k];
		}
		int64_t left = 0;
		for (int32_t k = 0; k < start; k++)
			left += h->counts[k];
		p[0] += (double)left;
		p[len - 1] += (double)(total - inside - left);
		const int32_t merged = len / levels;
		for (int32_t j = 0; j < levels; j++) {
			const int32_t b = j * merged, e = j == levels - 1 ? len : b + merged;
			int64_t sum = 0, nonzero = 0;
			for (int32_t k = b; k < e; k++) {
				sum += h->counts[start + k];
				nonzero += p[k] != 0.0;
			}
			for (int32_t k = b; k < e; k++)
				q[k] = p[k] != 0.0 ? (double)sum / (double)nonzero : 0.0;
		}
		if (qxp_calib_smooth(p, len) || qxp_calib_smooth(q, len))
			continue;
		double sp = 0.0, sq = 0.0;
		for (int32_t k = 0; k < len; k++) {
			sp += p[k];
			sq += q[k];
		}
		double kl = 0.0;
		for (int32_t k = 0; k < len; k++) {
			double pn = p[k] / sp, qn = q[k] / sq;
			kl += pn * log(pn / qn);
		}
		if (kl < best) {
			best = kl;
			best_i = i;
		}
	}
	if (best_i < 0) {
		*lo = h->min_val;
		*hi = h->max_val;
		return;
	}
	qxp_calib_clamp(h, qxp_calib_edge(h, z - best_i), qxp_calib_edge(h, z + best_i), lo, hi);
}

void qxp_calib_mse(struct qxp_calib_hist *h, const struct qx_qscheme *qs, float *lo,
                   float *hi)
{
	const int32_t z = h->n / 2;
	*lo = h->min_val;
	*hi = h->max_val;
	if (h->T == 0.0)
		return;
	/* the non-empty bins' centres and counts */
	double *centre = h->work, *weight = h->work + h->n + 1;
	int32_t m = 0;
	for (int32_t k = 0; k < h->n; k++)
		if (h->counts[k]) {
			centre[m] = (qxp_calib_edge(h, k) + qxp_calib_edge(h, k + 1)) / 2.0;
			weight[m++] = (double)h->counts[k];
		}
	double best = INFINITY;
	for (int32_t k = 1; k <= z; k++) {
		double a = qxp_calib_edge(h, z + k);
		float clo, chi, scale;
		int32_t zp;
		qxp_calib_clamp(h, -a, a, &clo, &chi);
		if (qx_calculate_qparams(clo, chi, qs, &scale, &zp))
			continue;
		const double s = (double)scale;
		double err = 0.0;
		for (int32_t j = 0; j < m; j++) {
			double v = nearbyint(centre[j] / s) + (double)zp;
			v = v < qs->qmin ? qs->qmin : v > qs->qmax ? qs->qmax : v;
			double d = centre[j] - (v - (double)zp) * s;
			err += weight[j] * d * d;
		}
		if (err < best) {
			best = err;
			*lo = clo;
			*hi = chi;
		}
	}
}
