/* See memfile.h. */
#include "fuzz/memfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define SLOTS 4

const char *fuzz_memfile(int slot, const uint8_t *data, size_t size)
{
	static int fd[SLOTS] = { -1, -1, -1, -1 };
	static char path[SLOTS][64];
	if (slot < 0 || slot >= SLOTS)
		abort();
	if (fd[slot] < 0) {
		fd[slot] = memfd_create("qx-fuzz", 0);
		if (fd[slot] < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(path[slot], sizeof path[slot], "/proc/self/fd/%d", fd[slot]);
	}
	/* Truncate, then write everything at offset 0: a shorter input leaves no stale tail. */
	if (ftruncate(fd[slot], 0) != 0)
		abort();
	size_t done = 0;
	while (done < size) {
		ssize_t n = pwrite(fd[slot], data + done, size - done, (off_t)done);
		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	return path[slot];
}
