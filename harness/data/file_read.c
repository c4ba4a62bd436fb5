#include "data/file_read.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "util/checked.h"

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

/* Reads until *len == want or the end of the data, into *buf, growing it as data comes (so a
 * header announcing a huge count cannot make us allocate more than the file really holds):
 * first bytes at first (the file's size, for a plain file one allocation), then doubling.
 * Returns 0, or an error code with err filled. */
static int read_upto(gzFile gz, const char *path, const char *what, uint8_t **buf,
                     int64_t *cap, int64_t first, int64_t *lenp, int64_t want,
                     struct qx_error *err)
{
	int64_t len = *lenp;
	while (len < want) {
		if (*cap - len < READ_CHUNK && *cap < want) {
			int64_t new_cap = *cap * 2 > first ? *cap * 2 : first;
			if (new_cap > want)
				new_cap = want;
			uint8_t *grown = realloc(*buf, (size_t)new_cap);
			if (!grown)
				return qx_fail_nomem(err, "reading a dataset file");
			*buf = grown;
			*cap = new_cap;
		}
		int64_t room = *cap - len < READ_CHUNK ? *cap - len : READ_CHUNK;
		int n = gzread(gz, *buf + len, (unsigned)room);
		if (n < 0) {
			int zerr;
			const char *msg = gz_problem(gz, path, &zerr);
			return qx_fail(err, QX_EIO, "%s: byte %lld: cannot read: %s (expected %s)", path,
			               (long long)len, zerr == Z_ERRNO ? strerror(errno) : msg, what);
		}
		if (n == 0)
			break;
		len += n;
		*lenp = len;
	}
	return 0;
}

int qx_read_file(const char *path, const char *what, const struct qx_read_cap *cap,
                 uint8_t **data, int64_t *size, int *capped, struct qx_error *err)
{
	*data = NULL;
	*size = 0;
	*capped = 0;
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

	uint8_t *buf = NULL;
	int64_t buf_cap = 0, len = 0;
	int64_t first = st.st_size + 1 > 65536 ? (int64_t)st.st_size + 1 : 65536;
	int rc;
	/* The header first, then at most QX_READ_SLACK past what it declares. */
	int64_t limit = cap->max_bytes;
	if (cap->header_bytes > 0) {
		if ((rc = read_upto(gz, path, what, &buf, &buf_cap, first, &len, cap->header_bytes,
		                    err)))
			goto fail;
		int64_t declared = len == cap->header_bytes ? cap->declared_size(buf) : -1;
		int64_t upto;
		if (!qx_add_ok(declared >= 0 ? declared : cap->header_bytes, QX_READ_SLACK, &upto))
			upto = INT64_MAX;
		if (upto < limit)
			limit = upto;
	}
	/* One byte past the limit tells a file that ends there from one that goes on. */
	if ((rc = read_upto(gz, path, what, &buf, &buf_cap, first, &len, limit + 1, err)))
		goto fail;
	if (len > limit) {
		len = limit;
		*capped = 1;
	} else {
		/* A truncated gzip stream reads as a short file; zlib says so only here. */
		int zerr;
		const char *msg = gz_problem(gz, path, &zerr);
		if (zerr != Z_OK) {
			rc = qx_fail(err, QX_EIO, "%s: byte %lld: corrupt gzip data: %s (expected %s)",
			             path, (long long)len, msg, what);
			goto fail;
		}
	}
	gzclose(gz);
	*data = buf;
	*size = len;
	return 0;
fail:
	free(buf);
	gzclose(gz);
	return rc;
}
