/* The plugin host: runs one quantization plugin, isolated, and returns its validated plan.
 *
 * qx_plugin_run() finds the plugin's .so (qx_plugin_find), forks a child that loads it and runs
 * create -> prepare -> calibrate x N -> convert -> destroy (the child runs the fp32 executor on
 * the calibration images and hands the plugin the tensors it asked for), and reads the plan back
 * as JSON over a pipe under the suite's time limit (SIGKILL and reap on expiry). The parent
 * validates the plan against the graph (plugin/validate.h) and keeps a harness-owned copy.
 * Whatever the plugin does (crash, hang, exit, error, bad ABI, invalid plan) the caller gets one
 * line in err, e.g.
 *     plugin 'segv' (build/tests/plugins/segv.so): crashed with SIGSEGV during calibrate
 * and can go on with the next plugin. */
#ifndef QX_PLUGIN_HOST_H
#define QX_PLUGIN_HOST_H

#include <stdint.h>

#include "data/dataset.h"
#include "kernels.h"
#include "model/graph.h"
#include "plan/plan.h"
#include "qx/plan.h"
#include "suite/suite.h"
#include "util/error.h"

/* What went wrong in a failed run (QX_PLUGIN_OK when it succeeded). */
enum qx_plugin_fault {
	QX_PLUGIN_OK,
	QX_PLUGIN_NOT_FOUND,            /* no .so where it was looked for */
	QX_PLUGIN_LOAD_FAILED,          /* dlopen, entry point, ABI version, struct_size, vtable */
	QX_PLUGIN_RETURNED_ERROR,       /* a callback returned an error status */
	QX_PLUGIN_CRASHED,              /* killed by a signal */
	QX_PLUGIN_HUNG,                 /* killed at the time limit */
	QX_PLUGIN_EXITED,               /* called exit() (or _exit) */
	QX_PLUGIN_INVALID_PLAN,         /* its plan (or prepare's answer) broke the rules */
	QX_PLUGIN_HOST_FAILED,          /* the harness's side failed (fork, fp32 executor, memory) */
};

/* The outcome of one plugin run. Strings and the plan are owned; free with
 * qx_plugin_result_free. */
struct qx_plugin_result {
	char *label;                    /* the suite's label for the plugin */
	enum qx_plugin_fault fault;
	char stage[96];                 /* where the child was when it ended, e.g. "create",
	                                   "calibrate (batch 2 of 8)", "reply" */
	int bad_option;                 /* create() refused the options: the index into
	                                   spec->options of the one its message names in quotes
	                                   ('bins'), for qx_suite_fail_at(); -1 otherwise */
	int bad_option_key;             /* 1: the key of option bad_option is at fault (the
	                                   plugin declares no such key), 0: its value */
	int options_declared;           /* the plugin declares its options (ABI minor 2) */
	int n_options_used;             /* declared: the options in effect, the suite's values
	                                   and the defaults of the rest, in declaration order */
	struct qx_option_used {
		char *key, *value;      /* owned */
		int type;               /* enum qx_option_type */
	} *options_used;
	char *path;                     /* the .so that was loaded */
	char *name, *version, *license, *description;  /* the plugin's metadata */
	uint32_t abi_major, abi_minor, struct_size;
	struct qx_quant_plan plan;
	double calibrate_s;             /* wall time of prepare + calibrate + convert in the child
	                                   (the fp32 runs that feed calibrate included) */
	double total_s;                 /* wall time of the whole child, fork to reap */
	int64_t calib_images;           /* images the plugin saw */
	int calib_batches;
};

/* What the child runs the plugin on. */
struct qx_plugin_calib {
	const struct qx_dataset *images;        /* calibration images (not kept) */
	const struct qx_preprocess *pp;
	int64_t first;                  /* images [first, first + count) of images */
	int64_t count;                  /* 0: the plugin sees no calibrate() call */
	int batch;                      /* >= 1: images per calibrate() call (the last may be
	                                   smaller) and the batch size of the view's shapes */
	const struct qx_kernels *kernels;       /* fp32 kernels for calibration; NULL: scalar, so
	                                   that plans do not depend on the machine */
	int log_level;                  /* plugin log lines at this enum qx_log_level or more
	                                   severe go to stderr, prefixed with the plugin's label */
	int options_only;               /* stop after create() and destroy(): checks that the
	                                   plugin loads and takes its options, before any work;
	                                   qx_plugin_run then returns 0 with no plan */
};

/* Finds the .so of a suite plugin entry: spec->path when set (resolved by the suite loader;
 * relative paths against the working directory), else "<name>.so" in (1) each folder of
 * QX_PLUGIN_PATH (colon-separated), (2) "<folder of the running executable>/plugins",
 * (3) QX_PLUGIN_DIR_DEFAULT (the build's plugin folder, compiled in). *path is malloc'ed.
 * A name with '/' or a leading '.' is refused. The error lists every place looked in. */
int qx_plugin_find(const struct qx_suite_plugin *spec, char **path, struct qx_error *err);

/* Runs the plugin spec on graph g (not changed: the child works on its own copy) with the
 * calibration images calib, validates its plan and fills *out (zeroed first; on failure it
 * holds whatever metadata was learnt and must still be freed). spec->timeout_s limits the
 * child's wall time. Returns 0, or QX_EPLUGIN (or QX_ENOENT for a plugin file not found,
 * QX_ENOMEM, QX_EIO) with one line in err naming the plugin: "plugin '<label>' (<path>): ...".
 * Does not keep any pointer it is given. */
int qx_plugin_run(const struct qx_suite_plugin *spec, struct qx_graph *g,
                  const struct qx_plugin_calib *calib, struct qx_plugin_result *out,
                  struct qx_error *err);

/* Writes plan.json for a successful result: plugin metadata, then every quantized tensor with
 * its name, producing node (name) and qparams, and every node's mode by node name (schema in
 * docs/plugin-abi.md). Overwrites path. */
int qx_plan_write_json(const struct qx_plugin_result *res, const struct qx_graph *g,
                       const char *path, struct qx_error *err);

void qx_plugin_result_free(struct qx_plugin_result *res);

/* `qx-bench plugin-check PLUGIN.so`: a TAP report on one plugin (harness/main.c dispatches
 * here; argv[0] is "plugin-check"). Exit status 0 iff every check passed. */
int qx_plugin_check_main(int argc, char **argv);

#endif
