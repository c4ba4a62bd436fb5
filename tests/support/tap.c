#include "tap.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int planned = -1, count, failed;

int tap_plan(int n)
{
	planned = n;
	if (n > 0)
		printf("1..%d\n", n);
	fflush(stdout);
	return 0;
}

int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%s %d - ", cond ? "ok" : "not ok", ++count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		failed++;
	return cond != 0;
}

void tap_skip(int n, const char *fmt, ...)
{
	char reason[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	for (int i = 0; i < n; i++)
		printf("ok %d # skip %s\n", ++count, reason);
	fflush(stdout);
}

void diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int tap_skip_all(const char *fmt, ...)
{
	va_list ap;
	printf("1..0 # SKIP ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return 0;
}

int tap_done(void)
{
	if (planned <= 0)
		printf("1..%d\n", count);
	else if (count != planned)
		printf("# planned %d tests but ran %d\n", planned, count);
	fflush(stdout);
	return (failed || (planned > 0 && count != planned)) ? 1 : 0;
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

const char *tap_root(void) { return env_or("QX_ROOT", "."); }
const char *tap_build(void) { return env_or("QX_BUILD", "build"); }
int tap_sanitized(void) { return getenv("QX_SANITIZED") && strcmp(getenv("QX_SANITIZED"), "0") != 0; }
