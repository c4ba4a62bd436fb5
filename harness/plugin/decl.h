/* Declared options (ABI minor 2, struct qx_option_decl): the host checks a plugin's
 * declarations when it loads it, and a suite's options against them before create(). */
#ifndef QX_PLUGIN_DECL_H
#define QX_PLUGIN_DECL_H

#include <stddef.h>
#include <stdint.h>

#include "qx/plugin.h"
#include "suite/suite.h"
#include "util/error.h"

/* The declarations themselves: keys non-empty and unique, a known type, choices for CHOICE,
 * min <= max, integer bounds for INT, help present, every default passing its own check.
 * QX_EPLUGIN with one line (without the plugin's name) otherwise. */
int qx_option_decls_check(const struct qx_option_decl *decls, int32_t n, struct qx_error *err);

/* The suite's options against the declarations: each key declared (else "unknown option",
 * the declared keys, and a "did you mean" for a near miss) and each value fitting its
 * declaration. Returns 0, or QX_EINVAL with one line in err, *bad the index of the option in
 * opts and *bad_key 1 when the key is at fault (0: the value). */
int qx_option_decls_validate(const struct qx_option_decl *decls, int32_t n,
                             const struct qx_suite_option *opts, int n_opts, int *bad,
                             int *bad_key, struct qx_error *err);

/* Writes the options in effect, one "TYPE\tKEY\tVALUE\n" line per declaration that has a value
 * (the suite's, else its default), into buf. Returns 0, or -1 when buf is too small. */
int qx_option_decls_used(const struct qx_option_decl *decls, int32_t n,
                         const struct qx_suite_option *opts, int n_opts, char *buf,
                         size_t size);

/* A harness-owned copy of one declaration (read from a plugin by qx_plugin_read_decls). */
struct qx_decl_info {
	char *key, *default_value, *help;       /* default_value may be NULL */
	int type;                               /* enum qx_option_type */
	unsigned flags;
	double min, max;
	char **choices;                         /* NULL-terminated, CHOICE only */
};

/* Loads the plugin at path in a child (a crash or hang there is an error, not the caller's)
 * and copies its declarations: *n 0 when it declares none. Returns 0, or QX_EPLUGIN with the
 * load failure in err (QX_ENOMEM, QX_EIO). Free with qx_decl_info_free. */
int qx_plugin_read_decls(const char *path, double timeout_s, struct qx_decl_info **out, int *n,
                         struct qx_error *err);
void qx_decl_info_free(struct qx_decl_info *d, int n);

#endif
