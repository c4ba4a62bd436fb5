#include "data/file_read.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

enum { READ_CHUNK = 1 << 20 };

int qx_file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* zlib's message without the "<path>: " it starts with (we print the path anyway). */
static const char *gz_problem(gzFile gz, const char *path, int *zerr)
{
	const char *msg = gzerror(gz, zerr);
	size_t len = strlen(path);
	if (!strncmp(msg, path, len) && !strncmp(msg + len, ": ", 2))
		msg += len + 2;
	return msg;
}

int qx_read_file(const char *path, const char *what, uint8_t **data, int64_t *size,
                 struct qx_error *err)
{
	*data = NULL;
	*size = 0;
	struct stat st;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return qx_fail(err, QX_ENOENT, "%s: file not found (expected %s)", path, what);
		return qx_fail(err, QX_EIO, "%s: cannot open: %s (expected %s)", path,
		               strerror(errno), what);
	}
	if (S_ISDIR(st.st_mode))
		return qx_fail(err, QX_EIO, "%s: is a folder (expected %s)", path, what);

	gzFile gz = gzopen(path, "rb");
	if (!gz)
		return qx_fail(err, QX_EIO, "%s: cannot open: %s (expected %s)", path,
		               errno ? strerror(errno) : "out of memory", what);
	gzbuffer(gz, 1 << 17);

	/* Grow as the data comes: a header announcing a huge count cannot make us allocate more
	 * than the file really holds. */
	uint8_t *buf = NULL;
	int64_t cap = 0, len = 0;
	for (;;) {
		if (cap - len < READ_CHUNK) {
			int64_t new_cap = cap ? cap * 2 : 4 * READ_CHUNK;
			uint8_t *grown = realloc(buf, (size_t)new_cap);
			if (!grown) {
				free(buf);
				gzclose(gz);
				return qx_fail_nomem(err, "reading a dataset file");
			}
			buf = grown;
			cap = new_cap;
		}
		int n = gzread(gz, buf + len, READ_CHUNK);
		if (n < 0) {
			int zerr;
			const char *msg = gz_problem(gz, path, &zerr);
			int rc = qx_fail(err, QX_EIO, "%s: byte %lld: cannot read: %s (expected %s)",
			                 path, (long long)len,
			                 zerr == Z_ERRNO ? strerror(errno) : msg, what);
			free(buf);
			gzclose(gz);
			return rc;
		}
		if (n == 0)
			break;
		len += n;
	}
	/* A truncated gzip stream reads as a short file; zlib says so only here. */
	int zerr;
	const char *msg = gz_problem(gz, path, &zerr);
	if (zerr != Z_OK) {
		int rc = qx_fail(err, QX_EIO, "%s: byte %lld: corrupt gzip data: %s (expected %s)",
		                 path, (long long)len, msg, what);
		free(buf);
		gzclose(gz);
		return rc;
	}
	gzclose(gz);
	*data = buf;
	*size = len;
	return 0;
}
