/* Per-layer error: the fp32 and int8 executors side by side (layer_error.h). */
#include "investigate/layer_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/exec_f32.h"
#include "exec/exec_q8.h"
#include "plan/fp8.h"
#include "plan/validate.h"
#include "qx/qparams.h"
#include "util/batch_pass.h"
#include "verify/refsim.h"

int qx_layer_stats_init(struct qx_layer_stats *s, int n_channels)
{
	memset(s, 0, sizeof *s);
	s->n_channels = n_channels < 1 ? 1 : n_channels;
	s->ch_min = malloc(sizeof(double) * (size_t)s->n_channels);
	s->ch_max = malloc(sizeof(double) * (size_t)s->n_channels);
	if (!s->ch_min || !s->ch_max) {
		qx_layer_stats_free(s);
		return -1;
	}
	for (int c = 0; c < s->n_channels; c++) {
		s->ch_min[c] = INFINITY;
		s->ch_max[c] = -INFINITY;
	}
	return 0;
}

void qx_layer_stats_free(struct qx_layer_stats *s)
{
	free(s->ch_min);
	free(s->ch_max);
	s->ch_min = s->ch_max = NULL;
}

void qx_layer_stats_compare(struct qx_layer_stats *s, const float *x, const float *y, int64_t n)
{
	/* Sums in double: a tensor of millions of values would lose the small differences in a
	 * float sum. */
	double sxx = 0.0, syy = 0.0, sxy = 0.0, see = 0.0, m = s->max_abs;
	for (int64_t i = 0; i < n; i++) {
		double a = x[i], b = y[i], d = a - b;
		sxx += a * a;
		syy += b * b;
		sxy += a * b;
		see += d * d;
		d = fabs(d);
		m = d > m || isnan(d) ? d : m;
	}
	s->sxx += sxx;
	s->syy += syy;
	s->sxy += sxy;
	s->see += see;
	s->max_abs = m;
	s->compared += n;
}

/* nearbyintf without a libm call (the harness is built for baseline x86-64, where it is one per
 * value, and these loops see every value of every activation): adding and subtracting
 * 1.5 * 2^23 rounds half to even in the default rounding mode for |v| < 2^22. Larger values,
 * infinities and NaN are returned as they are: they clamp to the same code either way (from
 * 2^23 on floats are integers already). -ffp-contract=off and no -ffast-math keep the two
 * operations. */
static inline float round_even(float v)
{
	if (!(fabsf(v) < 4194304.0f))
		return v;
	return (v + 12582912.0f) - 12582912.0f;
}

/* x quantized and dequantized with one channel's qparams, as qx_fake_quantize does it;
 * *clip: -1 clamped up to qmin, 1 down to qmax, 0 not clamped. */
static inline float fake_q(float x, float scale, int32_t zp, int32_t qmin, int32_t qmax,
                           int *clip)
{
	float q = round_even(x / scale) + (float)zp;
	*clip = 0;
	if (!(q >= (float)qmin)) { /* NaN too: the lowest code, as the int8 side does */
		q = (float)qmin;
		*clip = -1;
	} else if (q > (float)qmax) {
		q = (float)qmax;
		*clip = 1;
	}
	return (q - (float)zp) * scale;
}

/* ---- the simulated formats (ABI minor 3: FP8, per-group scales, the plugin's own codes) --- */

/* Whether qp needs the simulated formats' arithmetic rather than fake_q's. */
static int is_extended(const struct qx_tensor_qparams *qp)
{
	return qx_qparams_is_fp8(qp) || qp->group_size > 0 || qp->codes;
}

/* The scale of value i (channel c): its group's with per-group scales (the group runs along
 * the channel's row, the other axes in row-major order, as the reference simulation takes
 * it: verify/refsim.c, qx_fake_quantize_constant), else the channel's. */
static float value_scale(const struct qx_tensor_qparams *qp, int64_t i, int c, int64_t inner)
{
	if (qp->group_size <= 0)
		return qp->scales[c];
	int nc = qp->n_channels < 1 ? 1 : qp->n_channels;
	int64_t r = (i / (inner * nc)) * inner + i % inner;
	return qp->group_scales[(int64_t)c * qp->groups + r / qp->group_size];
}

/* Value i of a tensor (x: its fp32 value, c: its channel) as the reference simulation holds
 * it: fp8(x / s) * s for FP8, the integer fake quantization at its group's scale, or the
 * plugin's code dequantized. *clip as fake_q's; FP8 saturates at its largest value, which
 * counts as a clip on the value's side (low for negative values) beyond half a step past it. */
