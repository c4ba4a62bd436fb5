/* SHA-256 of a file, through OpenSSL's libcrypto: results record the model's and the data's,
 * so two runs can tell whether they measured the same files. */
#ifndef QX_UTIL_SHA256_H
#define QX_UTIL_SHA256_H

#include "util/error.h"

/* Writes the lowercase hex digest and a NUL into hex[65]. */
int qx_sha256_file(const char *path, char hex[65], struct qx_error *err);

#endif
