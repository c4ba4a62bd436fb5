/* qx plugin SDK: the plugin ABI.
 *
 * A qx-bench quantization plugin is a shared object (name.so) that exports one symbol,
 * qx_plugin_entry (write it with QX_PLUGIN_ENTRY). The host calls it once after dlopen with
 * its services (struct qx_host) and gets back a const vtable (struct qx_plugin) that starts with
 * the ABI version and the vtable's size, then metadata, then callbacks. For each run the host
 * then calls, in this order, in one process (a child forked for this plugin alone):
 *
 *     create(host, view, options)        once: parse and check options, allocate the state
 *     prepare(state, view, &prepare)     once: which nodes to quantize how, which tensors to see
 *     calibrate(state, &batch)           0..N times: one batch of calibration activations
 *     convert(state, &plan)              once: the quantization plan (plan.h)
 *     destroy(state)                     once, also after any failure once create succeeded
 *
 * Rules for plugins:
 *  - never print, never exit, never abort: report problems with host->error() and return a
 *    negative enum qx_status; log with host->log();
 *  - every callback returns QX_STATUS_OK (0) or a negative enum qx_status; a plugin that fails
 *    should have called host->error() first (otherwise the run says "failed without a message");
 *  - the plugin owns its state (an opaque pointer); the host never looks inside;
 *  - an unknown option key, or a value the plugin cannot parse, is an error from create();
 *    a plugin of minor 2 or later may declare its options (struct qx_option_decl): the host
 *    then refuses undeclared keys and badly typed values itself, before create();
 *  - the plugin runs single-threaded from the host's point of view (no callback is called
 *    concurrently with another); it may use threads of its own inside a callback if it joins
 *    them before returning.
 *
 * Versioning (docs/plugin-abi.md): QX_ABI_MAJOR changes only when the ABI breaks; the host
 * refuses a plugin of another major. QX_ABI_MINOR grows when fields are appended to
 * struct qx_host, struct qx_plugin, struct qx_graph_view, struct qx_batch or struct qx_plan;
 * the host refuses a plugin whose minor is newer than its own, and never reads past the
 * plugin's struct_size, so a plugin built against an older minor keeps loading (fields it lacks
 * count as absent). Existing fields never move, change type or change meaning. */
#ifndef QX_SDK_PLUGIN_H
#define QX_SDK_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "qx/graph.h"
#include "qx/plan.h"

#define QX_ABI_MAJOR 1
#define QX_ABI_MINOR 3

/* The exported symbol's name, for hosts that dlsym() it. */
#define QX_PLUGIN_ENTRY_SYMBOL "qx_plugin_entry"

#ifdef __cplusplus
#define QX_EXTERN_C extern "C"
#else
#define QX_EXTERN_C
#endif

#if defined(__GNUC__)
#define QX_PLUGIN_EXPORT QX_EXTERN_C __attribute__((visibility("default")))
#define QX_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define QX_PLUGIN_EXPORT QX_EXTERN_C
#define QX_PRINTF(fmt_index, first_arg)
#endif

/* Status codes every callback returns. Stable numbers. */
enum qx_status {
	QX_STATUS_OK = 0,
	QX_STATUS_ERROR = -1,           /* anything else that went wrong */
	QX_STATUS_BAD_OPTION = -2,      /* an unknown option, or a value that does not parse */
	QX_STATUS_NOMEM = -3,           /* an allocation failed */
	QX_STATUS_UNSUPPORTED = -4,     /* the model has something this plugin cannot handle */
};

/* Log levels for host->log(). */
enum qx_log_level {
	QX_LOG_ERROR = 0,
	QX_LOG_WARN = 1,
	QX_LOG_INFO = 2,
	QX_LOG_DEBUG = 3,
};

/* The host's services. The host owns it; it stays valid, unchanged, from the entry call until
 * the plugin is unloaded (after destroy()), so a plugin may keep the pointer in a static
 * variable or in its state. Every function may be called from any callback and from the entry
 * point. Fields are appended in later minors: a plugin that needs a field added after minor 0
 * checks host->abi_minor (or host->struct_size) first. */
struct qx_host {
	uint32_t abi_major;             /* QX_ABI_MAJOR of the host */
	uint32_t abi_minor;             /* QX_ABI_MINOR of the host */
	uint32_t struct_size;           /* sizeof(struct qx_host) in the host */

