/* The suite's plugins: list: each entry's name or path, label, options (kept as strings with
 * their positions) and timeout. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite/suite_parse.h"

#define MAX_PLUGINS 64          /* entries in plugins:, as written */
#define MAX_VALUES 64           /* elements in one swept list */

static const char *const PLUGIN_KEYS[] = {
	"name", "path", "label", "options", "timeout", "calibration", "sensitivity", "fallback", NULL
};
static const char *const PLUGIN_CALIBRATION_KEYS[] = { "count", "first", NULL };
static const char *const SENSITIVITY_KEYS[] = { "images", NULL };
static const char *const FALLBACK_KEYS[] = { "max_drop", "images", NULL };
static const char *const DEFAULT_PLUGINS[] = {
	"dynamic", "static-per-tensor", "static-per-channel", "histogram"
};

/* One key of an entry as written: one value, or a list of values (a sweep). */
struct written {
	const char *key;                /* as the label spells it; borrowed */
	int option;                     /* index in the entry's options; CALIB_COUNT, CALIB_FIRST */
	yaml_node_t *vals[MAX_VALUES];  /* n scalars */
	int n;
	bool list;
};
#define CALIB_COUNT (-1)
#define CALIB_FIRST (-2)
#define MAX_WRITTEN (MAX_VALUES + 2)

/* What a swept value may hold, since it becomes part of the label (and of file names). */
static bool valid_label_value(const char *v)
{
	if (!v[0])
		return false;
	for (; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') || (*v >= '0' && *v <= '9') ||
		      *v == '.' || *v == '_' || *v == '-' || *v == '+'))
			return false;
	return true;
}