static float fake_ext(const struct qx_tensor_qparams *qp, float x, int64_t i, int c,
                      int64_t inner, int *clip)
{
	float s = value_scale(qp, i, c, inner);
	int32_t zp = qp->zero_points[c];
	if (qx_qparams_is_fp8(qp)) {
		/* As for integers, half a step past the largest value is rounding, not clipping: the
		 * step below the largest value is the top binade's (448 - 416, 57344 - 49152). */
		float v = x / s, fmax = qx_fp8_max(qp->dtype);
		float edge = fmax + 0.5f * qx_fp8_top_step(qp->dtype);
		*clip = v > edge ? 1 : v < -edge ? -1 : 0;
		if (qp->codes)
			return qx_fp8_decode((uint8_t)qp->codes[i], qp->dtype) * s;
		return qx_fp8_round(v, qp->dtype) * s;
	}
	float v = fake_q(x, s, zp, qp->qmin, qp->qmax, clip);
	if (qp->codes) /* the plugin rounded it itself; the clip is the range's all the same */
		return (float)((double)(qp->codes[i] - zp) * (double)s);
	return v;
}

/* Own error (and, with ref, the min/max fit's error) of n values, in one pass over them. */
static void own_and_ref(struct qx_layer_stats *s, const float *x, int64_t n,
                        const struct qx_tensor_qparams *qp, const struct qx_tensor_qparams *ref,
                        int64_t inner, float *fq)
{
	int nc = qp->n_channels < 1 ? 1 : qp->n_channels;
	if (inner < 1)
		inner = 1;
	double sxx = 0.0, see = 0.0, clip_see = 0.0, ref_see = 0.0;
	int64_t lo = 0, hi = 0;
	for (int64_t i = 0; i < n; i++) {
		int c = nc == 1 ? 0 : (int)((i / inner) % nc);
		int clip, unused;
		/* fake_ext is fake_q at the channel's scale for plain integer qparams */
		float v = fake_ext(qp, x[i], i, c, inner, &clip);
		if (fq)
			fq[i] = v;
		double a = x[i], d = a - (double)v;
		sxx += a * a;
		see += d * d;
		lo += clip < 0;
		hi += clip > 0;
		if (clip)
			clip_see += d * d;
		if (ref) {
			double r = a - (double)fake_ext(ref, x[i], i, c, inner, &unused);
			ref_see += r * r;
		}
		if (c < s->n_channels) {
			if (a < s->ch_min[c])
				s->ch_min[c] = a;
			if (a > s->ch_max[c])
				s->ch_max[c] = a;
		}
	}
	s->own_sxx += sxx;
	s->own_see += see;
	s->own_clip_see += clip_see;
	s->ref_see += ref_see;
	s->clip_lo += lo;
	s->clip_hi += hi;
	s->values += n;
}

void qx_layer_stats_own(struct qx_layer_stats *s, const float *x, int64_t n,
                        const struct qx_tensor_qparams *qp, int64_t inner, float *fq)
{
	own_and_ref(s, x, n, qp, NULL, inner, fq);
}

void qx_layer_stats_ref(struct qx_layer_stats *s, const float *x, int64_t n,
                        const struct qx_tensor_qparams *ref, int64_t inner)
{
	int nc = ref->n_channels < 1 ? 1 : ref->n_channels;
	if (inner < 1)
		inner = 1;
	double see = 0.0;
	int ext = is_extended(ref);
	for (int64_t i = 0; i < n; i++) {
		int c = nc == 1 ? 0 : (int)((i / inner) % nc);
		int unused;
		double d = (double)x[i] - (double)(ext ? fake_ext(ref, x[i], i, c, inner, &unused)
		                                       : fake_q(x[i], ref->scales[c],
		                                                ref->zero_points[c], ref->qmin,
		                                                ref->qmax, &unused));
		see += d * d;
	}
	s->ref_see += see;
}

