/* Fault: a declared option whose default fails its own declaration: the host refuses to load
 * the plugin. */
#include "qx/plugin.h"

static const struct qx_option_decl bad_decl_options[] = {
	{ .key = "level", .type = QX_OPTION_INT, .min = 0, .max = 1, .default_value = "2",
	  .help = "a level" },
};
#define PLUGIN_NAME "bad-decl"
#define PLUGIN_OPTION_DECLS bad_decl_options
#define PLUGIN_N_OPTION_DECLS 1
#include "minmax_impl.h"
