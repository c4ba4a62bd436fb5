/* Fault: calls exit(3) in prepare. */
#define PLUGIN_NAME "exit3"
#define FAULT_PREPARE \
	if (st) \
		exit(3);
#include "minmax_impl.h"
