/* Implementation of ptq_static.h (declarations and documentation there). */
#include "ptq_static.h"

int qxp_uses_calib_hist(int act_observer)
{
	return act_observer == QXP_ACT_PERCENTILE || act_observer == QXP_ACT_ENTROPY ||
	       act_observer == QXP_ACT_MSE;
}

void qxp_ptq_destroy(void *p)
{
	struct qxp_ptq *s = p;
	if (!s)
		return;
	for (int32_t i = 0; i < s->n_observers; i++) {
		qxp_hist_free(&s->observers[i].hist);
		qxp_calib_hist_free(&s->observers[i].chist);
	}
	for (int32_t i = 0; i < s->n_weights; i++)
		qxp_weight_free(&s->weights[i]);
	free(s->observers);
	free(s->weights);
	free(s->node_modes);
	free(s->observer_of);
	free(s->observe);
	free(s->members);
	free(s->plan_tensors);
	free(s->plan_ops);
	free(s);
}

int qxp_ptq_create(const struct qx_host *host, const struct qx_graph_view *view,
                   const struct qxp_ptq_config *cfg, void **state)
{
	struct qxp_ptq *s = calloc(1, sizeof *s);
	if (s) {
		s->node_modes = calloc((size_t)view->n_nodes + 1, sizeof *s->node_modes);
		s->observer_of = calloc((size_t)view->n_tensors + 1, sizeof *s->observer_of);
		s->observe = calloc((size_t)view->n_tensors + 1, sizeof *s->observe);
		s->members = calloc((size_t)view->n_tensors + 1, sizeof *s->members);
		s->weights = calloc((size_t)view->n_nodes + 1, sizeof *s->weights);
	}
	if (!s || !s->node_modes || !s->observer_of || !s->observe || !s->members || !s->weights) {
		qxp_ptq_destroy(s);
		host->error(host, "out of memory for the state of a model of %d nodes and %d tensors",
		            (int)view->n_nodes, (int)view->n_tensors);
		return QX_STATUS_NOMEM;
	}
	s->host = host;
	s->view = view;
	s->cfg = *cfg;
	*state = s;
	return QX_STATUS_OK;
}

int qxp_is_activation(const struct qx_graph_view *view, int32_t t)
{
	return t >= 0 && t < view->n_tensors && !view->tensors[t].is_const &&
	       view->tensors[t].is_float;
}

int qxp_keeps_qparams(const struct qx_graph_view *view, int32_t n)
{
	return qx_view_node_keeps_qparams(view, n);
}

int qxp_quantizes(const struct qxp_ptq_config *cfg, const struct qx_view_node *nd)
{
	if (nd->op == QX_VIEW_OP_FLATTEN)
		return cfg->flatten_int8;
	return 1;
}

int qxp_fixed_qparams(int32_t op)
{
	return op == QX_VIEW_OP_SIGMOID;
}

int32_t qxp_find(int32_t *parent, int32_t t)
{
	while (parent[t] != t) {
		parent[t] = parent[parent[t]];
		t = parent[t];
	}
	return t;
}

void qxp_union(int32_t *parent, int32_t a, int32_t b)
{
	a = qxp_find(parent, a);
	b = qxp_find(parent, b);
	if (a != b)
		parent[a > b ? a : b] = a < b ? a : b;
}

int qxp_check_view(const struct qx_host *host, const struct qx_graph_view *view)
{
	for (int32_t n = 0; n < view->n_nodes; n++) {
		const struct qx_view_node *nd = &view->nodes[n];
		for (int32_t j = 0; j < nd->n_inputs; j++)
			if (nd->inputs[j] < -1 || nd->inputs[j] >= view->n_tensors) {
				host->error(host, "node '%s': input %d is tensor %d (expected -1..%d)",
				            nd->name, (int)j, (int)nd->inputs[j], (int)view->n_tensors - 1);
				return QX_STATUS_ERROR;
			}
		for (int32_t j = 0; j < nd->n_outputs; j++)
			if (nd->outputs[j] < 0 || nd->outputs[j] >= view->n_tensors) {
				host->error(host, "node '%s': output %d is tensor %d (expected 0..%d)",
				            nd->name, (int)j, (int)nd->outputs[j], (int)view->n_tensors - 1);
				return QX_STATUS_ERROR;
			}
	}
	return QX_STATUS_OK;
}

