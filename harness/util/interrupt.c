#include "util/interrupt.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	/* The first signal is the one that says why the run stopped: a SIGPIPE that follows a
	 * Ctrl-C (the pipe's reader died of the same Ctrl-C) must not hide it. */
	if (!caught)
		caught = sig;
}

void qx_interrupt_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* SA_RESTART: reads and writes in progress finish; the loops notice the flag after. */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* With SIGPIPE caught, a write to the closed pipe fails with EPIPE instead of killing us;
	 * stdio drops the output and the run stops at its next check. */
	sigaction(SIGPIPE, &sa, NULL);
}

int qx_interrupted(void)
{
	return caught;
}

const char *qx_interrupt_signal_name(int sig)
{
	switch (sig) {
	case 0: return NULL;
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGPIPE: return "SIGPIPE";
	default: return "signal";
	}
}

const char *qx_interrupt_reason(int sig)
{
	switch (sig) {
	case 0: return NULL;
	case SIGINT: return "interrupted (Ctrl-C, SIGINT)";
	case SIGTERM: return "stopped (SIGTERM)";
	case SIGPIPE: return "cut off: stdout was closed (its reader exited, as `| head` does)";
	default: return "stopped by a signal";
	}
}
