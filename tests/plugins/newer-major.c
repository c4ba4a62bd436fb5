/* Fault: built for a newer ABI major: the host must refuse it. */
#define PLUGIN_NAME "newer-major"
#define FAULT_ABI_MAJOR (QX_ABI_MAJOR + 1)
#include "minmax_impl.h"
