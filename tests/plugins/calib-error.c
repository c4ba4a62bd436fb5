/* Fault: calibrate reports an error on its second batch. */
#define PLUGIN_NAME "calib-error"
#define FAULT_CALIBRATE \
	if (batch->index == 1) { \
		st->host->error(st->host, "simulated failure on batch %d", (int)batch->index); \
		return QX_STATUS_ERROR; \
	}
#include "minmax_impl.h"