void qx_layer_minmax_qparams(const struct qx_tensor_qparams *qp, const double *ch_min,
                             const double *ch_max, struct qx_tensor_qparams *ref)
{
	float *scales = ref->scales, *group_scales = ref->group_scales;
	int32_t *zps = ref->zero_points;
	*ref = *qp;
	ref->scales = scales;
	ref->zero_points = zps;
	/* The fit rounds as the format does; the plugin's own codes are not the fit's. */
	ref->codes = NULL;
	ref->n_codes = 0;
	ref->group_scales = group_scales;
	if (qx_qparams_is_fp8(qp)) {
		/* FP8's min/max fit: the largest magnitude lands on the format's largest value. */
		for (int c = 0; c < qp->n_channels; c++) {
			double absmax = fmax(fabs(ch_min[c]), fabs(ch_max[c]));
			scales[c] = absmax > 0.0 && isfinite(absmax)
			                    ? (float)(absmax / qx_fp8_max(qp->dtype))
			                    : 1.0f;
			zps[c] = 0;
		}
		return;
	}
	/* PyTorch's default ranges; any other is a customized quant_min / quant_max, which moves
	 * the symmetric uint8 zero point off 128. */
	int custom = !(qp->dtype == QX_PLAN_UINT8 && qp->qmin == 0 && qp->qmax == 255) &&
	             !(qp->dtype == QX_PLAN_INT8 && qp->qmin == -128 && qp->qmax == 127);
	for (int c = 0; c < qp->n_channels; c++) {
		struct qx_qscheme qs = { .dtype = qp->dtype, .symmetric = qp->symmetric,
		                         .qmin = qp->qmin, .qmax = qp->qmax,
		                         .customized_qrange = custom };
		float lo = (float)ch_min[c], hi = (float)ch_max[c];
		if (qx_calculate_qparams(lo, hi, &qs, &scales[c], &zps[c]) != 0) {
			qs.symmetric = 0;
			if (qx_calculate_qparams(lo, hi, &qs, &scales[c], &zps[c]) != 0) {
				scales[c] = 1.0f; /* NaN data: no fit to compare with */
				zps[c] = qp->qmin;
			}
		}
	}
}

double qx_sqnr_db(double signal, double noise)
{
	if (isnan(signal) || isnan(noise))
		return NAN;
	if (noise <= 0.0)
		return INFINITY;
	if (signal <= 0.0)
		return -300.0;
	double db = 10.0 * log10(signal / noise);
	return db < -300.0 ? -300.0 : db;
}

double qx_layer_cosine(const struct qx_layer_stats *s)
{
	if (!s->compared)
		return NAN;
	if (s->sxx == 0.0 && s->syy == 0.0)
		return 1.0;
	if (s->sxx == 0.0 || s->syy == 0.0)
		return 0.0;
	return s->sxy / (sqrt(s->sxx) * sqrt(s->syy));
}

void qx_layer_minmax_group_scales(const struct qx_tensor_qparams *qp, const float *x,
                                  int64_t n, int64_t inner, struct qx_tensor_qparams *ref)
{
	int nc = qp->n_channels < 1 ? 1 : qp->n_channels;
	int64_t all = qp->groups * nc;
	for (int64_t k = 0; k < all; k++)
		ref->group_scales[k] = 0.0f; /* the group's absmax first */
	for (int64_t i = 0; i < n; i++) {
		int c = (int)((i / inner) % nc);
		int64_t r = (i / (inner * nc)) * inner + i % inner;
		float *m = &ref->group_scales[(int64_t)c * qp->groups + r / qp->group_size];
		float a = fabsf(x[i]);
		if (a > *m)
			*m = a;
	}
	int custom = !(qp->dtype == QX_PLAN_UINT8 && qp->qmin == 0 && qp->qmax == 255) &&
	             !(qp->dtype == QX_PLAN_INT8 && qp->qmin == -128 && qp->qmax == 127);
	for (int64_t k = 0; k < all; k++) {
		float absmax = ref->group_scales[k], scale = 1.0f;
		int32_t zp;
		struct qx_qscheme qs = { .dtype = qp->dtype, .symmetric = 1, .qmin = qp->qmin,
		                         .qmax = qp->qmax, .customized_qrange = custom };
		if (!(absmax > 0.0f) || !isfinite(absmax))
			scale = 1.0f; /* all zero (any scale is exact) or not finite: nothing to fit */
		else if (qx_qparams_is_fp8(qp))
			scale = absmax / qx_fp8_max(qp->dtype);
		else if (qx_calculate_qparams(-absmax, absmax, &qs, &scale, &zp) != 0)
			scale = absmax / (float)(qp->qmax > -qp->qmin ? qp->qmax : -qp->qmin);
		ref->group_scales[k] = scale;
	}
	/* The fit is symmetric: the zero point the symmetric range gives (0 for int8). */
	struct qx_qscheme qs = { .dtype = qp->dtype, .symmetric = 1, .qmin = qp->qmin,
	                         .qmax = qp->qmax, .customized_qrange = custom };
	float unused;
	int32_t zp = 0;
	if (!qx_qparams_is_fp8(qp) && qx_calculate_qparams(-1.0f, 1.0f, &qs, &unused, &zp) != 0)
		zp = 0;
	for (int c = 0; c < nc; c++)
		ref->zero_points[c] = qx_qparams_is_fp8(qp) ? 0 : zp;
}

