/* GGUF container reader: a valid file round-trips (metadata of every type,
 * tensor table, data pointers), and every malformed input of the
 * reference checklist (reference/gguf.md §1.8) is rejected with a message
 * that names the problem. Files are built with tests/util/gguf_writer. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gguf.h"
#include "gguf_writer.h"

static struct plume_error err;

/* Build w with knobs k, open it, unlink it. Returns the open status. */
static int open_w(struct tu_gguf *w, const struct tu_gguf_knobs *k, struct plume_gguf **g)
{
	char path[256];
	int rc;

	tu_tmp_path(path, sizeof(path), "gguf");
	cr_assert_eq(tu_gguf_write(w, path, k), 0, "cannot write %s", path);
	*g = NULL;
	plume_error_clear(&err);
	rc = plume_gguf_open(path, g, &err);
	unlink(path);
	return rc;
}

/* Expect rejection with a message containing `what`. */
static void expect_reject(struct tu_gguf *w, const struct tu_gguf_knobs *k, const char *what)
{
	struct plume_gguf *g;
	int rc = open_w(w, k, &g);

	tu_gguf_free(w);
	cr_assert_eq(rc, PLUME_ERR_INVALID, "status %d, message '%s'", rc, err.msg);
	cr_assert_null(g);
	cr_expect(strstr(err.msg, what) != NULL, "message '%s' lacks '%s'", err.msg, what);
	cr_expect(strstr(err.msg, "offset") != NULL, "message '%s' lacks the offset", err.msg);
	cr_expect(strchr(err.msg, '\n') == NULL, "message is not one line");
}

static struct plume_gguf *expect_open(struct tu_gguf *w, const struct tu_gguf_knobs *k)
{
	struct plume_gguf *g;
	int rc = open_w(w, k, &g);

	tu_gguf_free(w);
	cr_assert_eq(rc, 0, "open failed: %s", err.msg);
	cr_assert_not_null(g);
	return g;
}

static float f32_data[64];

/* One small valid file: two tensors after a couple of keys. */
static struct tu_gguf *base(void)
{
	struct tu_gguf *w = tu_gguf_new();

	for (int i = 0; i < 64; i++)
		f32_data[i] = (float)i * 0.5f - 3.0f;
	tu_gguf_kv_str(w, "general.architecture", "llama");
	tu_gguf_kv_u32(w, "general.quantization_version", 2);
	tu_gguf_tensor(w, "a.weight", PLUME_DTYPE_F32, 2, (int64_t[]){8, 2}, f32_data, 64);
	tu_gguf_tensor(w, "b.weight", PLUME_DTYPE_F32, 1, (int64_t[]){5}, f32_data, 20);
	return w;
}

