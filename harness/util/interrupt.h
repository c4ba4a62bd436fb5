/* Ctrl-C (SIGINT) and SIGTERM during a run: the handler only sets a flag; long loops (evaluation
 * batches, plugins, measurement rounds) check it between steps and stop cleanly, so that what was
 * already measured is written out before the program exits. */
#ifndef QX_UTIL_INTERRUPT_H
#define QX_UTIL_INTERRUPT_H

/* Installs the handler (idempotent). */
void qx_interrupt_install(void);

/* Whether SIGINT or SIGTERM arrived since qx_interrupt_install; the signal number, or 0. */
int qx_interrupted(void);

#endif