/* ---- ranking ------------------------------------------------------------------------------ */

static int cmp_num(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b); /* unknown last */
	return (a > b) - (a < b);
}

int qx_layer_cmp(double own_a, double prop_a, double own_b, double prop_b)
{
	int c = cmp_num(own_a, own_b);
	return c ? c : cmp_num(prop_a, prop_b);
}

static int cmp_tensor(const void *a, const void *b)
{
	const struct qx_layer_tensor *x = a, *y = b;
	int c = qx_layer_cmp(x->own_sqnr_db, x->propagated ? x->sqnr_db : NAN, y->own_sqnr_db,
	                     y->propagated ? y->sqnr_db : NAN);
	return c ? c : (x->tensor > y->tensor) - (x->tensor < y->tensor);
}

void qx_layer_rank(struct qx_layer_report *r)
{
	if (r->n > 1)
		qsort(r->t, (size_t)r->n, sizeof *r->t, cmp_tensor);
}

/* ---- the measurement ---------------------------------------------------------------------- */

/* One tensor being measured. */
struct entry {
	int tensor;
	int node;                  /* the node it belongs to */
	const char *kind;
	int64_t inner;             /* product of the dims after the per-channel axis */
	struct qx_layer_stats st;
	struct qx_tensor_qparams ref; /* the min/max fit, once the data's range is known */
};

static void entry_free(struct entry *e)
{
	qx_layer_stats_free(&e->st);
	free(e->ref.scales);
	free(e->ref.zero_points);
	free(e->ref.group_scales);
}

static int is_quantized(const struct qx_tensor_qparams *qp)
{
	return qp->dtype == QX_PLAN_UINT8 || qp->dtype == QX_PLAN_INT8 || qx_qparams_is_fp8(qp);
}

/* The tensors plan quantizes, in graph order: each node's quantized inputs first seen there,
 * then its outputs. Biases (int32 at a scale the host derives) are not listed: their error is
 * part of the node's output. */
static int collect(const struct qx_graph *g, const struct qx_quant_plan *plan,
                   struct entry **out, int *n_out)
{
	char *seen = calloc((size_t)g->n_tensors + 1, 1);
	struct entry *e = calloc((size_t)g->n_tensors + 1, sizeof *e);
	if (!seen || !e) {
		free(seen);
		free(e);
		return -1;
	}
	int n = 0;
	for (int k = 0; k < g->n_nodes; k++) {
		const struct qx_node *nd = &g->nodes[k];
		/* Inputs first, then outputs: a Concat may read any number of tensors. */
		for (int j = 0; j < nd->n_in + nd->n_out; j++) {
			int t = j < nd->n_in ? nd->in[j] : nd->out[j - nd->n_in];
			if (t < 0 || t >= g->n_tensors || seen[t] || !is_quantized(&plan->tensor[t]))
				continue;
			seen[t] = 1;
			const struct qx_tensor *tt = &g->tensors[t];
			const struct qx_tensor_qparams *qp = &plan->tensor[t];
			struct entry *x = &e[n];
			x->tensor = t;
			x->node = tt->producer >= 0 ? tt->producer : k;
			x->kind = tt->is_const ? "weight" : tt->producer < 0 ? "input" : "activation";
			x->inner = 1;
			if (qp->n_channels > 1 && qp->axis >= 0)
				for (int d = qp->axis + 1; d < tt->ndim; d++)
					x->inner *= tt->dims[d];
			x->ref.scales = malloc(sizeof(float) * (size_t)qp->n_channels);
			x->ref.zero_points = malloc(sizeof(int32_t) * (size_t)qp->n_channels);
			if (qp->group_size > 0)
				x->ref.group_scales =
					malloc(sizeof(float) * (size_t)(qp->groups * qp->n_channels));
			if (qx_layer_stats_init(&x->st, qp->n_channels) || !x->ref.scales ||
			    !x->ref.zero_points || (qp->group_size > 0 && !x->ref.group_scales)) {
				for (int i = 0; i <= n; i++)
					entry_free(&e[i]);
				free(seen);
				free(e);
				return -1;
			}
			n++;
		}
	}
	free(seen);
	*out = e;
	*n_out = n;
	return 0;
}

