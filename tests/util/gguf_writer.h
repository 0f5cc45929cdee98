/* A small GGUF writer for tests: build a file in memory from key/value pairs
 * and tensors, then write it with the layout the format requires (packed
 * tensor infos, data blob aligned, each tensor padded to the alignment).
 * Knobs produce malformed files for loader tests: override magic, version
 * and counts, give raw value bytes, force a tensor offset, truncate.
 *
 * Usage:
 *   struct tu_gguf *w = tu_gguf_new();
 *   tu_gguf_kv_str(w, "general.architecture", "llama");
 *   tu_gguf_tensor(w, "x", PLUME_DTYPE_F32, 1, (int64_t[]){4}, data, 16);
 *   tu_gguf_write(w, path, NULL);
 *   tu_gguf_free(w);
 * Functions return 0 or -1 (out of memory, I/O error). */
#ifndef PLUME_TESTS_GGUF_WRITER_H
#define PLUME_TESTS_GGUF_WRITER_H

#include <stddef.h>
#include <stdint.h>

/* GGUF value type ids (same numbers as core/gguf.h enum gguf_type). */
enum {
	TU_U8 = 0, TU_I8 = 1, TU_U16 = 2, TU_I16 = 3, TU_U32 = 4, TU_I32 = 5, TU_F32 = 6,
	TU_BOOL = 7, TU_STR = 8, TU_ARR = 9, TU_U64 = 10, TU_I64 = 11, TU_F64 = 12,
};

struct tu_gguf;

struct tu_gguf *tu_gguf_new(void);
void tu_gguf_free(struct tu_gguf *w);

/* Scalars. */
int tu_gguf_kv_u8(struct tu_gguf *w, const char *key, uint8_t v);
int tu_gguf_kv_i8(struct tu_gguf *w, const char *key, int8_t v);
int tu_gguf_kv_u16(struct tu_gguf *w, const char *key, uint16_t v);
int tu_gguf_kv_i16(struct tu_gguf *w, const char *key, int16_t v);
int tu_gguf_kv_u32(struct tu_gguf *w, const char *key, uint32_t v);
int tu_gguf_kv_i32(struct tu_gguf *w, const char *key, int32_t v);
int tu_gguf_kv_f32(struct tu_gguf *w, const char *key, float v);
int tu_gguf_kv_bool(struct tu_gguf *w, const char *key, int v);
int tu_gguf_kv_u64(struct tu_gguf *w, const char *key, uint64_t v);
int tu_gguf_kv_i64(struct tu_gguf *w, const char *key, int64_t v);
int tu_gguf_kv_f64(struct tu_gguf *w, const char *key, double v);
int tu_gguf_kv_str(struct tu_gguf *w, const char *key, const char *s);
int tu_gguf_kv_strn(struct tu_gguf *w, const char *key, const char *s, size_t len);
/* Array of n scalars of elem_type (TU_U8..TU_F64 except TU_STR/TU_ARR),
 * data packed little-endian as in memory on this (LE) machine. */
int tu_gguf_kv_arr(struct tu_gguf *w, const char *key, uint32_t elem_type, const void *data,
		   uint64_t n);
/* Array of n NUL-terminated strings. */
int tu_gguf_kv_arr_str(struct tu_gguf *w, const char *key, const char *const *s, uint64_t n);
/* Malformed values: the key, the u32 `type` as given, then `n` raw bytes. */
int tu_gguf_kv_raw(struct tu_gguf *w, const char *key, uint32_t type, const void *payload,
		   size_t n);

/* A tensor: name, ggml type id, n_dims (any value up to 8 is written as
 * given, for malformed files) dims ne[0..n_dims), and n_bytes of data
 * (copied; may be NULL to write zeros). Returns its index. The offset is
 * computed as the packed layout requires unless tu_gguf_tensor_offset()
 * overrides it. */
int tu_gguf_tensor(struct tu_gguf *w, const char *name, uint32_t type, uint32_t n_dims,
		   const int64_t *ne, const void *data, size_t n_bytes);
int tu_gguf_tensor_offset(struct tu_gguf *w, int index, uint64_t offset);

/* Bytes of one tensor as the loader computes them: (ne0 / block) * block
 * bytes * ne1 * ne2 * ne3, for the types plume knows (F32, F16, BF16, Q4_0,
 * Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q8_K). 0 for others. */
size_t tu_tensor_bytes(uint32_t type, uint32_t n_dims, const int64_t *ne);

struct tu_gguf_knobs {
	const char *magic;      /* 4 bytes instead of "GGUF" */
	uint32_t version;       /* 0: 3 */
	int set_n_kv;           /* write n_kv instead of the real count */
	uint64_t n_kv;
	int set_n_tensors;      /* write n_tensors instead of the real count */
	uint64_t n_tensors;
	uint32_t alignment;     /* padding used; 0: general.alignment (u32) or 32 */
	int64_t truncate_at;    /* > 0: cut the file to this many bytes */
};

/* Build the file in memory: *buf (malloc'ed, caller frees) and *len. */
int tu_gguf_build(struct tu_gguf *w, const struct tu_gguf_knobs *k, uint8_t **buf, size_t *len);
/* Build and write to path (knobs may be NULL). */
int tu_gguf_write(struct tu_gguf *w, const char *path, const struct tu_gguf_knobs *k);

/* Write raw bytes to a file (for hand-made headers). */
int tu_write_file(const char *path, const void *data, size_t len);

/* IEEE half / bfloat16 conversion, round to nearest even. */
uint16_t tu_fp16_from_f32(float f);
float tu_f32_from_fp16(uint16_t h);
uint16_t tu_bf16_from_f32(float f);

/* A unique temporary file name under $TMPDIR (or /tmp) with `tag` in it,
 * written into buf. The caller unlinks it. */
const char *tu_tmp_path(char *buf, size_t cap, const char *tag);

#endif