/* A value or a list of values (each checked by check() when not NULL) into w. */
static int read_values(struct qx_yaml *y, yaml_node_t *v, const char *sub, struct written *w,
                       int (*check)(struct qx_yaml *, yaml_node_t *, const char *))
{
	if (v->type == YAML_SCALAR_NODE && !qx_yaml_is_null(v)) {
		w->vals[0] = v;
		w->n = 1;
		return check ? check(y, v, sub) : 0;
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return qx_yaml_fail(y, v, QX_EINVAL, "%s: got %s (expected a single value: number, "
		                    "word or quoted string; or a list of them to sweep)", sub,
		                    v->type == YAML_SCALAR_NODE ? "nothing" : "a mapping");
	int len = (int)(v->data.sequence.items.top - v->data.sequence.items.start);
	if (len < 1 || len > MAX_VALUES)
		return qx_yaml_fail(y, v, QX_EINVAL, "%s: a list of %d values (expected 1 to %d values "
		                    "to sweep)", sub, len, MAX_VALUES);
	w->list = true;
	w->n = len;
	for (int i = 0; i < len; i++) {
		yaml_node_t *e = qx_yaml_item(y, v, i);
		char at[128];
		snprintf(at, sizeof at, "%s[%d]", sub, i);
		if (e->type != YAML_SCALAR_NODE || qx_yaml_is_null(e))
			return qx_yaml_fail(y, e, QX_EINVAL, "%s: got %s (expected a single value: number, "
			                    "word or quoted string)", at,
			                    e->type == YAML_SCALAR_NODE ? "nothing" :
			                    e->type == YAML_MAPPING_NODE ? "a mapping" : "a list");
		const char *text = (const char *)e->data.scalar.value;
		if (strlen(text) != e->data.scalar.length || !valid_label_value(text))
			return qx_yaml_fail(y, e, QX_EINVAL, "%s: '%s' cannot be part of a results label "
			                    "(expected a swept value of letters, digits, '.', '_', '-', '+')",
			                    at, text);
		int rc = check ? check(y, e, at) : 0;
		if (rc)
			return rc;
		for (int j = 0; j < i; j++)
			if (!strcmp((const char *)w->vals[j]->data.scalar.value, text))
				return qx_yaml_fail(y, e, QX_EINVAL, "%s: '%s' again, first at %d:%d (expected "
				                    "each value once)", at, text, qx_yaml_pos(w->vals[j]).line,
				                    qx_yaml_pos(w->vals[j]).column);
		w->vals[i] = e;
	}
	return 0;
}

static int check_count(struct qx_yaml *y, yaml_node_t *n, const char *what)
{
	int64_t v;
	return qx_yaml_int(y, n, what, 1, INT32_MAX, &v);
}

static int check_first(struct qx_yaml *y, yaml_node_t *n, const char *what)
{
	int64_t v;
	return qx_yaml_int(y, n, what, 0, INT64_MAX, &v);
}

static int parse_options(struct qx_yaml *y, yaml_node_t *n, const char *what,
                         struct qx_suite_plugin *p, struct written *w, int *n_w)
{
	if (n->type != YAML_MAPPING_NODE)
		return qx_yaml_fail(y, n, QX_EINVAL, "%s: got %s (expected a mapping of option "
		                    "names to values, e.g. { bins: 2048 })", what,
		                    n->type == YAML_SEQUENCE_NODE ? "a list" :
		                    qx_yaml_is_null(n) ? "nothing" : "a single value");
	p->options_pos = qx_yaml_pos(n);
	int len = (int)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (!len)
		return 0;
	if (len > MAX_VALUES)
		return qx_yaml_fail(y, n, QX_EINVAL, "%s: %d options (expected at most %d)", what, len,
		                    MAX_VALUES);
	p->options = calloc((size_t)len, sizeof *p->options);
	if (!p->options)
		return qx_suite_nomem(y);
	for (int i = 0; i < len; i++) {
		yaml_node_pair_t *pair = n->data.mapping.pairs.start + i;
		yaml_node_t *k = qx_yaml_node(y, pair->key), *v = qx_yaml_node(y, pair->value);
		struct qx_suite_option *o = &p->options[i];
		int rc = qx_yaml_string(y, k, what, "option names", &o->key);
		if (rc)
			return rc;
		p->n_options = i + 1;
		for (int j = 0; j < i; j++)
			if (!strcmp(p->options[j].key, o->key))
				return qx_yaml_fail(y, k, QX_EINVAL, "%s: duplicate option '%s', first at "
				                    "%d:%d (expected each option once)", what, o->key,
				                    p->options[j].key_pos.line, p->options[j].key_pos.column);
		o->key_pos = qx_yaml_pos(k);
		char sub[96];
		snprintf(sub, sizeof sub, "%s.%s", what, o->key);
		struct written *wi = &w[(*n_w)++];
		memset(wi, 0, sizeof *wi);
		wi->key = o->key;
		wi->option = i;
		rc = read_values(y, v, sub, wi, NULL);
		if (rc)
			return rc;
	}
	return 0;
}

/* The entry's own calibration: { count, first }, each a value or a list; the suite's when
 * absent. */
static int parse_plugin_calibration(struct qx_yaml *y, yaml_node_t *n, const char *what,
                                    struct qx_suite_plugin *p, struct written *w, int *n_w)
{
	int rc = qx_yaml_check_mapping(y, n, what, PLUGIN_CALIBRATION_KEYS);
	if (rc)
		return rc;
	/* An option of the same name keeps its name in the label; the calibration key is then
	 * spelt in full. */
	bool count_taken = false, first_taken = false;
	for (int i = 0; i < p->n_options; i++) {
		count_taken |= !strcmp(p->options[i].key, "count");
		first_taken |= !strcmp(p->options[i].key, "first");
	}
	static const struct {
		const char *key, *full;
		int id;
		int (*check)(struct qx_yaml *, yaml_node_t *, const char *);
	} keys[] = { { "count", "calibration.count", CALIB_COUNT, check_count },
	             { "first", "calibration.first", CALIB_FIRST, check_first } };
	for (int i = 0; i < 2; i++) {
		yaml_node_t *v = qx_yaml_get(y, n, keys[i].key, NULL);
		if (!v)
			continue;
		char sub[96];
		snprintf(sub, sizeof sub, "%s.%s", what, keys[i].key);
		struct written *wi = &w[(*n_w)++];
		memset(wi, 0, sizeof *wi);
		bool taken = keys[i].id == CALIB_COUNT ? count_taken : first_taken;
		wi->key = taken ? keys[i].full : keys[i].key;
		wi->option = keys[i].id;
		rc = read_values(y, v, sub, wi, keys[i].check);
		if (rc)
			return rc;
	}
	return 0;
}

/* images: N of sensitivity: or fallback: (0 when absent: the default). Any count >= 1 is
 * taken: the run clamps it to its evaluation set, whose size --limit may change. */
static int parse_images(struct qx_yaml *y, yaml_node_t *map, const char *what, int64_t *out)
{
	yaml_node_t *images = qx_yaml_get(y, map, "images", NULL);
	*out = 0;
	if (!images)
		return 0;
	char sub[96];
	snprintf(sub, sizeof sub, "%s.images", what);
	return qx_yaml_int(y, images, sub, 1, INT64_MAX, out);
}

/* sensitivity: { images: N } and fallback: { max_drop: B, images: N }. */
static int parse_investigate(struct qx_yaml *y, yaml_node_t *n, const char *what,
                             struct qx_suite_plugin *p)
{
	char sub[64];
	yaml_node_t *sens = qx_yaml_get(y, n, "sensitivity", NULL);
	if (sens) {
		snprintf(sub, sizeof sub, "%s.sensitivity", what);
		int rc = qx_yaml_check_mapping(y, sens, sub, SENSITIVITY_KEYS);
		if (!rc)
			rc = parse_images(y, sens, sub, &p->sensitivity_images);
		if (rc)
			return rc;
		p->sensitivity = true;
		p->sensitivity_pos = qx_yaml_pos(sens);
	}
	yaml_node_t *fb = qx_yaml_get(y, n, "fallback", NULL);
	if (!fb)
		return 0;
	snprintf(sub, sizeof sub, "%s.fallback", what);
	int rc = qx_yaml_check_mapping(y, fb, sub, FALLBACK_KEYS);
	if (rc)
		return rc;
	yaml_node_t *max_drop = qx_yaml_get(y, fb, "max_drop", NULL);
	if (!max_drop)
		return qx_yaml_fail(y, fb, QX_EINVAL, "%s: missing 'max_drop' (expected the accuracy "
		                    "drop allowed against fp32, in points, e.g. { max_drop: 0.2 })",
		                    sub);
	char sub2[96];
	snprintf(sub2, sizeof sub2, "%s.max_drop", sub);
	rc = qx_yaml_number(y, max_drop, sub2, 0, false, 100, &p->fallback_max_drop);
	if (!rc)
		rc = parse_images(y, fb, sub, &p->fallback_images);
	if (rc)
		return rc;
	p->fallback = true;
	p->fallback_pos = qx_yaml_pos(fb);
	return 0;
}

/* A label from an explicit .so path: its base name without ".so". */
static char *label_from_path(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t len = strlen(base);
	if (len > 3 && !strcmp(base + len - 3, ".so"))
		len -= 3;
	return strndup(base, len);
}

/* One entry as written, into the template p (option values left NULL) and its written keys. */
static int parse_plugin(struct qx_yaml *y, const struct qx_suite *s, yaml_node_t *n, int index,
                        struct qx_suite_plugin *p, struct written *w, int *n_w)
{
	char what[32], sub[48];
	snprintf(what, sizeof what, "plugins[%d]", index);
	int rc = qx_yaml_check_mapping(y, n, what, PLUGIN_KEYS);
	if (rc)
		return rc;
	p->pos = qx_yaml_pos(n);
	p->timeout_s = 600;
	static const char name_expected[] = "letters, digits, '.', '_', '-'";
	yaml_node_t *path_key, *name = qx_yaml_get(y, n, "name", NULL);
	yaml_node_t *path = qx_yaml_get(y, n, "path", &path_key);
	if (name && path)
		return qx_yaml_fail(y, path_key, QX_EINVAL, "%s: both 'name' and 'path' (expected one "
		                    "of them)", what);
	if (!name && !path)
		return qx_yaml_fail(y, n, QX_EINVAL, "%s: missing 'name' or 'path' (expected a "
		                    "built-in plugin name or the path of a plugin .so)", what);
	if (name) {
		snprintf(sub, sizeof sub, "%s.name", what);
		rc = qx_yaml_string(y, name, sub, "a plugin name", &p->name);
		if (rc)
			return rc;
		if (!qx_suite_valid_name(p->name) || strstr(p->name, ".so"))
			return qx_yaml_fail(y, name, QX_EINVAL, "%s: '%s' is not a plugin name (expected "
			                    "%s; use path: for a .so file)", sub, p->name, name_expected);
		p->name_pos = qx_yaml_pos(name);
	} else {
		snprintf(sub, sizeof sub, "%s.path", what);
		rc = qx_suite_get_path(y, s, path, sub, "the path of a plugin .so", &p->path);
		if (rc)
			return rc;
		p->name_pos = qx_yaml_pos(path);
	}
	yaml_node_t *label = qx_yaml_get(y, n, "label", NULL);
	if (label) {
		snprintf(sub, sizeof sub, "%s.label", what);
		rc = qx_yaml_string(y, label, sub, "a results name", &p->label);
		if (rc)
			return rc;
		if (!qx_suite_valid_name(p->label))
			return qx_yaml_fail(y, label, QX_EINVAL, "%s: '%s' cannot name results (expected "
			                    "%s, not starting with '.')", sub, p->label, name_expected);
	} else {
		p->label = p->name ? strdup(p->name) : label_from_path(p->path);
		if (!p->label)
			return qx_suite_nomem(y);
		if (!qx_suite_valid_name(p->label))
			return qx_yaml_fail(y, path, QX_EINVAL, "%s.path: cannot name results after "
			                    "'%s' (expected a label: key with %s)", what, p->label,
			                    name_expected);
	}
	yaml_node_t *options = qx_yaml_get(y, n, "options", NULL);
	if (options) {
		snprintf(sub, sizeof sub, "%s.options", what);
		rc = parse_options(y, options, sub, p, w, n_w);
		if (rc)
			return rc;
	}
	yaml_node_t *calibration = qx_yaml_get(y, n, "calibration", NULL);
	if (calibration) {
		snprintf(sub, sizeof sub, "%s.calibration", what);
		rc = parse_plugin_calibration(y, calibration, sub, p, w, n_w);
		if (rc)
			return rc;
	}
	yaml_node_t *timeout = qx_yaml_get(y, n, "timeout", NULL);
	if (timeout) {
		snprintf(sub, sizeof sub, "%s.timeout", what);
		rc = qx_yaml_number(y, timeout, sub, 0, true, 86400, &p->timeout_s);
	}
	if (!rc)
		rc = parse_investigate(y, n, what, p);
	return rc;
}

void qx_suite_plugin_free(struct qx_suite_plugin *p)
{
	free(p->label);
	free(p->sweep_base);
	for (int j = 0; j < p->n_sweep; j++) {
		free(p->sweep[j].key);
		free(p->sweep[j].value);
	}
	free(p->sweep);
	free(p->name);
	free(p->path);
	for (int j = 0; j < p->n_options; j++) {
		free(p->options[j].key);
		free(p->options[j].value);
	}
	free(p->options);
	memset(p, 0, sizeof *p);
}

static char *dup_or_null(const char *v, bool *failed)
{
	char *out = v ? strdup(v) : NULL;
	*failed |= v && !out;
	return out;
}

/* Configuration c of the template t (0 <= c < the product of the lists) into p. */
static int configure(struct qx_yaml *y, const struct qx_suite *s, const struct qx_suite_plugin *t,
                     const struct written *w, int n_w, int64_t c, struct qx_suite_plugin *p)
{
	bool failed = false;
	*p = (struct qx_suite_plugin){
		.name = dup_or_null(t->name, &failed), .path = dup_or_null(t->path, &failed),
		.timeout_s = t->timeout_s, .pos = t->pos, .name_pos = t->name_pos,
		.options_pos = t->options_pos,
		.calib_count = s->calibration.count, .calib_first = s->calibration.first,
		.calib_count_pos = s->calibration.count_pos, .calib_first_pos = s->calibration.first_pos,
		/* every configuration of a sweep is investigated alike */
		.sensitivity = t->sensitivity, .sensitivity_images = t->sensitivity_images,
		.sensitivity_pos = t->sensitivity_pos, .fallback = t->fallback,
		.fallback_max_drop = t->fallback_max_drop, .fallback_images = t->fallback_images,
		.fallback_pos = t->fallback_pos,
	};
	if (t->n_options) {
		p->options = calloc((size_t)t->n_options, sizeof *p->options);
		failed |= !p->options;
	}
	int n_lists = 0;
	for (int i = 0; i < n_w; i++)
		n_lists += w[i].list;
	if (n_lists) {
		p->sweep = calloc((size_t)n_lists, sizeof *p->sweep);
		failed |= !p->sweep;
	}
	if (failed)
		return qx_suite_nomem(y);
	p->n_options = t->n_options;
	/* The last written key varies fastest. */
	int pick[MAX_WRITTEN];
	for (int i = n_w - 1; i >= 0; i--) {
		pick[i] = (int)(c % w[i].n);
		c /= w[i].n;
	}
	for (int i = 0; i < t->n_options; i++) {
		p->options[i].key = dup_or_null(t->options[i].key, &failed);
		p->options[i].key_pos = t->options[i].key_pos;
	}
	size_t label_len = strlen(t->label) + 3;
	for (int i = 0; i < n_w; i++) {
		yaml_node_t *v = w[i].vals[pick[i]];
		const char *text = (const char *)v->data.scalar.value;
		struct qx_suite_pos at = qx_yaml_pos(v);
		if (w[i].option >= 0) {
			p->options[w[i].option].value = dup_or_null(text, &failed);
			p->options[w[i].option].value_pos = at;
		} else if (w[i].option == CALIB_COUNT) {
			p->calib_count = strtoll(text, NULL, 10);
			p->calib_count_pos = at;
		} else {
			p->calib_first = strtoll(text, NULL, 10);
			p->calib_first_pos = at;
		}
		if (w[i].list) {
			struct qx_suite_sweep_value *sv = &p->sweep[p->n_sweep++];
			sv->key = dup_or_null(w[i].key, &failed);
			sv->value = dup_or_null(text, &failed);
			sv->calibration = w[i].option < 0;
			label_len += strlen(w[i].key) + strlen(text) + 2;
		}
	}
	if (n_lists) {
		p->sweep_base = dup_or_null(t->label, &failed);
		p->label = malloc(label_len);
		if (p->label) {
			size_t at = (size_t)snprintf(p->label, label_len, "%s[", t->label);
			for (int i = 0; i < p->n_sweep; i++)
				at += (size_t)snprintf(p->label + at, label_len - at, "%s%s=%s", i ? "," : "",
				                       p->sweep[i].key, p->sweep[i].value);
			snprintf(p->label + at, label_len - at, "]");
		}
	} else {
		p->label = dup_or_null(t->label, &failed);
	}
	failed |= !p->label;
	return failed ? qx_suite_nomem(y) : 0;
}

/* Appends the configurations of the template t (entry index, node n) to s->plugins. */
static int expand(struct qx_yaml *y, struct qx_suite *s, yaml_node_t *n, int index,
                  const struct qx_suite_plugin *t, const struct written *w, int n_w)
{
	int64_t total = 1;
	for (int i = 0; i < n_w && total <= QX_SUITE_MAX_CONFIGS; i++)
		total *= w[i].n;
	if (total > QX_SUITE_MAX_CONFIGS) {
		char sizes[256] = "";
		for (int i = 0, first = 1; i < n_w; i++)
			if (w[i].list) {
				size_t len = strlen(sizes);
				snprintf(sizes + len, sizeof sizes - len, "%s%d %s", first ? "" : " x ",
				         w[i].n, w[i].key);
				first = 0;
			}
		return qx_yaml_fail(y, n, QX_EINVAL, "plugins[%d]: its lists sweep more than %d "
		                    "configurations (%s; expected at most %d: shorten a list)", index,
		                    QX_SUITE_MAX_CONFIGS, sizes, QX_SUITE_MAX_CONFIGS);
	}
	if (s->n_plugins + total > QX_SUITE_MAX_CONFIGS)
		return qx_yaml_fail(y, n, QX_EINVAL, "plugins[%d]: brings the suite to %lld plugin "
		                    "configurations (expected at most %d in all)", index,
		                    (long long)(s->n_plugins + total), QX_SUITE_MAX_CONFIGS);
	struct qx_suite_plugin *grown = realloc(s->plugins, sizeof *grown *
	                                        (size_t)(s->n_plugins + total));
	if (!grown)
		return qx_suite_nomem(y);
	s->plugins = grown;
	for (int64_t c = 0; c < total; c++) {
		struct qx_suite_plugin *p = &s->plugins[s->n_plugins++];
		int rc = configure(y, s, t, w, n_w, c, p);
		if (rc)
			return rc;
		for (int j = 0; j < s->n_plugins - 1; j++)
			if (!strcmp(s->plugins[j].label, p->label))
				return qx_yaml_fail(y, n, QX_EINVAL, "plugins[%d]: '%s' again, first at "
				                    "%d:%d (expected each plugin once; give a repeated one "
				                    "another label:)", index, p->label, s->plugins[j].pos.line,
				                    s->plugins[j].pos.column);
	}
	return 0;
}

static int default_plugins(struct qx_yaml *y, struct qx_suite *s)
{
	int count = (int)(sizeof DEFAULT_PLUGINS / sizeof DEFAULT_PLUGINS[0]);
	s->plugins = calloc((size_t)count, sizeof *s->plugins);
	if (!s->plugins)
		return qx_suite_nomem(y);
	for (int i = 0; i < count; i++) {
		struct qx_suite_plugin *p = &s->plugins[i];
		s->n_plugins = i + 1;
		p->name = strdup(DEFAULT_PLUGINS[i]);
		p->label = strdup(DEFAULT_PLUGINS[i]);
		p->timeout_s = 600;
		p->calib_count = s->calibration.count;
		p->calib_first = s->calibration.first;
		p->calib_count_pos = s->calibration.count_pos;
		p->calib_first_pos = s->calibration.first_pos;
		if (!p->name || !p->label)
			return qx_suite_nomem(y);
	}
	return 0;
}

/* The calibration images any entry uses. */
static void calibration_span(struct qx_suite *s)
{
	int64_t lo = INT64_MAX, hi = 0;
	for (int i = 0; i < s->n_plugins; i++) {
		const struct qx_suite_plugin *p = &s->plugins[i];
		if (p->calib_first < lo)
			lo = p->calib_first;
		if (p->calib_first + p->calib_count > hi)
			hi = p->calib_first + p->calib_count;
	}
	s->calibration.span_first = s->n_plugins ? lo : s->calibration.first;
	s->calibration.span_count = s->n_plugins ? hi - lo : s->calibration.count;
}

static int parse_entries(struct qx_yaml *y, struct qx_suite *s, yaml_node_t *root)
{
	yaml_node_t *n = qx_yaml_get(y, root, "plugins", NULL);
	if (!n)
		return default_plugins(y, s);
	int rc = qx_yaml_check_list(y, n, "plugins", 1, MAX_PLUGINS,
	                            "plugin entries (name: or path:, options:, calibration:, "
	                            "timeout:)");
	if (rc)
		return rc;
	int len = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
	struct written *w = malloc(sizeof *w * MAX_WRITTEN);
	if (!w)
		return qx_suite_nomem(y);
	for (int i = 0; !rc && i < len; i++) {
		struct qx_suite_plugin t = { 0 };
		int n_w = 0;
		yaml_node_t *item = qx_yaml_item(y, n, i);
		rc = parse_plugin(y, s, item, i, &t, w, &n_w);
		if (!rc)
			rc = expand(y, s, item, i, &t, w, n_w);
		qx_suite_plugin_free(&t);
	}
	free(w);
	return rc;
}

int qx_suite_parse_plugins(struct qx_yaml *y, struct qx_suite *s, yaml_node_t *root)
{
	int rc = parse_entries(y, s, root);
	if (!rc)
		calibration_span(s);
	return rc;
}