/* The figures of one entry once every batch is in. */
static void conclude(const struct qx_graph *g, const struct qx_quant_plan *plan,
                     const struct entry *e, struct qx_layer_tensor *t)
{
	const struct qx_tensor_qparams *qp = &plan->tensor[e->tensor];
	const struct qx_layer_stats *s = &e->st;
	memset(t, 0, sizeof *t);
	t->tensor = e->tensor;
	t->name = g->tensors[e->tensor].name;
	t->node = g->nodes[e->node].name;
	t->op = qx_op_name(g->nodes[e->node].op);
	t->kind = e->kind;
	t->dtype = qp->dtype;
	t->n_channels = qp->n_channels;
	t->group_size = qp->group_size;
	t->values = s->values;
	t->own_sqnr_db = qx_sqnr_db(s->own_sxx, s->own_see);
	t->minmax_sqnr_db = qx_sqnr_db(s->own_sxx, s->ref_see);
	t->loss_db = isfinite(t->own_sqnr_db) && isfinite(t->minmax_sqnr_db)
	                     ? t->minmax_sqnr_db - t->own_sqnr_db
	                     : NAN;
	t->propagated = s->compared > 0;
	t->sqnr_db = t->propagated ? qx_sqnr_db(s->sxx, s->see) : NAN;
	t->cosine = qx_layer_cosine(s);
	t->max_abs = t->propagated ? s->max_abs : NAN;
	t->clipped_low = s->values ? (double)s->clip_lo / (double)s->values : 0.0;
	t->clipped_high = s->values ? (double)s->clip_hi / (double)s->values : 0.0;
	t->clip_error_share = s->own_see > 0.0 ? s->own_clip_see / s->own_see : 0.0;
	t->q_lo = INFINITY;
	t->q_hi = -INFINITY;
	t->d_lo = INFINITY;
	t->d_hi = -INFINITY;
	t->range_ratio = NAN;
	int fp8 = qx_qparams_is_fp8(qp);
	for (int c = 0; c < s->n_channels; c++) {
		/* Per-group scales: the channel's widest group. */
		double sc = qp->scales[c];
		for (int64_t k = 0; qp->group_size > 0 && k < qp->groups; k++)
			sc = k ? fmax(sc, qp->group_scales[c * qp->groups + k])
			       : qp->group_scales[c * qp->groups];
		double fmax8 = fp8 ? qx_fp8_max(qp->dtype) : 0.0;
		double lo = fp8 ? -fmax8 * sc : ((double)qp->qmin - qp->zero_points[c]) * sc;
		double hi = fp8 ? fmax8 * sc : ((double)qp->qmax - qp->zero_points[c]) * sc;
		t->q_lo = fmin(t->q_lo, lo);
		t->q_hi = fmax(t->q_hi, hi);
		if (!(s->ch_min[c] <= s->ch_max[c]))
			continue; /* no value of this channel seen */
		t->d_lo = fmin(t->d_lo, s->ch_min[c]);
		t->d_hi = fmax(t->d_hi, s->ch_max[c]);
		double width = fmax(s->ch_max[c], 0.0) - fmin(s->ch_min[c], 0.0);
		if (width > 0.0 && (isnan(t->range_ratio) || (hi - lo) / width > t->range_ratio))
			t->range_ratio = (hi - lo) / width;
	}
	if (!(t->d_lo <= t->d_hi))
		t->d_lo = t->d_hi = NAN;
}

/* The per-channel range of n values (the first pass over an activation). */
static void range_of(struct qx_layer_stats *s, const float *x, int64_t n, int n_channels,
                     int64_t inner)
{
	int nc = n_channels < 1 ? 1 : n_channels;
	for (int64_t i = 0; i < n; i++) {
		int c = nc == 1 ? 0 : (int)((i / (inner < 1 ? 1 : inner)) % nc);
		double a = x[i];
		if (c < s->n_channels) {
			if (a < s->ch_min[c])
				s->ch_min[c] = a;
			if (a > s->ch_max[c])
				s->ch_max[c] = a;
		}
	}
}

