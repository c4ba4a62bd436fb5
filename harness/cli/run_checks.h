/* What cannot run on this machine fails before the first image is evaluated, with one line and
 * exit status 2: a --plugins label the suite lacks, a plugin that is not installed (with the
 * nearest name that is), an option a plugin refuses, a kernel set named explicitly that this
 * CPU lacks, and more threads than qx-bench may pin (one per core). Minutes of work that end in
 * an error row help no one. */
#ifndef QX_RUN_CHECKS_H
#define QX_RUN_CHECKS_H

#include "model/graph.h"
#include "cli/run.h"
#include "suite/suite.h"
#include "util/error.h"

/* --plugins names only labels of the suite (or "none"), and every plugin the run will load is
 * found (qx_plugin_find), the error placed at its suite line. QX_EINVAL / QX_ENOENT. */
int qx_run_check_plugins(const struct qx_suite *s, const struct qx_run_options *opt,
                         struct qx_error *err);

/* Every kernel set named explicitly (--kernels, or the suite's kernels: list) is available
 * here. "auto" and "all" run what there is and never fail. QX_EUNSUPPORTED. */
int qx_run_check_kernels(const struct qx_suite *s, const struct qx_run_options *opt,
                         struct qx_error *err);

/* Every thread count to measure (--threads, else measure.threads) fits the cores this process
 * may use; nothing to check when latency is not measured. QX_EUNSUPPORTED. */
int qx_run_check_threads(const struct qx_suite *s, const struct qx_run_options *opt,
                         struct qx_error *err);

/* Every plugin the run will use takes the suite's options: each is loaded in a child process
 * that calls only create() and destroy() on graph g (qx_plugin_calib.options_only). An option
 * create() refuses is QX_EINVAL at that option's suite line (the plugin's own message); a
 * plugin that fails to load or crashes is left to the run, whose error row says so. Needs the
 * model, so it runs after loading it, still before the first image. */
int qx_run_check_plugin_options(const struct qx_suite *s, const struct qx_run_options *opt,
                                struct qx_graph *g, struct qx_error *err);

/* Whether the plugin labelled label runs under --plugins (opt->only_plugins NULL: all do);
 * "<label>+fallback" selects it too, for its fallback row (qx_run_check_plugins accepts that
 * name when the plugin has a fallback: suite key or --fallback). */
int qx_run_plugin_selected(const struct qx_run_options *opt, const char *label);

#endif
