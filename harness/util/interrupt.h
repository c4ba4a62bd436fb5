/* Ctrl-C (SIGINT), SIGTERM and SIGPIPE during a run: the handler only sets a flag; long loops
 * (evaluation batches, plugins, measurement rounds) check it between steps and stop cleanly, so
 * that what was already measured is written out, marked as partial, before the program exits.
 * SIGPIPE is caught rather than left to kill the process: `qx-bench ... | head -3` closes the
 * pipe early, and a run killed silently would leave a results.json that looks finished. */
#ifndef QX_UTIL_INTERRUPT_H
#define QX_UTIL_INTERRUPT_H

/* Installs the handler for SIGINT, SIGTERM and SIGPIPE (idempotent). */
void qx_interrupt_install(void);

/* Whether SIGINT, SIGTERM or SIGPIPE arrived since qx_interrupt_install; the signal number,
 * or 0. */
int qx_interrupted(void);

/* "SIGINT", "SIGTERM" or "SIGPIPE" for the signal qx_interrupted() returned; NULL for 0. */
const char *qx_interrupt_signal_name(int sig);

/* What the signal means for the user, e.g. "stdout was closed (its reader exited, as
 * `| head` does)"; NULL for 0. */
const char *qx_interrupt_reason(int sig);

#endif
