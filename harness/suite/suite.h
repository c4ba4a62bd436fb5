/* Suites: one YAML file says what to benchmark (model, data, plugins, kernel sets, timing).
 *
 * qx_suite_load() parses the file with libyaml and validates every key; on success the struct
 * below holds only checked values, with every default filled in, so later stages never
 * re-validate. It keeps where each value was written (1-based line:column), so a later stage
 * can still point at the suite line, e.g. a plugin rejecting one of its options:
 *     qx_suite_fail_at(suite, opt->value_pos, err, QX_EINVAL, "bins must be > 0 (expected ...)")
 *     -> "suites/x.yaml:14:20: bins must be > 0 (expected ...)"
 * The format, every key and its default are documented in docs/suite-format.md. */
#ifndef QX_SUITE_H
#define QX_SUITE_H

#include <stdbool.h>
#include <stdint.h>

#include "data/dataset.h"
#include "kernels.h"
#include "util/error.h"

/* A place in the suite file, 1-based like the messages. {0, 0} means "not written in the file"
 * (a default); qx_suite_fail_at() then names the file alone. */
struct qx_suite_pos {
	int line;
	int column;
};

/* Where images come from: IDX (images + labels) or CIFAR-10 binary batches (files).
 * Paths are resolved against the suite's folder (absolute paths kept as written); whether the
 * files exist is checked when they are read (qx_suite_load_dataset / _calibration), not by
 * qx_suite_load(), so a suite whose data must first be fetched still loads. */
struct qx_suite_source {
	char *images;                   /* idx: image file, owned; NULL for cifar10 */
	char *labels;                   /* idx: label file, owned; NULL for cifar10 */
	char **files;                   /* cifar10: n_files batch files, owned; NULL for idx */
	int n_files;
	struct qx_suite_pos pos;        /* the mapping (dataset: or calibration:) */
	struct qx_suite_pos images_pos, labels_pos, files_pos;
};

/* dataset: the evaluation set. */
struct qx_suite_dataset {
	enum qx_dataset_format format;
	struct qx_suite_source src;
	int n_classes;                  /* >= 2, default 10 */
	int channels;                   /* from format: 1 for idx, 3 for cifar10 (not a key) */
	int64_t limit;                  /* evaluate on the first limit images; 0 = all (default) */
	struct qx_suite_pos limit_pos;
};

/* calibration: images plugins calibrate on, in file order, no augmentation. Same format and
 * classes as dataset. */
struct qx_suite_calibration {
	struct qx_suite_source src;
	int64_t count;                  /* >= 1, default 256 */
	int64_t first;                  /* index of the first image, >= 0, default 0 */
	int batch;                      /* calibration batch size, >= 1, default 32 */
	struct qx_suite_pos count_pos, first_pos;
	/* The images qx_suite_load_calibration loads: [span_first, span_first + span_count), the
	 * union of every plugin entry's [calib_first, calib_first + calib_count) (set by the
	 * loader; equal to first and count when no entry overrides them). */
	int64_t span_first, span_count;
};

/* One option of a plugin, as written: checked against the plugin's declarations when it
 * declares its options (ABI 1.2, plugin/decl.h), else parsed and validated by the plugin. */
struct qx_suite_option {
	char *key;                      /* owned */
	char *value;                    /* the scalar's text, owned (e.g. "2048", "99.99", "minmax") */
	struct qx_suite_pos key_pos, value_pos;
};

/* One swept key of a plugin entry expanded from a sweep, and the value this entry took. */
struct qx_suite_sweep_value {
	char *key;                      /* the option name, or "count" / "first" for the entry's
	                                   calibration: (written "calibration.count" when an option
	                                   has that name too); owned */
	char *value;                    /* the list element's text as written, owned */
	bool calibration;               /* key is a calibration: key, not an option */
};

