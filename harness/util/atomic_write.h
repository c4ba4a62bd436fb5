/* Writing a file so that readers see the old one or the whole new one, never a part: the one
 * routine results.json and report.html are written with. */
#ifndef QX_UTIL_ATOMIC_WRITE_H
#define QX_UTIL_ATOMIC_WRITE_H

#include <stdio.h>

#include "util/error.h"

/* Calls fill(f, ctx) on a new temporary file beside path (mkstemp, then made as readable as
 * any file the process creates: 0666 & ~umask), flushes and closes it, and renames it over
 * path. fill returns non-zero when a write failed. On any failure the temporary file is
 * removed and err says "<path>: cannot write <what>: <reason>". */
int qx_atomic_write(const char *path, const char *what, int (*fill)(FILE *f, void *ctx),
                    void *ctx, struct qx_error *err);

#endif