Test(gguf, valid_file_round_trips_metadata_of_every_type)
{
	struct tu_gguf *w = tu_gguf_new();
	const char *strs[] = {"alpha", "", "γάμμα"};
	int32_t ints[] = {-7, 0, 123456};
	struct plume_gguf *g;
	struct plume_str s;
	uint32_t u;
	int64_t i64;
	float f;
	int b;
	int64_t i;

	tu_gguf_kv_u8(w, "t.u8", 200);
	tu_gguf_kv_i8(w, "t.i8", -100);
	tu_gguf_kv_u16(w, "t.u16", 60000);
	tu_gguf_kv_i16(w, "t.i16", -30000);
	tu_gguf_kv_u32(w, "t.u32", 4000000000u);
	tu_gguf_kv_i32(w, "t.i32", -2000000000);
	tu_gguf_kv_f32(w, "t.f32", 1.5f);
	tu_gguf_kv_bool(w, "t.bool", 1);
	tu_gguf_kv_str(w, "t.str", "hello");
	tu_gguf_kv_arr_str(w, "t.astr", strs, 3);
	tu_gguf_kv_arr(w, "t.ai32", TU_I32, ints, 3);
	tu_gguf_kv_u64(w, "t.u64", 1ull << 40);
	tu_gguf_kv_i64(w, "t.i64", -(1ll << 40));
	tu_gguf_kv_f64(w, "t.f64", 0.25);
	g = expect_open(w, NULL);

	cr_expect_eq(plume_gguf_version(g), 3);
	cr_expect_eq(plume_gguf_n_kv(g), 14);
	cr_expect_eq(plume_gguf_n_tensors(g), 0);
	cr_expect_str_eq(plume_gguf_key(g, 0), "t.u8");
	cr_expect_eq(plume_gguf_find(g, "absent"), -1);

	cr_expect_eq(plume_gguf_get_u32(g, "t.u8", &u, &err), 0);
	cr_expect_eq(u, 200);
	cr_expect_eq(plume_gguf_get_i64(g, "t.i8", &i64, &err), 0);
	cr_expect_eq(i64, -100);
	cr_expect_eq(plume_gguf_get_u32(g, "t.u16", &u, &err), 0);
	cr_expect_eq(u, 60000);
	cr_expect_eq(plume_gguf_get_i64(g, "t.i16", &i64, &err), 0);
	cr_expect_eq(i64, -30000);
	cr_expect_eq(plume_gguf_get_u32(g, "t.u32", &u, &err), 0);
	cr_expect_eq(u, 4000000000u);
	cr_expect_eq(plume_gguf_get_i64(g, "t.i32", &i64, &err), 0);
	cr_expect_eq(i64, -2000000000);
	cr_expect_eq(plume_gguf_get_f32(g, "t.f32", &f, &err), 0);
	cr_expect_eq(f, 1.5f);
	cr_expect_eq(plume_gguf_get_bool(g, "t.bool", &b, &err), 0);
	cr_expect_eq(b, 1);
	cr_expect_eq(plume_gguf_get_str(g, "t.str", &s, &err), 0);
	cr_expect_eq(s.len, 5);
	cr_expect_eq(memcmp(s.ptr, "hello", 5), 0);
	cr_expect_eq(plume_gguf_get_i64(g, "t.u64", &i64, &err), 0);
	cr_expect_eq(i64, 1ll << 40);
	cr_expect_eq(plume_gguf_get_i64(g, "t.i64", &i64, &err), 0);
	cr_expect_eq(i64, -(1ll << 40));
	cr_expect_eq(plume_gguf_get_f32(g, "t.f64", &f, &err), 0);
	cr_expect_eq(f, 0.25f);

	i = plume_gguf_find(g, "t.astr");
	cr_assert_geq(i, 0);
	cr_expect_eq(plume_gguf_kv_type(g, i), GGUF_TYPE_ARRAY);
	cr_expect_eq(plume_gguf_arr_type(g, i), GGUF_TYPE_STRING);
	cr_expect_eq(plume_gguf_arr_n(g, i), 3);
	for (int j = 0; j < 3; j++) {
		s = plume_gguf_arr_str(g, i, (uint64_t)j);
		cr_expect_eq(s.len, strlen(strs[j]));
		cr_expect_eq(memcmp(s.ptr, strs[j], s.len), 0);
	}
	i = plume_gguf_find(g, "t.ai32");
	cr_assert_geq(i, 0);
	cr_expect_eq(plume_gguf_arr_type(g, i), GGUF_TYPE_INT32);
	cr_expect_eq(memcmp(plume_gguf_arr_data(g, i), ints, sizeof(ints)), 0);
	plume_gguf_close(g);
}

Test(gguf, typed_getters_check_types_and_ranges)
{
	struct tu_gguf *w = tu_gguf_new();
	struct plume_gguf *g;
	struct plume_str s;
	uint32_t u;
	float f;

	tu_gguf_kv_i32(w, "neg", -1);
	tu_gguf_kv_u64(w, "big", 1ull << 33);
	tu_gguf_kv_str(w, "s", "x");
	g = expect_open(w, NULL);
	cr_expect_eq(plume_gguf_get_u32(g, "missing", &u, &err), PLUME_ERR_NOTFOUND);
	cr_expect_eq(plume_gguf_get_u32(g, "neg", &u, &err), PLUME_ERR_INVALID);
	cr_expect_eq(plume_gguf_get_u32(g, "big", &u, &err), PLUME_ERR_INVALID);
	cr_expect_eq(plume_gguf_get_u32(g, "s", &u, &err), PLUME_ERR_INVALID);
	cr_expect(strstr(err.msg, "key s has type string") != NULL, "%s", err.msg);
	cr_expect_eq(plume_gguf_get_f32(g, "neg", &f, &err), PLUME_ERR_INVALID);
	cr_expect_eq(plume_gguf_get_str(g, "neg", &s, &err), PLUME_ERR_INVALID);
	plume_gguf_close(g);
}

