/* A plugin of the previous minor (ABI 1.1): struct qx_plugin ends after destroy, no declared
 * options; the host must load it, never read past its struct_size, and let it parse its own
 * options as before. */
#include <stddef.h>

#include "qx/plugin.h"

#define PLUGIN_NAME "minor1"
#define FAULT_ABI_MINOR 1
#define FAULT_STRUCT_SIZE offsetof(struct qx_plugin, option_decls)
#include "minmax_impl.h"