int qxp_choose_modes(struct qxp_ptq *s, const struct qx_graph_view *view)
{
	for (int32_t n = 0; n < view->n_nodes; n++) {
		const struct qx_view_node *nd = &view->nodes[n];
		s->node_modes[n] = QX_MODE_FLOAT;
		if (!(nd->modes & QX_MODE_BIT(QX_MODE_STATIC)) || !qxp_quantizes(&s->cfg, nd))
			continue;
		if (nd->weight >= 0) {
			int32_t axis = s->cfg.per_channel_weights ? nd->weight_axis : -1;
			int32_t same = -1;
			for (int32_t i = 0; i < s->n_weights && same < 0; i++)
				if (s->weights[i].tensor == nd->weight)
					same = i;
			if (same >= 0 && s->weights[same].axis != axis) {
				s->host->log(s->host, QX_LOG_WARN, "node '%s' stays float: its weight '%s' "
				             "is shared with node '%s', which needs it per channel along "
				             "another axis", nd->name, view->tensors[nd->weight].name,
				             view->nodes[s->weights[same].node].name);
				continue;
			}
			if (same < 0) {
				int rc = qxp_weight_qparams(s->host, view, n, s->cfg.per_channel_weights,
				                            &s->weights[s->n_weights]);
				if (rc)
					return rc;
				s->n_weights++;
			}
		}
		s->node_modes[n] = QX_MODE_STATIC;
	}
	return QX_STATUS_OK;
}

int qxp_fused_add_output(const struct qxp_ptq *s, const struct qx_graph_view *view,
                         int32_t t)
{
	const struct qx_view_tensor *vt = &view->tensors[t];
	if (vt->producer < 0 || vt->producer >= view->n_nodes || vt->is_graph_output ||
	    (view->nodes[vt->producer].op != QX_VIEW_OP_ADD &&
	     view->nodes[vt->producer].op != QX_VIEW_OP_MUL) ||
	    s->node_modes[vt->producer] != QX_MODE_STATIC)
		return 0;
	int readers = 0, relu = 0;
	for (int32_t n = 0; n < view->n_nodes; n++)
		for (int32_t j = 0; j < view->nodes[n].n_inputs; j++)
			if (view->nodes[n].inputs[j] == t) {
				readers++;
				relu = view->nodes[n].op == QX_VIEW_OP_RELU && j == 0 &&
				       s->node_modes[n] == QX_MODE_STATIC;
			}
	return readers == 1 && relu;
}