Test(gguf, valid_file_round_trips_tensor_table_and_data)
{
	struct tu_gguf *w = base();
	struct plume_gguf *g;
	const struct plume_tensor *a, *b;

	tu_gguf_tensor(w, "q.weight", PLUME_DTYPE_Q4_0, 2, (int64_t[]){64, 3}, NULL, 2 * 18 * 3);
	g = expect_open(w, NULL);
	cr_assert_eq(plume_gguf_n_tensors(g), 3);
	a = plume_gguf_find_tensor(g, "a.weight");
	b = plume_gguf_tensor(g, 1);
	cr_assert_not_null(a);
	cr_expect_eq(a, plume_gguf_tensor(g, 0));
	cr_expect_str_eq(b->name, "b.weight");
	cr_expect_eq(a->type, PLUME_DTYPE_F32);
	cr_expect_eq(a->n_dims, 2);
	cr_expect_eq(a->ne[0], 8);
	cr_expect_eq(a->ne[1], 2);
	cr_expect_eq(a->ne[2], 1);
	cr_expect_eq(a->ne[3], 1);
	cr_expect_eq(a->n_bytes, 64);
	cr_expect_eq(b->n_bytes, 20);
	cr_expect_eq(memcmp(a->data, f32_data, 64), 0);
	cr_expect_eq(memcmp(b->data, f32_data, 20), 0);
	/* b follows a padded to 32 bytes; both 32-byte aligned in memory */
	cr_expect_eq((const char *)b->data - (const char *)a->data, 64);
	cr_expect_eq((uintptr_t)a->data % 32, 0);
	cr_expect_eq((uintptr_t)b->data % 32, 0);
	cr_expect_eq(plume_gguf_tensor(g, 2)->n_bytes, 108);
	cr_expect_eq((const char *)plume_gguf_tensor(g, 2)->data - (const char *)b->data, 32);
	cr_expect_null(plume_gguf_find_tensor(g, "absent"));
	cr_expect_null(plume_gguf_tensor(g, 3));
	plume_gguf_close(g);
}

Test(gguf, accepts_version_2_and_alignment_64)
{
	struct tu_gguf *w = base();
	struct tu_gguf_knobs k = {.version = 2};
	struct plume_gguf *g;

	tu_gguf_kv_u32(w, "general.alignment", 64);
	g = expect_open(w, &k);
	cr_expect_eq(plume_gguf_version(g), 2);
	cr_expect_eq((uintptr_t)plume_gguf_tensor(g, 0)->data % 64, 0);
	cr_expect_eq((const char *)plume_gguf_tensor(g, 1)->data -
			     (const char *)plume_gguf_tensor(g, 0)->data, 64);
	plume_gguf_close(g);
}

Test(gguf, accepts_zero_tensors_and_zero_element_tensor)
{
	struct tu_gguf *w = tu_gguf_new();
	struct plume_gguf *g;

	tu_gguf_kv_str(w, "k", "v");
	g = expect_open(w, NULL);
	cr_expect_eq(plume_gguf_n_tensors(g), 0);
	plume_gguf_close(g);

	w = base();
	tu_gguf_tensor(w, "empty", PLUME_DTYPE_F32, 2, (int64_t[]){0, 4}, NULL, 0);
	g = expect_open(w, NULL);
	cr_expect_eq(plume_gguf_find_tensor(g, "empty")->n_bytes, 0);
	plume_gguf_close(g);
}

Test(gguf, rejects_truncated_file)
{
	/* cut inside the header, the key/value section, the tensor infos and
	 * the data: every cut is an error, never a crash; the padding after the
	 * last tensor may be missing */
	uint8_t *buf;
	size_t len;
	struct tu_gguf *w = base();

	cr_assert_eq(tu_gguf_build(w, NULL, &buf, &len), 0);
	free(buf);
	tu_gguf_free(w);
	/* the last 12 bytes are padding after b.weight's 20 bytes: not needed */
	for (size_t cut = 1; cut < len - 12; cut += 7) {
		struct tu_gguf_knobs k = {.truncate_at = (int64_t)cut};
		struct plume_gguf *g;
		int rc;

		w = base();
		rc = open_w(w, &k, &g);
		tu_gguf_free(w);
		cr_expect_eq(rc, PLUME_ERR_INVALID, "cut at %zu accepted", cut);
		cr_expect(strstr(err.msg, "truncated") || strstr(err.msg, "too short") || strstr(err.msg, "cannot fit") ||
				  strstr(err.msg, "past the end"),
			  "cut at %zu: '%s'", cut, err.msg);
	}
}

