/* What cannot run on this machine fails before the first image is evaluated, with one line and
 * exit status 2: a --plugins label the suite lacks, a plugin that is not installed (with the
 * nearest name that is), a kernel set named explicitly that this CPU lacks, and more threads
 * than qx-bench may pin (one per core). Minutes of work that end in an error row help no one. */
#ifndef QX_RUN_CHECKS_H
#define QX_RUN_CHECKS_H

#include "run.h"
#include "suite.h"
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

/* Whether the plugin labelled label runs under --plugins (opt->only_plugins NULL: all do). */
int qx_run_plugin_selected(const struct qx_run_options *opt, const char *label);

#endif