/* One plugins: entry. Exactly one of name and path is set. A suite entry whose options: or
 * calibration: give lists is expanded by the loader into one entry per configuration (the
 * product of the lists, file order, the last list varying fastest), each a plugin entry like
 * any other with its own label; sweep_base and sweep say where it came from. */
struct qx_suite_plugin {
	char *label;                    /* results name: `label:`, else name, else path's base name
	                                   without .so, followed for a swept entry by
	                                   "[key=value,...]" over the swept keys in file order;
	                                   unique within the suite; owned */
	char *sweep_base;               /* a swept entry's label without the brackets, owned;
	                                   NULL when the entry gives no list */
	struct qx_suite_sweep_value *sweep; /* n_sweep swept keys and this entry's values, owned */
	int n_sweep;
	int64_t calib_count, calib_first; /* this entry's calibration images: its own calibration:
	                                   count and first, else the suite's */
	struct qx_suite_pos calib_count_pos, calib_first_pos; /* where they were written */
	char *name;                     /* built-in plugin name, looked up by the plugin host in the
	                                   plugin folder / QX_PLUGIN_PATH; owned, or NULL */
	char *path;                     /* explicit .so path resolved against the suite's folder;
	                                   owned, or NULL (existence checked by the plugin host) */
	struct qx_suite_option *options; /* n_options, in file order, keys unique; owned */
	int n_options;
	double timeout_s;               /* > 0, default 600: limit for prepare+calibrate+convert */
	struct qx_suite_pos pos;        /* the entry (its first key) */
	struct qx_suite_pos name_pos;   /* the name: or path: value */
	struct qx_suite_pos options_pos;
	/* sensitivity: { images: N }: measure each int8 node's accuracy cost after the plugin's
	 * row (harness/investigate/sensitivity.h). */
	bool sensitivity;
	int64_t sensitivity_images;     /* >= 1; 0 when not written: the default, 1000 */
	struct qx_suite_pos sensitivity_pos;
	/* fallback: { max_drop: B, images: N }: a second row, "<label>+fallback", with the
	 * fewest nodes in float that bring the drop to <= B points (investigate/fallback.h);
	 * images: N is the sensitivity pass's (0 when not written). */
	bool fallback;
	double fallback_max_drop;       /* points, >= 0 */
	int64_t fallback_images;
	struct qx_suite_pos fallback_pos;
};

/* kernels: which kernel sets to run. */
enum qx_suite_kernels_mode {
	QX_SUITE_KERNELS_AUTO,          /* [auto]: the fastest set this CPU has (default) */
	QX_SUITE_KERNELS_ALL,           /* [all]: every set this CPU has */
	QX_SUITE_KERNELS_LISTED,        /* the sets named in sets[], in file order, no repeats; the
	                                   caller reports a listed set the CPU lacks */
};

#define QX_SUITE_MAX_CONFIGS 256       /* most plugin entries after expanding sweeps */
#define QX_SUITE_MAX_LIST 16            /* most entries in measure.threads / measure.batch */

/* measure: latency measurement. */
struct qx_suite_measure {
	bool enabled;                   /* default true */
	int threads[QX_SUITE_MAX_LIST]; /* each >= 1, no repeats; default [1] */
	int n_threads;
	int batch[QX_SUITE_MAX_LIST];   /* each >= 1, no repeats; default [1, 64] */
	int n_batch;
	int repetitions;                /* >= 1, default 10 */
	double warmup_s;                /* >= 0, default 0.1 */
	double min_time_s;              /* > 0, default 0.2 (per repetition) */
	int max_repetitions;            /* rounds at most; 0 (default) means 2 * repetitions */
	double ci_target_percent;       /* rounds stop once every median's 95% interval is within
	                                   +-this percent; 0 runs max_repetitions; default 1 */
};

