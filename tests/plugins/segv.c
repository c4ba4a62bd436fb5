/* Fault: crashes (SIGSEGV) in calibrate. The address is not NULL, so that the sanitizer build's
 * null check does not turn the crash into an exit, and it is read from a volatile so that the
 * compiler cannot see it coming. */
#include <stdint.h>
static volatile uintptr_t bad_address = 16;
#define PLUGIN_NAME "segv"
#define FAULT_CALIBRATE \
	if (batch->index == 0) \
		*(volatile int *)bad_address = (int)st->n_observe;
#include "minmax_impl.h"
