/* A correct plugin: per-tensor MinMax (see minmax_impl.h). */
#include "minmax_impl.h"
