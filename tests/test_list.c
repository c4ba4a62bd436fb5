/* util/list.c: the one parser of comma-separated command-line lists. */
#include <string.h>

#include "support/tap.h"
#include "util/list.h"

int main(void)
{
	tap_plan(0);
	const char *list = "a,static[qparams=histogram,count=8],,bb", *p = list, *item;
	size_t n;
	const char *want[] = { "a", "static[qparams=histogram,count=8]", "", "bb" };
	int count = 0, same = 1;
	while (qx_list_next(&p, &item, &n)) {
		same &= count < 4 && n == strlen(want[count]) && !strncmp(item, want[count], n);
		count++;
	}
	ok(count == 4 && same, "items split at commas outside brackets, an empty one kept (%d)",
	   count);
	p = "x,";
	count = 0;
	while (qx_list_next(&p, &item, &n))
		count++;
	ok(count == 1, "a trailing comma ends the list (%d items)", count);
	ok(qx_list_has(list, "bb") && qx_list_has(list, "static[qparams=histogram,count=8]") &&
	   !qx_list_has(list, "b") && !qx_list_has(list, "static[qparams=histogram") &&
	   !qx_list_has("", "a"), "membership is whole items only");
	int v[4];
	ok(qx_list_ints("1,2,64", v, 4, 64) == 3 && v[0] == 1 && v[1] == 2 && v[2] == 64,
	   "1,2,64 parses");
	ok(qx_list_ints("1,65", v, 4, 64) == -1 && qx_list_ints("0", v, 4, 64) == -1 &&
	   qx_list_ints("2x", v, 4, 64) == -1 && qx_list_ints("1,,2", v, 4, 64) == -1 &&
	   qx_list_ints("", v, 4, 64) == -1 && qx_list_ints("1,2,3,4,5", v, 4, 64) == -1 &&
	   qx_list_ints("99999999999999999999", v, 4, 64) == -1,
	   "out of range, not a number, empty items, too many items: refused");
	return tap_done();
}