	/* Records the error message of the callback being run: one line, printf-style, no trailing
	 * newline, saying what is wrong and what was expected, e.g.
	 *     host->error(host, "option 'bins': '0' must be an integer >= 2");
	 * The host adds the plugin's name and the stage. The last call before a failing return
	 * wins. Does not keep fmt or its arguments. */
	void (*error)(const struct qx_host *host, const char *fmt, ...) QX_PRINTF(2, 3);

	/* A log line at a level (printf-style, no trailing newline). The host decides what is
	 * shown (e.g. errors and warnings always, info with -v). Does not keep fmt or arguments. */
	void (*log)(const struct qx_host *host, int level, const char *fmt, ...) QX_PRINTF(3, 4);

	/* Zeroed memory for n elements of size bytes each (overflow-checked); NULL when it cannot
	 * be had (the host has then recorded no error: the plugin reports it). Memory from alloc
	 * and resize is released with release; plugins may equally use malloc/free for their own
	 * memory: nothing a plugin hands to the host needs to come from here. */
	void *(*alloc)(const struct qx_host *host, size_t n, size_t size);
	/* Like realloc(p, n * size), overflow-checked; new bytes are not zeroed. On failure returns
	 * NULL and p stays valid. */
	void *(*resize)(const struct qx_host *host, void *p, size_t n, size_t size);
	/* Releases memory from alloc/resize; release(host, NULL) does nothing. */
	void (*release)(const struct qx_host *host, void *p);

	void *host_data;                /* the host's own, never touched by plugins */
};

/* One option from the suite's YAML, e.g. { "bins", "2048" }: both strings are NUL-terminated
 * text exactly as written. Frozen layout. */
struct qx_option {
	const char *key;
	const char *value;
};

/* The type of a declared option (struct qx_option_decl). Stable numbers. */
enum qx_option_type {
	QX_OPTION_BOOL = 0,             /* true / false (also True, TRUE, False, FALSE) */
	QX_OPTION_INT = 1,              /* a decimal integer in [min, max] */
	QX_OPTION_NUMBER = 2,           /* a finite decimal number in [min, max] (see flags) */
	QX_OPTION_CHOICE = 3,           /* one of the words in choices */
	QX_OPTION_STRING = 4,           /* any text: the plugin checks it in create() */
};

/* Flags of struct qx_option_decl (also qx_option_double()'s, in qx/options.h): the bound
 * itself is not allowed. */
#define QX_OPTION_MIN_EXCLUSIVE 1u
#define QX_OPTION_MAX_EXCLUSIVE 2u

/* One option a plugin declares (ABI minor 2): the host checks a suite's value against it
 * before create(), at the value's file:line:col, refuses keys no declaration names, and records
 * the options in effect (the given values, the defaults for the rest) in results.json.
 * create() still gets only the options the suite wrote (so that it can tell "given" from
 * "default" for cross-option rules); qx_option_declared() in qx/options.h reads one with its
 * default. Static storage, never changed. Frozen layout. */
struct qx_option_decl {
	const char *key;                /* the option's name, e.g. "averaging_constant" */
	int32_t type;                   /* enum qx_option_type */
	uint32_t flags;                 /* QX_OPTION_MIN_EXCLUSIVE / QX_OPTION_MAX_EXCLUSIVE */
	double min, max;                /* INT and NUMBER: the range; -INFINITY / INFINITY for no
	                                   bound (INT bounds must be integers within +-2^53) */
	const char *const *choices;     /* CHOICE: the words, NULL-terminated; NULL otherwise */
	const char *default_value;      /* the default as a suite would write it (it must pass
	                                   the same checks), or NULL: no default, the option is
	                                   absent unless given */
	const char *help;               /* one line, e.g. "weight of each batch's min/max" */
};

/* What prepare() returns. The host zeroes it before the call. Every pointer points to memory
 * the plugin owns, valid and unchanged from prepare() returning until destroy() is called.
 * Fields may be appended in later minors (0 means absent). */
struct qx_prepare {
	/* The tensors calibrate() must see, as indices into view->tensors, each at most once, in
	 * the order struct qx_batch.tensors will list them. Activations and graph inputs only
	 * (constants are in the view already). n_observe may be 0. */
	int32_t n_observe;
	const int32_t *observe;
	/* The mode the plugin intends for each node: n_nodes values of enum qx_op_mode, one per
	 * view node, each one of that node's modes; or NULL to decide in convert(). When given,
	 * the plan's modes must be the same (the host checks). */
	const int32_t *node_modes;
};