struct qx_suite {
	char *path;                     /* the suite file as given to qx_suite_load, owned */
	char *dir;                      /* its folder ("." when none), owned */
	char *name;                     /* `name:`, default the file name without .yaml/.yml;
	                                   letters, digits, '.', '_', '-' (used in result paths) */
	char *model;                    /* resolved ONNX path, owned; its existence is checked by
	                                   qx_suite_check_model, after the data (so that a suite whose
	                                   data and model must first be fetched and trained says what
	                                   data it needs first) */
	struct qx_suite_pos model_pos;
	struct qx_suite_dataset dataset;
	struct qx_suite_calibration calibration;
	/* preprocess: scale > 0 (default 1/255); n_channels is 1 or dataset.channels; std > 0.
	 * divisor is set (e.g. 255) when scale is 1/divisor for an integer divisor: pixels are then
	 * divided, p / 255.0f, exactly like torchvision's ToTensor (p * (1/255.0f) can differ by
	 * one ulp). */
	struct qx_preprocess preprocess;
	struct qx_suite_pos preprocess_pos;
	int batch;                      /* evaluation batch size, >= 1, default 64 */
	enum qx_suite_kernels_mode kernels_mode;
	enum qx_kset kernel_sets[QX_KSET_COUNT]; /* for QX_SUITE_KERNELS_LISTED */
	int n_kernel_sets;
	struct qx_suite_pos kernels_pos;
	struct qx_suite_plugin *plugins; /* n_plugins >= 1, file order; default: dynamic,
	                                    static-per-tensor, static-per-channel, histogram */
	int n_plugins;
	struct qx_suite_measure measure;
	int64_t bitexact_images;        /* check.bitexact_images, >= 0 (0: no check), default 512 */
	int64_t reference_images;       /* check.reference_images, >= 0 (0: no check, results are
	                                   marked unchecked), default 512 */
	char *results_dir;              /* resolved, default <dir>/../results, owned */
};

/* Reads and validates the suite at path. On success fills *suite (free it with qx_suite_free)
 * and returns 0. On failure returns QX_EINVAL (syntax, unknown or duplicate key, wrong type,
 * bad value, missing key), QX_ENOENT (the suite file does not exist), QX_EIO or
 * QX_ENOMEM, leaves *suite empty (qx_suite_free on it is harmless), and err says
 *     <path>:<line>:<column>: <what is wrong> (expected <what>)
 * with 1-based line and column of the offending key or value. Does not keep path. */
int qx_suite_load(const char *path, struct qx_suite *suite, struct qx_error *err);

/* Checks that the suite's model file exists: QX_ENOENT with the suite's model: line when not. */
int qx_suite_check_model(const struct qx_suite *suite, struct qx_error *err);

/* Frees everything the suite owns and zeroes it; safe on a zeroed or already freed suite. */
void qx_suite_free(struct qx_suite *suite);

/* Fills err with "<suite path>:<line>:<column>: <message>" (or "<suite path>: <message>" when
 * pos is {0, 0}) and returns code: for stages after loading that find a problem with a value. */
int qx_suite_fail_at(const struct qx_suite *suite, struct qx_suite_pos pos, struct qx_error *err,
                     int code, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Loads the evaluation set, keeping only the first dataset.limit images when limit > 0
 * (an error when the set has fewer). A missing IDX file is reported at its suite line; missing
 * CIFAR-10 files get the dataset loader's message on how to fetch them. */
int qx_suite_load_dataset(const struct qx_suite *suite, struct qx_dataset *ds,
                          struct qx_error *err);

/* Loads the calibration images: ds holds exactly calibration.span_count images, those at
 * [span_first, span_first + span_count) of the calibration files, renumbered from 0 (so a
 * plugin entry's images are [calib_first - span_first, + calib_count) of ds). An error, at the
 * count: line of the first entry (or the suite's) that asks for more, when the files hold
 * fewer. */
int qx_suite_load_calibration(const struct qx_suite *suite, struct qx_dataset *ds,
                              struct qx_error *err);

#endif
