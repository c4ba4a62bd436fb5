#include "util/atomic_write.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int qx_atomic_write(const char *path, const char *what, int (*fill)(FILE *f, void *ctx),
                    void *ctx, struct qx_error *err)
{
	size_t len = strlen(path) + sizeof ".XXXXXX";
	char *tmp = malloc(len);
	if (!tmp)
		return qx_fail_nomem(err, what);
	snprintf(tmp, len, "%s.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int rc = qx_fail(err, QX_EIO, "%s: cannot create a temporary file beside it: %s", path,
		                 strerror(errno));
		free(tmp);
		return rc;
	}
	/* mkstemp makes the file private; the result is as readable as any other output. */
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0) {
		/* Not fatal: the content is still right, only its permissions are narrower. */
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		int saved = errno;
		close(fd);
		unlink(tmp);
		free(tmp);
		return qx_fail(err, QX_EIO, "%s: cannot write %s: %s", path, what, strerror(saved));
	}
	errno = 0;
	int failed = fill(f, ctx) != 0 || fflush(f) != 0 || ferror(f);
	int saved = failed ? errno : 0;
	if (fclose(f) != 0 && !failed) {
		failed = 1;
		saved = errno;
	}
	if (!failed && rename(tmp, path) != 0) {
		failed = 1;
		saved = errno;
	}
	int rc = 0;
	if (failed) {
		unlink(tmp);
		rc = qx_fail(err, QX_EIO, "%s: cannot write %s: %s", path, what,
		             saved ? strerror(saved) : "write error");
	}
	free(tmp);
	return rc;
}