/* One observed tensor in a calibration batch. Frozen layout. */
struct qx_observed {
	int32_t tensor;                 /* index into view->tensors (as listed in prepare) */
	int32_t ndim;
	int64_t dims[QX_VIEW_MAX_DIMS]; /* this batch's shape: dims[0] = n_images for tensors with
	                                   a batch axis (the last batch may be smaller) */
	int64_t numel;                  /* product of dims */
	const float *data;              /* numel fp32 values, row-major (NCHW for 4-D) */
};

/* One calibration batch: the fp32 activations the plugin asked for, computed by the harness's
 * fp32 executor on the next n_images calibration images. The host owns everything here; it is
 * valid only during the calibrate() call (copy what you need to keep). */
struct qx_batch {
	int32_t index;                  /* 0, 1, 2, ... */
	int32_t n_images;               /* images in this batch, >= 1 */
	int32_t n_tensors;              /* = prepare's n_observe */
	const struct qx_observed *tensors;      /* same order as prepare's observe */
};

/* The vtable a plugin returns from its entry point: a const object with static storage
 * duration in the plugin (never freed, never changed). The host reads only the first
 * struct_size bytes; fields appended in later minors after the callbacks are absent for a
 * plugin whose struct_size does not cover them. */
struct qx_plugin {
	uint32_t abi_major;             /* set to QX_ABI_MAJOR */
	uint32_t abi_minor;             /* set to QX_ABI_MINOR */
	uint32_t struct_size;           /* set to sizeof(struct qx_plugin) */

	/* Metadata: NUL-terminated, static strings, never NULL or empty. */
	const char *name;               /* short identifier, e.g. "percentile" (matches the file
	                                   name without .so for plugins found by name) */
	const char *version;            /* the plugin's own version, e.g. "1.0.0" */
	const char *license;            /* SPDX identifier, e.g. "MIT" */
	const char *description;        /* one line, e.g. "Percentile clipping of activations" */

	/* Parses options (n_options entries, possibly 0; options is NULL when n_options is 0) and
	 * creates the plugin state in *state. The view and the options stay valid until destroy();
	 * the host pointer until unload. An unknown key or a bad value: host->error() and return
	 * QX_STATUS_BAD_OPTION. On failure *state is ignored and destroy() is not called. */
	int (*create)(const struct qx_host *host, const struct qx_graph_view *view,
	              const struct qx_option *options, int32_t n_options, void **state);

	/* Chooses node modes and the tensors to observe (see struct qx_prepare). view is the same
	 * as create()'s. Called once. */
	int (*prepare)(void *state, const struct qx_graph_view *view, struct qx_prepare *out);

	/* Sees one calibration batch. Called 0 or more times (zero when the suite has no
	 * calibration images, or when prepare observed nothing: a plugin must produce a plan, or a
	 * clear error, either way). */
	int (*calibrate)(void *state, const struct qx_batch *batch);

	/* Fills *plan (zeroed by the host) with the quantization plan; see plan.h for what the
	 * harness accepts and who owns the memory. Called once, after the last calibrate(). */
	int (*convert)(void *state, struct qx_plan *plan);

	/* Frees the state and everything it owns. Called exactly once for each successful
	 * create(), whatever happened in between, with the pointer create() stored in *state
	 * (which may be NULL). */
	void (*destroy)(void *state);

	/* ---- minor 2 ---- */

	/* The options the plugin takes (n_option_decls entries, keys unique), or NULL / 0: the
	 * plugin declares nothing and parses every option itself, as in minor 0 and 1. When
	 * declared, the host refuses any other key and any value that does not fit its
	 * declaration before create() is called. */
	const struct qx_option_decl *option_decls;
	int32_t n_option_decls;
};

/* The entry point: returns the plugin's vtable, or NULL after calling host->error() when the
 * plugin cannot work with this host (e.g. host->abi_major is not the one it was built for).
 * Called once per load; host is valid until the plugin is unloaded. */
typedef const struct qx_plugin *(*qx_plugin_entry_fn)(const struct qx_host *host);

/* Defines the entry point, e.g.
 *     QX_PLUGIN_ENTRY
 *     {
 *             (void)host;
 *             return &my_plugin;
 *     }
 * The parameter is named host. */
#define QX_PLUGIN_ENTRY \
	QX_PLUGIN_EXPORT const struct qx_plugin *qx_plugin_entry(const struct qx_host *host); \
	QX_PLUGIN_EXPORT const struct qx_plugin *qx_plugin_entry(const struct qx_host *host)

#endif
