/* Whole-file reading for the dataset loaders: plain or gzip-compressed, told apart by the
 * content (zlib's gzread passes plain files through), so byte offsets in messages always count
 * bytes of the uncompressed data. Internal to harness/data/. */
#ifndef QX_DATA_FILE_READ_H
#define QX_DATA_FILE_READ_H

#include <stdint.h>

#include "util/error.h"

/* Reads all of path into a malloc'ed buffer *data (the caller frees it) of *size bytes.
 * Errors: QX_ENOENT "<path>: file not found (expected <what>)", QX_EIO for an unreadable file
 * or corrupt gzip data (with the byte offset reached). what says what the file should hold. */
int qx_read_file(const char *path, const char *what, uint8_t **data, int64_t *size,
                 struct qx_error *err);

/* Whether path names an existing file (for messages listing missing files). */
int qx_file_exists(const char *path);

#endif
