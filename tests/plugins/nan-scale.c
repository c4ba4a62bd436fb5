/* Fault: the plan's last scale (a weight's) is NaN. */
#include <math.h>
#define PLUGIN_NAME "nan-scale"
#define FAULT_PLAN st->scales[e - 1] = NAN;
#include "minmax_impl.h"
