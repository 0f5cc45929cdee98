/* Unit tests of the golden test's JSON reader (tests/golden/json.c): values,
 * escapes, nesting, and one-line errors on malformed input. */
#include <criterion/criterion.h>
#include <string.h>

#include "json.h"

Test(golden_json, reads_nested_objects_and_arrays)
{
	const char *s = "{\"positions\":[{\"argmax\":29,\"top\":[[29,27.5],[28,-1e-3]]}],"
			" \"ok\" : true, \"none\": null, \"no\": false}";
	const struct json *pos, *top;
	struct json v;
	char err[128];

	cr_assert_eq(json_parse(s, &v, err, sizeof(err)), 0, "%s", err);
	pos = json_get(&v, "positions");
	cr_assert(pos && pos->type == JSON_ARR && pos->n == 1);
	cr_assert_eq(json_get(json_at(pos, 0), "argmax")->num, 29);
	top = json_get(json_at(pos, 0), "top");
	cr_assert_eq(top->n, 2);
	cr_assert_float_eq(json_at(json_at(top, 1), 1)->num, -1e-3, 1e-12);
	cr_assert_eq(json_get(&v, "ok")->type, JSON_BOOL);
	cr_assert_eq(json_get(&v, "ok")->num, 1);
	cr_assert_eq(json_get(&v, "no")->num, 0);
	cr_assert_eq(json_get(&v, "none")->type, JSON_NULL);
	cr_assert_null(json_get(&v, "missing"));
	cr_assert_null(json_at(pos, 1));
	json_free(&v);
}

Test(golden_json, decodes_string_escapes_to_utf8)
{
	const char *s = "[\"a\\n\\t\\\"\\\\\\/b\", \"\\u00e9\\u6771\", \"\\ud83c\\udf55\", \"東京🍕\"]";
	struct json v;
	char err[128];

	cr_assert_eq(json_parse(s, &v, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(json_at(&v, 0)->str, "a\n\t\"\\/b");
	cr_assert_str_eq(json_at(&v, 1)->str, "\xc3\xa9\xe6\x9d\xb1");
	cr_assert_str_eq(json_at(&v, 2)->str, "\xf0\x9f\x8d\x95");
	cr_assert_str_eq(json_at(&v, 3)->str, "東京🍕");
	json_free(&v);
}

Test(golden_json, rejects_malformed_input_with_offset)
{
	const char *bad[] = {"", "[1,2", "{\"a\" 1}", "[1,]x", "\"abc", "[tru]", "{1:2}",
			     "[\"\\x\"]", "[1] 2"};
	char err[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json v;

		err[0] = 0;
		cr_assert_eq(json_parse(bad[i], &v, err, sizeof(err)), -1, "accepted '%s'", bad[i]);
		cr_assert(strstr(err, "at byte"), "no position in '%s'", err);
	}
}
