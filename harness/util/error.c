#include "util/error.h"

#include <stdio.h>
#include <string.h>

int qx_fail(struct qx_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code;
}

int qx_fail_wrap(struct qx_error *err, const char *fmt, ...)
{
	if (!err)
		return QX_EINTERNAL;
	char prefix[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	/* prefix + ": " + old message, cut at the buffer's end. */
	char old[sizeof err->msg];
	memcpy(old, err->msg, sizeof old);
	size_t n = strlen(prefix);
	if (n > sizeof err->msg - 3)
		n = sizeof err->msg - 3;
	memcpy(err->msg, prefix, n);
	memcpy(err->msg + n, ": ", 2);
	size_t room = sizeof err->msg - n - 3;
	size_t m = strnlen(old, room);
	memcpy(err->msg + n + 2, old, m);
	err->msg[n + 2 + m] = '\0';
	return err->code ? err->code : QX_EINTERNAL;
}

int qx_fail_nomem(struct qx_error *err, const char *what)
{
	return qx_fail(err, QX_ENOMEM, "out of memory while %s", what);
}