/* Values of activation t that belong to the first n images of a batch of `batch`. */
static int64_t image_values(const struct qx_tensor *t, int64_t batch, int64_t n)
{
	int64_t all = qx_tensor_numel(t);
	if (t->ndim < 1 || t->dims[0] != batch || batch <= 0)
		return all; /* no batch dimension to cut the padding off: every value counts */
	return all / batch * n;
}

/* Activation t (count values) as the simulated plan's model holds it where it is quantized:
 * the simulation's value fake-quantized with t's qparams. The simulation keeps a float
 * producer's output float for float readers, and a quantized value is its own fake
 * quantization, so this is the value every quantized reader sees either way. */
static int sim_read(const struct qx_refsim *sim, const struct qx_tensor_qparams *qp, int t,
                    int64_t inner, int64_t count, float *out)
{
	const float *v = qx_refsim_tensor(sim, t);
	if (!v)
		return -1;
	int nc = qp->n_channels < 1 ? 1 : qp->n_channels;
	for (int64_t i = 0; i < count; i++) {
		int c = nc == 1 ? 0 : (int)((i / inner) % nc), unused;
		out[i] = is_extended(qp) ? fake_ext(qp, v[i], i, c, inner, &unused)
		                         : fake_q(v[i], qp->scales[c], qp->zero_points[c], qp->qmin,
		                                  qp->qmax, &unused);
	}
	return 0;
}

/* One thread's models and buffers for the passes over the images (util/batch_pass.h), kept
 * from the first pass to the second. */
struct layer_thread {
	struct qx_exec_f32 *f32;
	struct qx_exec_q8 *q8;
	struct qx_refsim *sim;     /* a simulated plan's quantized model: no int8 kernel runs it */
	float *images, *tmp;
	struct qx_layer_stats *st; /* [n]: this thread's per-channel ranges; sums go per batch */
};

struct layer_job {
	const struct qx_graph *g;
	const struct qx_quant_plan *plan;
	const struct qx_kernels *k;
	int64_t batch, n_images, image_floats, most;
	const struct qx_dataset *ds;
	const struct qx_preprocess *pp;
	struct entry *e;
	int n, pass;
	/* pass 1: each batch's sums per entry ([n_batches * n], channel ranges left out), added up
	 * in batch order afterwards, so the double sums do not depend on the thread count */
	struct qx_layer_stats *sums;
	struct layer_thread t[QX_BATCH_PASS_MAX_THREADS];
};

static int layer_init(void *ctx, int thread, struct qx_error *err)
{
	struct layer_job *job = ctx;
	struct layer_thread *t = &job->t[thread];
	int rc = 0;
	if (!t->images) {
		t->images = calloc((size_t)(job->batch * job->image_floats), sizeof(float));
		t->tmp = malloc(sizeof(float) * (size_t)job->most);
		t->st = calloc((size_t)job->n + 1, sizeof *t->st);
		if (!t->images || !t->tmp || !t->st)
			return qx_fail_nomem(err, "measuring per-layer error");
		for (int i = 0; i < job->n; i++)
			if (qx_layer_stats_init(&t->st[i], job->e[i].st.n_channels))
				return qx_fail_nomem(err, "measuring per-layer error");
		rc = qx_exec_f32_create(job->g, job->batch, job->k, &t->f32, err);
	}
	if (!rc && job->pass == 1 && !t->q8 && !t->sim)
		rc = job->plan->simulated
		             ? qx_refsim_create(job->g, job->plan, job->batch, job->k, &t->sim, err)
		             : qx_exec_q8_create(job->g, job->plan, job->batch, job->k, &t->q8, err);
	return rc;
}

static void layer_thread_free(struct layer_thread *t, int n)
{
	for (int i = 0; t->st && i < n; i++)
		qx_layer_stats_free(&t->st[i]);
	free(t->st);
	free(t->images);
	free(t->tmp);
	qx_exec_f32_free(t->f32);
	qx_exec_q8_free(t->q8);
	qx_refsim_free(t->sim);
	memset(t, 0, sizeof *t);
}

