#include "util/list.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int qx_list_next(const char **pos, const char **item, size_t *len)
{
	const char *p = *pos;
	if (!*p)
		return 0;
	size_t n = 0;
	for (int depth = 0; p[n] && (p[n] != ',' || depth > 0); n++)
		depth += p[n] == '[' ? 1 : p[n] == ']' && depth > 0 ? -1 : 0;
	*item = p;
	*len = n;
	*pos = p + n + (p[n] != '\0');
	return 1;
}

int qx_list_has(const char *list, const char *name)
{
	size_t want = strlen(name), n;
	const char *item;
	for (const char *p = list; qx_list_next(&p, &item, &n);)
		if (n == want && strncmp(item, name, n) == 0)
			return 1;
	return 0;
}

int qx_list_ints(const char *list, int *out, int max, int limit)
{
	int count = 0;
	size_t n;
	const char *item;
	for (const char *p = list; qx_list_next(&p, &item, &n);) {
		char text[32], *end;
		if (n == 0 || n >= sizeof text || count == max)
			return -1;
		memcpy(text, item, n);
		text[n] = '\0';
		errno = 0;
		long v = strtol(text, &end, 10);
		if (*end != '\0' || errno || v < 1 || v > limit)
			return -1;
		out[count++] = (int)v;
	}
	return count ? count : -1;
}