Test(gguf, rejects_truncated_header)
{
	expect_reject(base(), &(struct tu_gguf_knobs){.truncate_at = 20}, "too short");
}

Test(gguf, rejects_wrong_magic)
{
	expect_reject(base(), &(struct tu_gguf_knobs){.magic = "GGML"}, "not a GGUF file");
}

Test(gguf, rejects_version_1)
{
	expect_reject(base(), &(struct tu_gguf_knobs){.version = 1}, "version 1 is not supported");
}

Test(gguf, rejects_version_4)
{
	expect_reject(base(), &(struct tu_gguf_knobs){.version = 4}, "version 4 is not supported");
}

Test(gguf, rejects_byte_swapped_version)
{
	expect_reject(base(), &(struct tu_gguf_knobs){.version = 0x03000000}, "byte-swapped");
}

Test(gguf, rejects_absurd_kv_count)
{
	expect_reject(base(), &(struct tu_gguf_knobs){.set_n_kv = 1, .n_kv = 1ull << 62},
		      "cannot fit");
}

Test(gguf, rejects_absurd_tensor_count)
{
	expect_reject(base(), &(struct tu_gguf_knobs){.set_n_tensors = 1, .n_tensors = UINT64_MAX},
		      "cannot fit");
}

Test(gguf, rejects_kv_count_past_the_keys)
{
	/* one more key announced than present: reads run into the tensor infos
	 * and then the end of the file */
	struct tu_gguf *w = tu_gguf_new();

	tu_gguf_kv_u32(w, "a", 1);
	expect_reject(w, &(struct tu_gguf_knobs){.set_n_kv = 1, .n_kv = 2}, "truncated");
}

Test(gguf, rejects_huge_string_length)
{
	struct tu_gguf *w = base();
	uint64_t len = 1ull << 40;

	tu_gguf_kv_raw(w, "s", GGUF_TYPE_STRING, &len, 8);
	expect_reject(w, NULL, "exceeds 1 GiB");
}

Test(gguf, rejects_string_length_past_end)
{
	struct tu_gguf *w = tu_gguf_new();
	uint8_t payload[8 + 3] = {0};
	uint64_t len = 1000;

	memcpy(payload, &len, 8);
	tu_gguf_kv_raw(w, "s", GGUF_TYPE_STRING, payload, sizeof(payload));
	expect_reject(w, NULL, "truncated");
}

Test(gguf, rejects_string_array_count_past_end)
{
	struct tu_gguf *w = tu_gguf_new();
	uint8_t payload[12] = {0};
	uint32_t t = GGUF_TYPE_STRING;
	uint64_t n = 1000000;

	memcpy(payload, &t, 4);
	memcpy(payload + 4, &n, 8);
	tu_gguf_kv_raw(w, "a", GGUF_TYPE_ARRAY, payload, sizeof(payload));
	expect_reject(w, NULL, "truncated");
}

Test(gguf, rejects_nested_array)
{
	struct tu_gguf *w = base();
	uint8_t payload[12 + 12 + 4] = {0};
	uint32_t t = GGUF_TYPE_ARRAY, inner = GGUF_TYPE_UINT32;
	uint64_t n = 1;

	memcpy(payload, &t, 4);
	memcpy(payload + 4, &n, 8);
	memcpy(payload + 12, &inner, 4);
	memcpy(payload + 16, &n, 8);
	tu_gguf_kv_raw(w, "nested", GGUF_TYPE_ARRAY, payload, sizeof(payload));
	expect_reject(w, NULL, "array of type 9");
}

Test(gguf, rejects_unknown_value_type)
{
	struct tu_gguf *w = base();
	uint32_t v = 0;

	tu_gguf_kv_raw(w, "odd", 13, &v, 4);
	expect_reject(w, NULL, "unknown value type 13");
}

