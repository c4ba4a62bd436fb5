#include "cli/run_checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "measure/topology.h"
#include "plugin/host.h"
#include "qx/plugin.h"
#include "util/list.h"

#define FALLBACK_SUFFIX "+fallback"

/* Whether an entry of --plugins of n characters at p names label "L+fallback" (the row a
 * fallback makes of plugin L, as repro.txt's lines name it). */
static int names_fallback_of(const char *p, size_t n, const char *label)
{
	size_t len = strlen(label), suffix = strlen(FALLBACK_SUFFIX);
	return n == len + suffix && !strncmp(p, label, len) &&
	       !strncmp(p + len, FALLBACK_SUFFIX, suffix);
}

/* Whether the comma-separated list holds name, or name's fallback row: that row needs its
 * plugin's. */
static int in_list(const char *list, const char *name)
{
	size_t n;
	const char *item;
	for (const char *p = list; qx_list_next(&p, &item, &n);)
		if ((n == strlen(name) && strncmp(item, name, n) == 0) ||
		    names_fallback_of(item, n, name))
			return 1;
	return 0;
}

int qx_run_plugin_selected(const struct qx_run_options *opt, const char *label)
{
	return !opt->only_plugins || in_list(opt->only_plugins, label);
}

/* Every label --plugins names must be one of the suite's (or "none"): a typo would otherwise
 * run nothing and say nothing. */
static int check_plugin_filter(const struct qx_suite *s, const struct qx_run_options *opt,
                               struct qx_error *err)
{
	const char *list = opt->only_plugins;
	if (!list || strcmp(list, "none") == 0)
		return 0;
	size_t n;
	const char *p;
	for (const char *at = list; qx_list_next(&at, &p, &n);) {
		int found = 0;
		for (int i = 0; i < s->n_plugins && !found; i++)
			found = (strlen(s->plugins[i].label) == n && !strncmp(s->plugins[i].label, p, n)) ||
			        ((s->plugins[i].fallback || opt->fallback) &&
			         names_fallback_of(p, n, s->plugins[i].label));
		if (!found) {
			char labels[512] = "";
			for (int i = 0; i < s->n_plugins; i++)
				snprintf(labels + strlen(labels), sizeof labels - strlen(labels), "%s%s",
				         i ? ", " : "", s->plugins[i].label);
			return qx_fail(err, QX_EINVAL, "--plugins: '%.*s' is not a plugin of %s (expected "
			               "none or some of: %s)", (int)n, p, s->path, labels);
		}
	}
	return 0;
}

int qx_run_check_plugins(const struct qx_suite *s, const struct qx_run_options *opt,
                         struct qx_error *err)
{
	int rc = check_plugin_filter(s, opt, err);
	for (int i = 0; !rc && i < s->n_plugins; i++) {
		const struct qx_suite_plugin *p = &s->plugins[i];
		if (!qx_run_plugin_selected(opt, p->label))
			continue;
		char *path = NULL;
		struct qx_error ferr = { 0 };
		rc = qx_plugin_find(p, &path, &ferr);
		free(path);
		if (rc == QX_ENOMEM)
			*err = ferr;
		else if (rc)
			rc = qx_suite_fail_at(s, p->name_pos, err, rc, "%s", ferr.msg);
	}
	return rc;
}