int qxp_make_observers(struct qxp_ptq *s, const struct qx_graph_view *view)
{
	const int32_t T = view->n_tensors;
	int32_t *parent = malloc(((size_t)T + 1) * sizeof *parent);
	char *member = calloc((size_t)T + 1, 1);
	int32_t *first_of_root = malloc(((size_t)T + 1) * sizeof *first_of_root);
	char *fixed_root = calloc((size_t)T + 1, 1); /* roots of classes with fixed qparams */
	int rc = QX_STATUS_OK;
	if (!parent || !member || !first_of_root || !fixed_root) {
		s->host->error(s->host, "out of memory for the observers of %d tensors", (int)T);
		rc = QX_STATUS_NOMEM;
		goto out;
	}
	for (int32_t t = 0; t < T; t++) {
		parent[t] = t;
		first_of_root[t] = -1;
		s->observer_of[t] = -1;
	}
	for (int32_t n = 0; n < view->n_nodes; n++) {
		const struct qx_view_node *nd = &view->nodes[n];
		if (s->node_modes[n] != QX_MODE_STATIC)
			continue;
		for (int32_t j = 0; j < nd->n_inputs; j++) {
			int32_t t = nd->inputs[j];
			if (t != nd->weight && t != nd->bias && qxp_is_activation(view, t))
				member[t] = 1;
		}
		int32_t out = nd->n_outputs > 0 ? nd->outputs[0] : -1;
		if (!qxp_is_activation(view, out))
			continue;
		member[out] = 1;
		if (qxp_keeps_qparams(view, n) && nd->n_inputs > 0 &&
		    qxp_is_activation(view, nd->inputs[0]))
			qxp_union(parent, out, nd->inputs[0]);
		if (nd->op == QX_VIEW_OP_CONCAT)
			for (int32_t j = 0; j < nd->n_inputs; j++)
				if (qxp_is_activation(view, nd->inputs[j]))
					qxp_union(parent, out, nd->inputs[j]);
	}
	/* classes holding the output of a fixed-qparams node take those qparams */
	for (int32_t n = 0; n < view->n_nodes; n++)
		if (s->node_modes[n] == QX_MODE_STATIC && qxp_fixed_qparams(view->nodes[n].op) &&
		    view->nodes[n].n_outputs > 0 && qxp_is_activation(view, view->nodes[n].outputs[0]))
			fixed_root[qxp_find(parent, view->nodes[n].outputs[0])] = 1;
	/* execution order: graph inputs, then each node's outputs */
	s->n_observe = s->n_members = 0;
	for (int32_t pass = 0; pass < 2; pass++) {
		for (int32_t i = 0; i < (pass ? view->n_nodes : view->n_inputs); i++) {
			const struct qx_view_node *nd = pass ? &view->nodes[i] : NULL;
			int32_t n_t = pass ? nd->n_outputs : 1;
			for (int32_t j = 0; j < n_t; j++) {
				int32_t t = pass ? nd->outputs[j] : view->inputs[i];
				if (t < 0 || t >= T || !member[t] || s->observer_of[t] >= 0)
					continue;
				int32_t root = qxp_find(parent, t);
				if (first_of_root[root] < 0)
					first_of_root[root] = s->n_observers++;
				s->observer_of[t] = first_of_root[root];
				s->members[s->n_members++] = t;
				if (!qxp_fused_add_output(s, view, t) && !fixed_root[root])
					s->observe[s->n_observe++] = t;
			}
		}
	}
	for (int32_t t = 0; t < T; t++)
		if (member[t] && s->observer_of[t] < 0) {
			s->host->error(s->host, "tensor '%s' is neither a graph input nor any node's output "
			               "(expected every activation to have a producer)",
			               view->tensors[t].name);
			rc = QX_STATUS_ERROR;
			goto out;
		}
	s->observers = calloc((size_t)s->n_observers + 1, sizeof *s->observers);
	if (!s->observers) {
		s->host->error(s->host, "out of memory for %d observers", (int)s->n_observers);
		rc = QX_STATUS_NOMEM;
		goto out;
	}
	for (int32_t i = 0; i < s->n_observers; i++) {
		struct qxp_observer *o = &s->observers[i];
		o->tensor = -1;
		o->min_val = QX_MINMAX_EMPTY_MIN;
		o->max_val = QX_MINMAX_EMPTY_MAX;
	}
	for (int32_t i = 0; i < s->n_members; i++) {
		struct qxp_observer *o = &s->observers[s->observer_of[s->members[i]]];
		if (o->tensor < 0)
			o->tensor = s->members[i];
		o->fixed = fixed_root[qxp_find(parent, s->members[i])];
	}
	for (int32_t i = 0; i < s->n_observers && s->cfg.act_observer == QXP_ACT_HISTOGRAM; i++)
		if (qxp_hist_init(&s->observers[i].hist, s->cfg.bins, s->cfg.upsample_rate,
		                  s->cfg.exact_bounds)) {
			s->host->error(s->host, "out of memory for %d histograms of %d bins",
			               (int)s->n_observers, (int)s->cfg.bins);
			rc = QX_STATUS_NOMEM;
			goto out;
		}
	for (int32_t i = 0; i < s->n_observers && qxp_uses_calib_hist(s->cfg.act_observer); i++)
		if (qxp_calib_hist_init(&s->observers[i].chist, s->cfg.bins)) {
			s->host->error(s->host, "out of memory for %d histograms of %d bins",
			               (int)s->n_observers, (int)s->cfg.bins);
			rc = QX_STATUS_NOMEM;
			goto out;
		}
out:
	free(parent);
	free(member);
	free(first_of_root);
	free(fixed_root);
	return rc;
}

int qxp_ptq_prepare(void *p, const struct qx_graph_view *view,
                    struct qx_prepare *out)
{
	struct qxp_ptq *s = p;
	int rc = qxp_check_view(s->host, view);
	if (!rc)
		rc = qxp_choose_modes(s, view);
	if (!rc)
		rc = qxp_make_observers(s, view);
	if (rc)
		return rc;
	int n_static = 0;
	for (int32_t n = 0; n < view->n_nodes; n++)
		n_static += s->node_modes[n] == QX_MODE_STATIC;
	s->host->log(s->host, QX_LOG_INFO, "%d of %d nodes static; %d observers over %d tensors",
	             n_static, (int)view->n_nodes, (int)s->n_observers, (int)s->n_observe);
	out->n_observe = s->n_observe;
	out->observe = s->observe;
	out->node_modes = s->node_modes;
	return QX_STATUS_OK;
}

