/* The suite's plugins: list: each entry's name or path, label, options (kept as strings with
 * their positions) and timeout. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "suite_parse.h"

#define MAX_PLUGINS 64

static const char *const PLUGIN_KEYS[] = { "name", "path", "label", "options", "timeout",
                                           "sensitivity", "fallback", NULL };
static const char *const SENSITIVITY_KEYS[] = { "images", NULL };
static const char *const FALLBACK_KEYS[] = { "max_drop", "images", NULL };
static const char *const DEFAULT_PLUGINS[] = {
	"dynamic", "static-per-tensor", "static-per-channel", "histogram"
};

static int parse_options(struct qx_yaml *y, yaml_node_t *n, const char *what,
                         struct qx_suite_plugin *p)
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
		if (v->type != YAML_SCALAR_NODE || qx_yaml_is_null(v))
			return qx_yaml_fail(y, v, QX_EINVAL, "%s: got %s (expected a single value: number, "
			                    "word or quoted string)", sub,
			                    v->type == YAML_SCALAR_NODE ? "nothing" :
			                    v->type == YAML_MAPPING_NODE ? "a mapping" : "a list");
		o->value = strndup((const char *)v->data.scalar.value, v->data.scalar.length);
		if (!o->value)
			return qx_suite_nomem(y);
		o->value_pos = qx_yaml_pos(v);
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

static int parse_plugin(struct qx_yaml *y, const struct qx_suite *s, yaml_node_t *n, int index,
                        struct qx_suite_plugin *p)
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
		rc = parse_options(y, options, sub, p);
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
		if (!p->name || !p->label)
			return qx_suite_nomem(y);
	}
	return 0;
}

int qx_suite_parse_plugins(struct qx_yaml *y, struct qx_suite *s, yaml_node_t *root)
{
	yaml_node_t *n = qx_yaml_get(y, root, "plugins", NULL);
	if (!n)
		return default_plugins(y, s);
	int rc = qx_yaml_check_list(y, n, "plugins", 1, MAX_PLUGINS,
	                            "plugin entries (name: or path:, options:, timeout:)");
	if (rc)
		return rc;
	int len = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
	s->plugins = calloc((size_t)len, sizeof *s->plugins);
	if (!s->plugins)
		return qx_suite_nomem(y);
	for (int i = 0; i < len; i++) {
		struct qx_suite_plugin *p = &s->plugins[i];
		s->n_plugins = i + 1;
		yaml_node_t *item = qx_yaml_item(y, n, i);
		rc = parse_plugin(y, s, item, i, p);
		if (rc)
			return rc;
		for (int j = 0; j < i; j++)
			if (!strcmp(s->plugins[j].label, p->label))
				return qx_yaml_fail(y, item, QX_EINVAL, "plugins[%d]: '%s' again, first at "
				                    "%d:%d (expected each plugin once; give a repeated one "
				                    "another label:)", i, p->label, s->plugins[j].pos.line,
				                    s->plugins[j].pos.column);
	}
	return 0;
}
