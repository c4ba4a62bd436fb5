/* A minimal TAP producer for the test programs that `prove` runs.
 *
 *   tap_plan(3);  ok(x == 1, "x is one");  tap_skip(2, "CPU lacks AVX512-VNNI");  return tap_done();
 *
 * tap_plan(0) means "no plan yet": tap_done() then prints 1..N at the end. */
#ifndef QX_TEST_TAP_H
#define QX_TEST_TAP_H

#include <stdio.h>

int tap_plan(int n);
/* Prints "ok N - desc" or "not ok N - desc"; returns cond != 0. */
int ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints n "ok N # skip reason" lines. */
void tap_skip(int n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "# ..." diagnostic line on stdout. */
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Skips the whole program: "1..0 # SKIP reason"; returns the exit status to use (0). */
int tap_skip_all(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the trailing plan if none was given; returns 0 when all passed, 1 otherwise. */
int tap_done(void);

/* Paths for tests: QX_ROOT (source tree) and QX_BUILD (the build being tested), from the
 * environment `make test` sets; both default to values relative to the current directory. */
const char *tap_root(void);
const char *tap_build(void);
/* Whether this run is the sanitizer build (long tests use a subset there). */
int tap_sanitized(void);

#endif