static int layer_batch(void *ctx, int thread, int64_t b, struct qx_error *err)
{
	struct layer_job *job = ctx;
	struct layer_thread *t = &job->t[thread];
	int64_t m = qx_dataset_preprocess_batch(job->ds, job->pp, b, job->batch, job->n_images,
	                                        t->images);
	const float *in = t->images;
	int rc = qx_exec_f32_run(t->f32, &in, err);
	if (!rc && job->pass == 1)
		rc = t->sim ? qx_refsim_run(t->sim, &in, err) : qx_exec_q8_run(t->q8, &in, err);
	const struct qx_graph *sg = qx_exec_f32_graph(t->f32);
	for (int i = 0; !rc && i < job->n; i++) {
		const struct entry *e = &job->e[i];
		const struct qx_tensor *tt = &sg->tensors[e->tensor];
		if (tt->is_const)
			continue;
		const float *x = qx_exec_f32_tensor(t->f32, e->tensor);
		int64_t count = image_values(tt, job->batch, m);
		const struct qx_tensor_qparams *qp = &job->plan->tensor[e->tensor];
		if (job->pass == 0) {
			range_of(&t->st[i], x, count, qp->n_channels, e->inner);
			continue;
		}
		/* This batch's sums alone, beside the thread's channel ranges (which own_and_ref
		 * also updates: the same values pass 0 saw). */
		struct qx_layer_stats *s = &job->sums[b * job->n + i];
		*s = (struct qx_layer_stats){ .n_channels = t->st[i].n_channels,
		                              .ch_min = t->st[i].ch_min, .ch_max = t->st[i].ch_max };
		own_and_ref(s, x, count, qp, &e->ref, e->inner, NULL);
		if (t->sim ? sim_read(t->sim, qp, e->tensor, e->inner, count, t->tmp) == 0
		           : qx_exec_q8_read_int8(t->q8, e->tensor, t->tmp) == 0)
			qx_layer_stats_compare(s, x, t->tmp, count);
		s->ch_min = s->ch_max = NULL;
	}
	return rc;
}

/* Adds one batch's sums (b) into an entry's (a), as the one-thread loop did batch by batch. */
static void add_sums(struct qx_layer_stats *a, const struct qx_layer_stats *b)
{
	a->compared += b->compared;
	a->sxx += b->sxx;
	a->syy += b->syy;
	a->sxy += b->sxy;
	a->see += b->see;
	a->max_abs = b->max_abs > a->max_abs || isnan(b->max_abs) ? b->max_abs : a->max_abs;
	a->values += b->values;
	a->own_sxx += b->own_sxx;
	a->own_see += b->own_see;
	a->clip_lo += b->clip_lo;
	a->clip_hi += b->clip_hi;
	a->own_clip_see += b->own_clip_see;
	a->ref_see += b->ref_see;
}

/* The threads' channel ranges into the entries' (minima and maxima: order does not matter). */
static void merge_ranges(struct layer_job *job, int threads)
{
	for (int t = 0; t < threads; t++)
		for (int i = 0; job->t[t].st && i < job->n; i++) {
			struct qx_layer_stats *a = &job->e[i].st;
			const struct qx_layer_stats *s = &job->t[t].st[i];
			for (int c = 0; c < a->n_channels && c < s->n_channels; c++) {
				a->ch_min[c] = s->ch_min[c] < a->ch_min[c] ? s->ch_min[c] : a->ch_min[c];
				a->ch_max[c] = s->ch_max[c] > a->ch_max[c] ? s->ch_max[c] : a->ch_max[c];
			}
		}
}

