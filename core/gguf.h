/* GGUF container reader: mmap the file, validate every count, size and offset
 * before use (reference: docs/gguf.md checklist), then give typed access to
 * the key/value metadata and the tensor table. A malformed file is an error
 * message naming the file and the byte offset, never a crash. */
#ifndef PLUME_CORE_GGUF_H
#define PLUME_CORE_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "plume/model.h"
#include "plume/tokenizer.h"

/* GGUF metadata value types. */
enum gguf_type {
	GGUF_TYPE_UINT8 = 0, GGUF_TYPE_INT8 = 1, GGUF_TYPE_UINT16 = 2, GGUF_TYPE_INT16 = 3,
	GGUF_TYPE_UINT32 = 4, GGUF_TYPE_INT32 = 5, GGUF_TYPE_FLOAT32 = 6, GGUF_TYPE_BOOL = 7,
	GGUF_TYPE_STRING = 8, GGUF_TYPE_ARRAY = 9, GGUF_TYPE_UINT64 = 10, GGUF_TYPE_INT64 = 11,
	GGUF_TYPE_FLOAT64 = 12,
};

struct plume_gguf;

/* Open and validate. */
int plume_gguf_open(const char *path, struct plume_gguf **out, struct plume_error *err);
void plume_gguf_close(struct plume_gguf *g);

uint32_t plume_gguf_version(const struct plume_gguf *g);
const char *plume_gguf_path(const struct plume_gguf *g);
uint64_t plume_gguf_file_size(const struct plume_gguf *g);

/* Metadata. Index-based access; find returns -1 when absent. */
int64_t plume_gguf_n_kv(const struct plume_gguf *g);
int64_t plume_gguf_find(const struct plume_gguf *g, const char *key);
const char *plume_gguf_key(const struct plume_gguf *g, int64_t i);   /* NUL-terminated copy */
uint32_t plume_gguf_kv_type(const struct plume_gguf *g, int64_t i);
/* Arrays: element type and count; data points at the first element in the
 * mapping (for string arrays: at the first u64 length). */
uint32_t plume_gguf_arr_type(const struct plume_gguf *g, int64_t i);
uint64_t plume_gguf_arr_n(const struct plume_gguf *g, int64_t i);
const void *plume_gguf_arr_data(const struct plume_gguf *g, int64_t i);
/* String array element j (validated at open). */
struct plume_str plume_gguf_arr_str(const struct plume_gguf *g, int64_t i, uint64_t j);

/* Typed getters by key. PLUME_ERR_NOTFOUND when absent; PLUME_ERR_INVALID
 * (message: "key X has type Y, expected Z") when present with an
 * incompatible type. Integer getters accept any integer type whose value
 * fits; float getters accept FLOAT32/FLOAT64. */
int plume_gguf_get_u32(const struct plume_gguf *g, const char *key, uint32_t *out, struct plume_error *err);
int plume_gguf_get_i64(const struct plume_gguf *g, const char *key, int64_t *out, struct plume_error *err);
int plume_gguf_get_f32(const struct plume_gguf *g, const char *key, float *out, struct plume_error *err);
int plume_gguf_get_bool(const struct plume_gguf *g, const char *key, int *out, struct plume_error *err);
int plume_gguf_get_str(const struct plume_gguf *g, const char *key, struct plume_str *out, struct plume_error *err);

/* Tensors. */
int64_t plume_gguf_n_tensors(const struct plume_gguf *g);
const struct plume_tensor *plume_gguf_tensor(const struct plume_gguf *g, int64_t i);
const struct plume_tensor *plume_gguf_find_tensor(const struct plume_gguf *g, const char *name);
/* File offset of the data blob, and tensor i's offset inside it (as stored
 * in its info record; 0 for zero-byte tensors). */
uint64_t plume_gguf_data_offset(const struct plume_gguf *g);
uint64_t plume_gguf_tensor_offset(const struct plume_gguf *g, int64_t i);

/* Names and sizes of types: "Q4_K", block elements, block bytes. Unknown or
 * removed types: NULL / 0. */
const char *plume_dtype_name(uint32_t type);
int64_t plume_dtype_block_elems(uint32_t type);
size_t plume_dtype_block_bytes(uint32_t type);

#endif