Test(gguf, rejects_duplicate_key)
{
	struct tu_gguf *w = base();

	tu_gguf_kv_u32(w, "general.quantization_version", 2);
	expect_reject(w, NULL, "duplicate key 'general.quantization_version'");
}

Test(gguf, rejects_empty_key)
{
	struct tu_gguf *w = base();

	tu_gguf_kv_u32(w, "", 2);
	expect_reject(w, NULL, "empty key");
}

Test(gguf, rejects_alignment_not_power_of_two)
{
	struct tu_gguf *w = base();

	tu_gguf_kv_u32(w, "general.alignment", 48);
	expect_reject(w, &(struct tu_gguf_knobs){.alignment = 32}, "not a power of two");
}

Test(gguf, rejects_alignment_zero)
{
	struct tu_gguf *w = base();

	tu_gguf_kv_u32(w, "general.alignment", 0);
	expect_reject(w, NULL, "not a power of two");
}

Test(gguf, rejects_alignment_of_type_i32)
{
	struct tu_gguf *w = base();

	tu_gguf_kv_i32(w, "general.alignment", 32);
	expect_reject(w, NULL, "expected u32");
}

Test(gguf, rejects_64_byte_tensor_name_accepts_63)
{
	char name[65];
	struct tu_gguf *w = base();
	struct plume_gguf *g;

	memset(name, 'n', 63);
	name[63] = '\0';
	tu_gguf_tensor(w, name, PLUME_DTYPE_F32, 1, (int64_t[]){1}, NULL, 4);
	g = expect_open(w, NULL);
	cr_expect_not_null(plume_gguf_find_tensor(g, name));
	plume_gguf_close(g);

	name[63] = 'n';
	name[64] = '\0';
	w = base();
	tu_gguf_tensor(w, name, PLUME_DTYPE_F32, 1, (int64_t[]){1}, NULL, 4);
	expect_reject(w, NULL, "tensor name of 64 bytes");
}

Test(gguf, rejects_duplicate_tensor)
{
	struct tu_gguf *w = base();

	tu_gguf_tensor(w, "a.weight", PLUME_DTYPE_F32, 1, (int64_t[]){1}, NULL, 4);
	expect_reject(w, NULL, "duplicate tensor 'a.weight'");
}

Test(gguf, rejects_5_dims)
{
	struct tu_gguf *w = base();

	tu_gguf_tensor(w, "t5", PLUME_DTYPE_F32, 5, (int64_t[]){1, 1, 1, 1, 1}, NULL, 4);
	expect_reject(w, NULL, "5 dimensions");
}

Test(gguf, rejects_0_dims)
{
	struct tu_gguf *w = base();

	tu_gguf_tensor(w, "t0", PLUME_DTYPE_F32, 0, NULL, NULL, 4);
	expect_reject(w, NULL, "0 dimensions");
}

Test(gguf, rejects_negative_dim)
{
	struct tu_gguf *w = base();

	tu_gguf_tensor(w, "neg", PLUME_DTYPE_F32, 2, (int64_t[]){4, -1}, NULL, 4);
	expect_reject(w, NULL, "negative dimension");
}

Test(gguf, rejects_element_count_overflow)
{
	struct tu_gguf *w = base();

	tu_gguf_tensor(w, "huge", PLUME_DTYPE_F32, 3,
		       (int64_t[]){1ll << 32, 1ll << 32, 1ll << 32}, NULL, 4);
	expect_reject(w, NULL, "element count overflows");
}

Test(gguf, rejects_unknown_tensor_type)
{
	struct tu_gguf *w = base();

	tu_gguf_tensor(w, "u", 200, 1, (int64_t[]){32}, NULL, 32);
	expect_reject(w, NULL, "unknown or removed type 200");
}

Test(gguf, rejects_removed_tensor_type)
{
	struct tu_gguf *w = base();

	tu_gguf_tensor(w, "r", 4, 1, (int64_t[]){32}, NULL, 32);
	expect_reject(w, NULL, "unknown or removed type 4");
}

Test(gguf, rejects_row_not_multiple_of_block)
{
	struct tu_gguf *w = base();

	tu_gguf_tensor(w, "q", PLUME_DTYPE_Q4_0, 2, (int64_t[]){16, 2}, NULL, 36);
	expect_reject(w, NULL, "not a multiple of the Q4_0 block (32)");
}

