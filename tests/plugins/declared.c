/* Declared options (ABI minor 2): one of each type, with and without a default. create()
 * accepts every declared key (the host checked the values) and uses reduce_range. */
#include "qx/plugin.h"

static const char *const declared_modes[] = { "fast", "exact", NULL };
static const struct qx_option_decl declared_options[] = {
	{ .key = "reduce_range", .type = QX_OPTION_BOOL, .default_value = "false",
	  .help = "activations over 0..127" },
	{ .key = "alpha", .type = QX_OPTION_NUMBER, .min = 0.0, .max = 1.0,
	  .flags = QX_OPTION_MIN_EXCLUSIVE, .default_value = "0.5", .help = "a weight" },
	{ .key = "count", .type = QX_OPTION_INT, .min = 1, .max = 10, .default_value = "3",
	  .help = "a count" },
	{ .key = "mode", .type = QX_OPTION_CHOICE, .choices = declared_modes,
	  .default_value = "fast", .help = "a mode" },
	{ .key = "tag", .type = QX_OPTION_STRING, .help = "any text, no default" },
};
#define PLUGIN_NAME "declared"
#define PLUGIN_OPTION_DECLS declared_options
#define PLUGIN_N_OPTION_DECLS 5
#include "minmax_impl.h"