int qxp_observe(struct qxp_ptq *s, struct qxp_observer *o, const float *x, int64_t n)
{
	if (n <= 0)
		return QX_STATUS_OK;
	float lo = QX_MINMAX_EMPTY_MIN, hi = QX_MINMAX_EMPTY_MAX;
	switch (s->cfg.act_observer) {
	case QXP_ACT_MINMAX:
		qx_minmax_update(x, n, &o->min_val, &o->max_val);
		break;
	case QXP_ACT_MOVING_AVERAGE:
		qx_minmax_update(x, n, &lo, &hi);
		if (o->min_val == INFINITY && o->max_val == -INFINITY) {
			o->min_val = lo;
			o->max_val = hi;
		} else {
			const float c = s->cfg.averaging_constant;
			o->min_val = o->min_val + c * (lo - o->min_val);
			o->max_val = o->max_val + c * (hi - o->max_val);
		}
		break;
	case QXP_ACT_HISTOGRAM:
		if (qxp_hist_observe(&o->hist, x, n))
			return QX_STATUS_UNSUPPORTED;
		if (o->hist.clipped && !s->warned_clip) {
			s->warned_clip = 1;
			s->host->log(s->host, QX_LOG_WARN, "tensor '%s': combining histograms ran past "
			             "the end of the combined range, where torch 1.13 raises; the excess "
			             "was dropped", s->view->tensors[o->tensor].name);
		}
		break;
	case QXP_ACT_PERCENTILE:
	case QXP_ACT_ENTROPY:
	case QXP_ACT_MSE:
		if (qxp_calib_hist_observe(&o->chist, x, n))
			return QX_STATUS_UNSUPPORTED;
		break;
	}
	o->calls++;
	return QX_STATUS_OK;
}

int qxp_ptq_calibrate(void *p, const struct qx_batch *batch)
{
	struct qxp_ptq *s = p;
	const struct qx_graph_view *view = s->view;
	if (batch->n_tensors != s->n_observe || (s->n_observe && !batch->tensors)) {
		s->host->error(s->host, "batch %d: %d tensors (expected the %d prepare() asked for)",
		               (int)batch->index, (int)batch->n_tensors, (int)s->n_observe);
		return QX_STATUS_ERROR;
	}
	for (int32_t i = 0; i < batch->n_tensors; i++) {
		const struct qx_observed *ot = &batch->tensors[i];
		if (ot->tensor != s->observe[i] || ot->numel < 0 || (ot->numel > 0 && !ot->data)) {
			s->host->error(s->host, "batch %d, entry %d: tensor %d with %lld values (expected "
			               "tensor %d '%s' with data, the order prepare() asked for)",
			               (int)batch->index, (int)i, (int)ot->tensor, (long long)ot->numel,
			               (int)s->observe[i], view->tensors[s->observe[i]].name);
			return QX_STATUS_ERROR;
		}
		struct qxp_observer *o = &s->observers[s->observer_of[ot->tensor]];
		int rc = qxp_observe(s, o, ot->data, ot->numel);
		if (rc) {
			s->host->error(s->host, "tensor '%s' (batch %d): NaN or infinite values, or a range "
			               "the histogram cannot hold (expected finite activations; PyTorch's "
			               "HistogramObserver raises on them too)", view->tensors[ot->tensor].name,
			               (int)batch->index);
			return rc;
		}
	}
	return QX_STATUS_OK;
}

