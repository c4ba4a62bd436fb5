/* Whole-file reading for the dataset loaders: plain or gzip-compressed, told apart by the
 * content (zlib's gzread passes plain files through), so byte offsets in messages always count
 * bytes of the uncompressed data. Internal to harness/data/. */
#ifndef QX_DATA_FILE_READ_H
#define QX_DATA_FILE_READ_H

#include <stdint.h>

#include "util/error.h"

/* How much of a file qx_read_file may hold in memory. A gzip file can expand a thousandfold, so
 * a reader must not decompress whatever comes: it reads the format's header first and stops
 * QX_READ_SLACK bytes past the size that header declares (enough to count a little trailing
 * data exactly), and never holds more than max_bytes. */
struct qx_read_cap {
	int64_t header_bytes;          /* read these first; 0: the format has no header */
	/* The whole file's size (header included) as the header declares it, or < 0 when the header
	 * is not valid (reading then stops QX_READ_SLACK past the header and the caller's own check
	 * names the problem). Called only once header_bytes bytes were read. */
	int64_t (*declared_size)(const uint8_t *header);
	int64_t max_bytes;             /* a cap for every file of the format, > 0 */
};

#define QX_READ_SLACK ((int64_t)65536)

/* Reads path (at most what cap allows) into a malloc'ed buffer *data (the caller frees it) of
 * *size bytes; *capped is set when reading stopped at the cap with data left, so that the caller
 * says "more than" rather than a byte count. Errors: QX_ENOENT "<path>: file not found (expected
 * <what>)", QX_EIO for an unreadable file or corrupt gzip data (with the byte offset reached).
 * what says what the file should hold. */
int qx_read_file(const char *path, const char *what, const struct qx_read_cap *cap,
                 uint8_t **data, int64_t *size, int *capped, struct qx_error *err);

/* Whether path names an existing file (for messages listing missing files). */
int qx_file_exists(const char *path);

#endif