int qx_layer_error(const struct qx_graph *g, const struct qx_quant_plan *plan,
                   const struct qx_kernels *k, int64_t batch, const struct qx_dataset *ds,
                   const struct qx_preprocess *pp, int64_t n_images, int threads,
                   struct qx_layer_report *out, struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (plan->n_tensors != g->n_tensors || plan->n_nodes != g->n_nodes)
		return qx_fail(err, QX_EINTERNAL, "%s: the plan was made for another graph", g->path);
	if (n_images > ds->count)
		n_images = ds->count;
	if (n_images < 0)
		n_images = 0;
	if (threads < 1)
		threads = 1;
	if (threads > QX_BATCH_PASS_MAX_THREADS)
		threads = QX_BATCH_PASS_MAX_THREADS;
	struct entry *e = NULL;
	int n = 0;
	if (collect(g, plan, &e, &n))
		return qx_fail_nomem(err, "measuring per-layer error");
	struct layer_job *job = calloc(1, sizeof *job);
	struct qx_exec_f32 *f32 = NULL; /* the sizes at this batch (g keeps its own shapes) */
	int rc = job ? qx_exec_f32_create(g, batch, k, &f32, err)
	             : qx_fail_nomem(err, "measuring per-layer error");
	const struct qx_graph *sg = rc ? g : qx_exec_f32_graph(f32);
	int64_t most = 1;
	for (int i = 0; i < n; i++) {
		int64_t c = qx_tensor_numel(&sg->tensors[e[i].tensor]);
		most = c > most ? c : most;
	}
	float *tmp = rc ? NULL : malloc(sizeof(float) * (size_t)most);
	if (!rc && !tmp)
		rc = qx_fail_nomem(err, "measuring per-layer error");
	/* Weights are constants: measured once, their int8 form being their fake quantization,
	 * their range known at once. */
	for (int i = 0; !rc && i < n; i++) {
		const struct qx_tensor *t = &sg->tensors[e[i].tensor];
		if (!t->is_const)
			continue;
		int64_t count = qx_tensor_numel(t);
		const struct qx_tensor_qparams *qp = &plan->tensor[e[i].tensor];
		qx_layer_stats_own(&e[i].st, t->data, count, qp, e[i].inner, tmp);
		qx_layer_stats_compare(&e[i].st, t->data, tmp, count);
		qx_layer_minmax_qparams(qp, e[i].st.ch_min, e[i].st.ch_max, &e[i].ref);
		if (qp->group_size > 0)
			qx_layer_minmax_group_scales(qp, t->data, count, e[i].inner, &e[i].ref);
		qx_layer_stats_ref(&e[i].st, t->data, count, &e[i].ref, e[i].inner);
	}
	free(tmp);
	/* An activation's min/max fit needs its range over the whole sample first: one fp32 pass
	 * for the ranges, then both models for everything else. A plan that quantizes weights
	 * alone (dynamic) needs no image. */
	int activations = 0;
	for (int i = 0; i < n; i++)
		activations += !sg->tensors[e[i].tensor].is_const;
	int64_t n_batches = (n_images + batch - 1) / batch;
	if (!rc && activations && n_batches > 0) {
		*job = (struct layer_job){ .g = g, .plan = plan, .k = k, .batch = batch,
		                           .n_images = n_images,
		                           .image_floats = (int64_t)ds->c * ds->h * ds->w,
		                           .most = most, .ds = ds, .pp = pp, .e = e, .n = n };
		job->sums = calloc((size_t)(n_batches * n) + 1, sizeof *job->sums);
		if (!job->sums)
			rc = qx_fail_nomem(err, "measuring per-layer error");
		int used = 0;
		for (int pass = 0; !rc && pass < 2; pass++) {
			job->pass = pass;
			struct qx_batch_pass bp = {
				.what = "the per-layer error", .n_batches = n_batches, .threads = threads,
				.ctx = job, .init = layer_init, .run = layer_batch,
			};
			int u = qx_batch_pass_run(&bp, err);
			rc = u < 0 ? u : 0;
			used = u > used ? u : used;
			if (!rc && pass == 0) {
				merge_ranges(job, used);
				for (int i = 0; i < n; i++)
					if (!sg->tensors[e[i].tensor].is_const)
						qx_layer_minmax_qparams(&plan->tensor[e[i].tensor], e[i].st.ch_min,
						                        e[i].st.ch_max, &e[i].ref);
			}
		}
		for (int64_t b = 0; !rc && b < n_batches; b++)
			for (int i = 0; i < n; i++)
				if (!sg->tensors[e[i].tensor].is_const)
					add_sums(&e[i].st, &job->sums[b * n + i]);
		if (!rc)
			out->images = n_images;
		for (int t = 0; t < QX_BATCH_PASS_MAX_THREADS; t++)
			layer_thread_free(&job->t[t], n);
		free(job->sums);
	}
	if (!rc) {
		out->t = calloc((size_t)n + 1, sizeof *out->t);
		if (!out->t)
			rc = qx_fail_nomem(err, "measuring per-layer error");
	}
	for (int i = 0; !rc && i < n; i++)
		conclude(g, plan, &e[i], &out->t[i]);
	if (!rc)
		out->n = n;
	for (int i = 0; i < n; i++)
		entry_free(&e[i]);
	free(e);
	free(job);
	qx_exec_f32_free(f32);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
	if (rc)
		qx_layer_report_free(out);
	return rc;
}

void qx_layer_report_free(struct qx_layer_report *r)
{
	free(r->t);
	r->t = NULL;
	r->n = 0;
}