int qxp_observer_qparams(struct qxp_ptq *s, struct qxp_observer *o)
{
	const char *name = s->view->tensors[o->tensor].name;
	if (o->fixed) {
		o->scale = QXP_FIXED_SCALE;
		o->zero_point = 0;
		return QX_STATUS_OK;
	}
	if (o->calls == 0) {
		s->host->error(s->host, "tensor '%s': no calibration data reached its observer "
		               "(expected at least one calibration batch: static quantization needs "
		               "observed ranges)", name);
		return QX_STATUS_ERROR;
	}
	/* symmetric zero point: with reduce_range, PyTorch's valid form is an observer given
	 * quant_min=0, quant_max=127 (default_observer's), zero point 63; without, the plain
	 * quint8 observer, zero point 128 */
	struct qx_qscheme qs = { .dtype = QX_PLAN_UINT8, .symmetric = s->cfg.symmetric,
	                         .customized_qrange = s->cfg.reduce_range };
	qx_qrange(QX_PLAN_UINT8, s->cfg.reduce_range, &qs.qmin, &qs.qmax);
	float lo = o->min_val, hi = o->max_val;
	switch (s->cfg.act_observer) {
	case QXP_ACT_HISTOGRAM:
		qxp_hist_search(&o->hist, &lo, &hi);
		break;
	case QXP_ACT_PERCENTILE:
		qxp_calib_percentile(&o->chist, s->cfg.percentile, s->cfg.symmetric, &lo, &hi);
		break;
	case QXP_ACT_ENTROPY:
		/* the target levels are the quantized range's: 128 with reduce_range, 256 without */
		qxp_calib_entropy(&o->chist, qs.qmax - qs.qmin + 1, &lo, &hi);
		break;
	case QXP_ACT_MSE:
		qxp_calib_mse(&o->chist, &qs, &lo, &hi);
		break;
	}
	if (qx_calculate_qparams(lo, hi, &qs, &o->scale, &o->zero_point)) {
		s->host->error(s->host, "tensor '%s': observed range [%g, %g] gives no scale (expected "
		               "finite activations)", name, (double)lo, (double)hi);
		return QX_STATUS_UNSUPPORTED;
	}
	return QX_STATUS_OK;
}

int qxp_ptq_convert(void *p, struct qx_plan *plan)
{
	struct qxp_ptq *s = p;
	const struct qx_graph_view *view = s->view;
	for (int32_t i = 0; i < s->n_observers; i++) {
		int rc = qxp_observer_qparams(s, &s->observers[i]);
		if (rc)
			return rc;
	}
	int32_t n_entries = s->n_members + s->n_weights;
	s->plan_tensors = calloc((size_t)n_entries + 1, sizeof *s->plan_tensors);
	s->plan_ops = calloc((size_t)view->n_nodes + 1, sizeof *s->plan_ops);
	if (!s->plan_tensors || !s->plan_ops) {
		s->host->error(s->host, "out of memory for a plan of %d tensors and %d nodes",
		               (int)n_entries, (int)view->n_nodes);
		return QX_STATUS_NOMEM;
	}
	int32_t qmin, qmax;
	qx_qrange(QX_PLAN_UINT8, s->cfg.reduce_range, &qmin, &qmax);
	for (int32_t i = 0; i < s->n_members; i++) {
		struct qxp_observer *o = &s->observers[s->observer_of[s->members[i]]];
		struct qx_plan_tensor *pt = &s->plan_tensors[i];
		pt->tensor = s->members[i];
		pt->dtype = QX_PLAN_UINT8;
		pt->symmetric = o->fixed ? 0 : s->cfg.symmetric;
		pt->axis = -1;
		pt->n_channels = 1;
		pt->qmin = o->fixed ? 0 : qmin;
		pt->qmax = o->fixed ? 255 : qmax;
		pt->scales = &o->scale;
		pt->zero_points = &o->zero_point;
	}
	for (int32_t i = 0; i < s->n_weights; i++)
		s->plan_tensors[s->n_members + i] = qxp_weight_plan_entry(&s->weights[i]);
	for (int32_t n = 0; n < view->n_nodes; n++) {
		s->plan_ops[n].node = n;
		s->plan_ops[n].mode = s->node_modes[n];
	}
	plan->n_tensors = n_entries;
	plan->tensors = s->plan_tensors;
	plan->n_ops = view->n_nodes;
	plan->ops = s->plan_ops;
	return QX_STATUS_OK;
}

const char *const qxp_flatten_modes[] = { "float", "int8", NULL };

const char *const qxp_granularity[] = { "per_tensor", "per_channel", NULL };

const char *const qxp_observers[] = { "global_minmax", "moving_average", "histogram",
                                             "percentile", "entropy", "mse", NULL };

