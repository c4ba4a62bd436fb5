/* Fault: the plan's first scale is 0. */
#define PLUGIN_NAME "zero-scale"
#define FAULT_PLAN st->scales[0] = 0.0f;
#include "minmax_impl.h"
