/* A plugin of the previous minor (ABI 1.2): struct qx_plugin has minor 2's size (minor 3 added
 * nothing to it, only to struct qx_plan, which the host zeroes), no declared options; the host
 * must load it and take its int8 plan as before (not simulated: the minor-3 plan fields it
 * never sets read as 0). */
#include "qx/plugin.h"

#define PLUGIN_NAME "minor2"
#define FAULT_ABI_MINOR 2
#define FAULT_STRUCT_SIZE sizeof(struct qx_plugin)
#include "minmax_impl.h"
