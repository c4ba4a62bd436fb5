/* Comma-separated lists from the command line (--plugins, --kernels, --threads, --batch, and
 * history's filters): the one parser of them. A comma inside brackets belongs to its item, since
 * a swept configuration's label holds commas ("static-per-tensor[qparams=histogram,count=8]").
 * "a,,b" has an empty item; a trailing comma ends the list. */
#ifndef QX_UTIL_LIST_H
#define QX_UTIL_LIST_H

#include <stddef.h>

/* Steps through a list: *pos starts at the list. Returns 1 and the next item (*item, *len: not
 * NUL-terminated), or 0 at the end. */
int qx_list_next(const char **pos, const char **item, size_t *len);

/* Whether the list has an item equal to name. */
int qx_list_has(const char *list, const char *name);

/* Parses a list of integers, each 1..limit, into out (at most max). Returns how many, or -1
 * for an empty list, an item that is not such an integer, or more than max items. */
int qx_list_ints(const char *list, int *out, int max, int limit);

#endif