int qxp_parse_common_options(const struct qx_host *host,
                             const struct qx_option_decl *decls, int32_t n_decls,
                             const struct qx_option *options, int32_t n_options,
                             struct qxp_ptq_config *cfg)
{
	int rc = qx_option_declared_choice(host, decls, n_decls, options, n_options, "weights",
	                                   &cfg->per_channel_weights);
	if (!rc)
		rc = qx_option_declared_bool(host, decls, n_decls, options, n_options, "symmetric",
		                             &cfg->symmetric);
	if (!rc)
		rc = qx_option_declared_bool(host, decls, n_decls, options, n_options,
		                             "reduce_range", &cfg->reduce_range);
	if (!rc)
		rc = qx_option_declared_choice(host, decls, n_decls, options, n_options, "flatten",
		                               &cfg->flatten_int8);
	return rc;
}

int qxp_parse_minmax_options(const struct qx_host *host,
                             const struct qx_option_decl *decls, int32_t n_decls,
                             const struct qx_option *options, int32_t n_options,
                             struct qxp_ptq_config *cfg)
{
	const char *known[24];
	int32_t n_known = 0;
	for (int32_t i = 0; i < n_decls && n_known < 23; i++)
		known[n_known++] = decls[i].key;
	known[n_known] = NULL;
	double c = 0.01, p = 99.99;
	int64_t bins = 2048;
	int rc = qx_options_check_keys(host, options, n_options, known);
	if (!rc)
		rc = qx_option_declared_choice(host, decls, n_decls, options, n_options, "qparams",
		                               &cfg->act_observer);
	const char *calc = rc ? "" : qxp_observers[cfg->act_observer];
	/* each calculator option with the calculators that take it */
	static const struct {
		const char *key, *takers;
		int mask;
	} own[] = {
		{ "averaging_constant", "qparams: moving_average", 1 << QXP_ACT_MOVING_AVERAGE },
		{ "bins", "qparams: histogram, percentile, entropy or mse",
		  1 << QXP_ACT_HISTOGRAM | 1 << QXP_ACT_PERCENTILE | 1 << QXP_ACT_ENTROPY |
		  1 << QXP_ACT_MSE },
		{ "percentile", "qparams: percentile", 1 << QXP_ACT_PERCENTILE },
	};
	for (size_t i = 0; !rc && i < sizeof own / sizeof own[0]; i++) {
		const char *v = qx_option_value(options, n_options, own[i].key);
		if (v && !(own[i].mask & (1 << cfg->act_observer))) {
			host->error(host, "option '%s': '%s' does not apply to qparams: %s (expected it "
			            "only with %s)", own[i].key, v, calc, own[i].takers);
			rc = QX_STATUS_BAD_OPTION;
		}
	}
	if (!rc)
		rc = qx_option_declared_number(host, decls, n_decls, options, n_options,
		                               "averaging_constant", &c);
	if (!rc)
		rc = qx_option_declared_number(host, decls, n_decls, options, n_options, "percentile",
		                               &p);
	int calib = qxp_uses_calib_hist(cfg->act_observer);
	if (!rc)
		rc = qx_option_declared_int(host, decls, n_decls, options, n_options, "bins", &bins);
	if (!rc && calib && bins < QXP_CALIB_MIN_BINS) {
		host->error(host, "option 'bins': '%lld' is out of range (expected an even integer "
		            "from %d to %d with qparams: %s)", (long long)bins, QXP_CALIB_MIN_BINS,
		            QXP_MAX_BINS, calc);
		rc = QX_STATUS_BAD_OPTION;
	}
	if (!rc && calib && bins % 2) {
		host->error(host, "option 'bins': '%s' is odd (expected an even integer from %d to "
		            "%d: qparams: %s bins values on both sides of zero)",
		            qx_option_value(options, n_options, "bins"), QXP_CALIB_MIN_BINS,
		            QXP_MAX_BINS, calc);
		rc = QX_STATUS_BAD_OPTION;
	}
	if (!rc)
		rc = qxp_parse_common_options(host, decls, n_decls, options, n_options, cfg);
	cfg->averaging_constant = (float)c;     /* PyTorch applies it as a float32 scalar */
	cfg->percentile = p;
	cfg->bins = (int32_t)bins;
	/* the histogram calculator is the histogram plugin's default HistogramObserver */
	cfg->upsample_rate = 128;
	cfg->exact_bounds = 0;
	return rc;
}

int qxp_host_ok(const struct qx_host *host)
{
	if (host->abi_major == QX_ABI_MAJOR)
		return 1;
	host->error(host, "host ABI %u.%u (expected major %d)", host->abi_major, host->abi_minor,
	            QX_ABI_MAJOR);
	return 0;
}
