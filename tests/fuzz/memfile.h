/* libFuzzer targets hand the harness's readers a path, as users do: the input is written to an
 * in-memory file (memfd) and read back through /proc/self/fd/N, so nothing touches the disk and
 * the reader runs exactly the code a real file would. */
#ifndef QX_FUZZ_MEMFILE_H
#define QX_FUZZ_MEMFILE_H

#include <stddef.h>
#include <stdint.h>

/* A memfd named name holding exactly size bytes of data; returns its /proc path (static storage,
 * one per slot 0..3) or aborts: a fuzz run that cannot make its input is not a finding. */
const char *fuzz_memfile(int slot, const uint8_t *data, size_t size);

#endif
