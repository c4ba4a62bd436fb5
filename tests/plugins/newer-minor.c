/* Fault: built for a newer ABI minor than the host's: the host must refuse it. */
#define PLUGIN_NAME "newer-minor"
#define FAULT_ABI_MINOR (QX_ABI_MINOR + 1)
#include "minmax_impl.h"