int qx_run_check_plugin_options(const struct qx_suite *s, const struct qx_run_options *opt,
                                struct qx_graph *g, struct qx_error *err)
{
	for (int i = 0; i < s->n_plugins; i++) {
		const struct qx_suite_plugin *p = &s->plugins[i];
		/* every plugin, options or none: create() may refuse what is missing (a required
		 * option), and that too must fail here, before any evaluation */
		if (!qx_run_plugin_selected(opt, p->label))
			continue;
		struct qx_plugin_calib only = { .batch = s->calibration.batch, .log_level = QX_LOG_ERROR,
		                                .options_only = 1 };
		struct qx_plugin_result res;
		struct qx_error perr = { 0 };
		int rc = qx_plugin_run(p, g, &only, &res, &perr);
		int refused = rc && res.fault == QX_PLUGIN_RETURNED_ERROR && !strcmp(res.stage, "create");
		struct qx_suite_pos at = p->n_options == 0 ? p->pos
		                       : res.bad_option < 0 ? p->options_pos
		                       : res.bad_option_key ? p->options[res.bad_option].key_pos
		                                            : p->options[res.bad_option].value_pos;
		qx_plugin_result_free(&res);
		if (rc == QX_ENOMEM || rc == QX_EINTERRUPTED) {
			*err = perr;
			return rc;
		}
		if (refused)
			return qx_suite_fail_at(s, at, err, QX_EINVAL, "%s", perr.msg);
	}
	return 0;
}

/* "scalar, avx2, avx512vnni": the sets this CPU runs. */
static void available_sets(char *buf, size_t size)
{
	buf[0] = '\0';
	for (int k = 0; k < QX_KSET_COUNT; k++)
		if (qx_kernels_available((enum qx_kset)k, NULL))
			snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", buf[0] ? ", " : "",
			         qx_kset_name((enum qx_kset)k));
}

int qx_run_check_kernels(const struct qx_suite *s, const struct qx_run_options *opt,
                         struct qx_error *err)
{
	const char *list = opt->kernels;
	if (list ? !strcmp(list, "auto") || !strcmp(list, "all")
	         : s->kernels_mode != QX_SUITE_KERNELS_LISTED)
		return 0;
	char have[128];
	for (int k = 0; k < QX_KSET_COUNT; k++) {
		enum qx_kset set = (enum qx_kset)k;
		int named = 0;
		if (list) {
			named = qx_list_has(list, qx_kset_name(set));
		} else {
			for (int j = 0; j < s->n_kernel_sets; j++)
				named |= s->kernel_sets[j] == set;
		}
		const char *why = NULL;
		if (!named || qx_kernels_available(set, &why))
			continue;
		available_sets(have, sizeof have);
		if (list)
			return qx_fail(err, QX_EUNSUPPORTED, "--kernels %s: %s is not available on this "
			               "machine (%s) (expected some of: %s, or auto)", list,
			               qx_kset_name(set), why ? why : "unavailable", have);
		return qx_suite_fail_at(s, s->kernels_pos, err, QX_EUNSUPPORTED, "kernels: %s is not "
		                        "available on this machine (%s) (expected some of: %s, or "
		                        "all / auto, which run what the CPU has)", qx_kset_name(set),
		                        why ? why : "unavailable", have);
	}
	return 0;
}

int qx_run_check_threads(const struct qx_suite *s, const struct qx_run_options *opt,
                         struct qx_error *err)
{
	if (!s->measure.enabled || opt->no_measure)
		return 0;
	struct qx_topology topo;
	if (qx_topology_get(&topo, NULL))
		return 0;   /* the pool says why when it cannot read the machine either */
	/* The pool pins one thread per core, or per PU where hwloc sees no cores (some VMs). */
	int cores = topo.cores > 0 ? topo.cores : topo.pus;
	const int *t = opt->n_threads ? opt->threads : s->measure.threads;
	int n = opt->n_threads ? opt->n_threads : s->measure.n_threads;
	for (int i = 0; i < n; i++) {
		if (t[i] <= cores)
			continue;
		if (opt->n_threads)
			return qx_fail(err, QX_EUNSUPPORTED, "--threads %d: this machine lets qx-bench "
			               "use %d core%s (expected at most %d: one pinned thread per core)",
			               t[i], cores, cores == 1 ? "" : "s", cores);
		return qx_suite_fail_at(s, (struct qx_suite_pos){ 0, 0 }, err, QX_EUNSUPPORTED,
		                        "measure.threads: %d threads, but this machine lets qx-bench "
		                        "use %d core%s (expected at most %d, or --threads to override)",
		                        t[i], cores, cores == 1 ? "" : "s", cores);
	}
	return 0;
}
