/* Fault: never returns from calibrate. */
#include <unistd.h>
#define PLUGIN_NAME "hang"
#define FAULT_CALIBRATE \
	for (;;) \
		sleep(1000); \
	(void)st;
#include "minmax_impl.h"