Test(gguf, rejects_offset_gap)
{
	struct tu_gguf *w = base();

	tu_gguf_tensor_offset(w, 1, 128);
	expect_reject(w, NULL, "data offset 128, expected 64");
}

Test(gguf, rejects_misaligned_offset)
{
	struct tu_gguf *w = base();

	tu_gguf_tensor_offset(w, 1, 65);
	expect_reject(w, NULL, "data offset 65, expected 64");
}

Test(gguf, rejects_tensor_data_past_end_of_file)
{
	uint8_t *buf;
	size_t len;
	struct tu_gguf *w = base();

	cr_assert_eq(tu_gguf_build(w, NULL, &buf, &len), 0);
	free(buf);
	tu_gguf_free(w);
	/* keep b.weight's first 8 bytes only */
	expect_reject(base(), &(struct tu_gguf_knobs){.truncate_at = (int64_t)len - 32 + 8},
		      "tensor 'b.weight': data [");
}

Test(gguf, rejects_missing_file_and_directory)
{
	struct plume_gguf *g = NULL;

	cr_expect_eq(plume_gguf_open("/nonexistent/x.gguf", &g, &err), PLUME_ERR_IO);
	cr_expect(strstr(err.msg, "/nonexistent/x.gguf: cannot open") != NULL, "%s", err.msg);
	cr_expect_eq(plume_gguf_open("/tmp", &g, &err), PLUME_ERR_IO);
	cr_expect_null(g);
}

Test(gguf, dtype_tables)
{
	cr_expect_str_eq(plume_dtype_name(PLUME_DTYPE_Q4_1), "Q4_1");
	cr_expect_eq(plume_dtype_block_elems(PLUME_DTYPE_Q6_K), 256);
	cr_expect_eq(plume_dtype_block_bytes(PLUME_DTYPE_Q6_K), 210);
	cr_expect_eq(plume_dtype_block_bytes(PLUME_DTYPE_BF16), 2);
	cr_expect_null(plume_dtype_name(4));
	cr_expect_null(plume_dtype_name(31));
	cr_expect_null(plume_dtype_name(1000));
	cr_expect_eq(plume_dtype_block_bytes(1000), 0);
}

Test(gguf, random_corruptions_are_errors_not_crashes)
{
	/* flip bytes in the header/metadata/infos of a valid file: every
	 * outcome is a clean accept or a clean rejection (run under ASan or
	 * valgrind to check the reads) */
	struct tu_gguf *w = base();
	const char *toks[] = {"a", "bb", "ccc"};
	uint8_t *buf, *copy;
	size_t len;
	uint64_t s = 42;
	char path[256];

	tu_gguf_kv_arr_str(w, "tokens", toks, 3);
	tu_gguf_kv_f32(w, "f", 2.0f);
	cr_assert_eq(tu_gguf_build(w, NULL, &buf, &len), 0);
	tu_gguf_free(w);
	copy = malloc(len);
	cr_assert_not_null(copy);
	tu_tmp_path(path, sizeof(path), "fuzz");
	for (int iter = 0; iter < 400; iter++) {
		struct plume_gguf *g = NULL;
		int rc;

		memcpy(copy, buf, len);
		for (int k = 0; k < 1 + iter % 4; k++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			/* mostly the first 200 bytes: counts, lengths, types, dims */
			copy[(s >> 33) % (iter % 3 ? 200 : len)] ^= (uint8_t)(1u << ((s >> 20) % 8));
		}
		cr_assert_eq(tu_write_file(path, copy, len), 0);
		rc = plume_gguf_open(path, &g, &err);
		cr_expect(rc == 0 || rc == PLUME_ERR_INVALID, "iteration %d: status %d", iter, rc);
		if (!rc) {
			for (int64_t i = 0; i < plume_gguf_n_tensors(g); i++) {
				const struct plume_tensor *t = plume_gguf_tensor(g, i);
				volatile uint8_t sink = 0;

				for (uint64_t b = 0; b < t->n_bytes; b++)
					sink ^= ((const uint8_t *)t->data)[b];
				(void)sink;
			}
			plume_gguf_close(g);
		}
	}
	unlink(path);
	free(copy);
	free(buf);
}
