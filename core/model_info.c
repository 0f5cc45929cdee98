/* `plume info`: a GGUF file's metadata and tensor table, as text or JSON.
 * Text: general.* keys first, then the others; arrays as "[type × N]" and
 * their first elements; long strings cut with "…"; then the tensor table
 * and totals by type. JSON: one object {"path", "version", "size",
 * "metadata", "tensors"}; arrays longer than 16 become {"type", "n"};
 * non-finite floats become null; invalid UTF-8 becomes U+FFFD. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define TEXT_STR_MAX 60   /* bytes of a string value shown in text mode */
#define TEXT_ELEM_STR_MAX 24
#define TEXT_ARR_SHOW 6
#define JSON_ARR_MAX 16

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Write s[0..n) escaped, quoted; at most `max` bytes (then "…"). JSON and
 * text use the same escapes; text mode shows control characters too. */
static void put_str(FILE *out, const char *str, size_t n, size_t max)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	fputc('"', out);
	while (i < n && i < max) {
		unsigned char c = s[i];
		size_t l;

		if (c == '"' || c == '\\') {
			fprintf(out, "\\%c", c);
			i++;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			fputs(c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r", out);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
			i++;
		} else if ((l = utf8_len(s + i, n - i))) {
			fwrite(s + i, 1, l, out);
			i += l;
		} else {
			fputs("\\ufffd", out);
			i++;
		}
	}
	fputc('"', out);
	if (i < n)
		fputs("…", out);
}

static void put_cstr(FILE *out, const char *s)
{
	put_str(out, s, strlen(s), SIZE_MAX);
}

static const char *tname(uint32_t t)
{
	static const char *n[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool",
				  "string", "array", "u64", "i64", "f64"};

	return t < 13 ? n[t] : "?";
}

static size_t elem_size(uint32_t t)
{
	static const size_t s[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

	return t < 13 ? s[t] : 0;
}

static void put_float(FILE *out, double v, int json, int digits)
{
	if (isfinite(v))
		fprintf(out, "%.*g", digits, v);
	else if (json)
		fputs("null", out);
	else
		fputs(isnan(v) ? "nan" : v > 0 ? "inf" : "-inf", out);
}

/* A scalar at p (not string/array). */
static void put_scalar(FILE *out, uint32_t type, const uint8_t *p, int json)
{
	switch (type) {
	case GGUF_TYPE_UINT8: fprintf(out, "%u", *p); break;
	case GGUF_TYPE_INT8: fprintf(out, "%d", (int8_t)*p); break;
	case GGUF_TYPE_UINT16: { uint16_t v; memcpy(&v, p, 2); fprintf(out, "%u", v); break; }
	case GGUF_TYPE_INT16: { int16_t v; memcpy(&v, p, 2); fprintf(out, "%d", v); break; }
	case GGUF_TYPE_UINT32: { uint32_t v; memcpy(&v, p, 4); fprintf(out, "%u", v); break; }
	case GGUF_TYPE_INT32: { int32_t v; memcpy(&v, p, 4); fprintf(out, "%d", v); break; }
	case GGUF_TYPE_FLOAT32: { float v; memcpy(&v, p, 4); put_float(out, v, json, 9); break; }
	case GGUF_TYPE_BOOL: fputs(*p ? "true" : "false", out); break;
	case GGUF_TYPE_UINT64: { uint64_t v; memcpy(&v, p, 8); fprintf(out, "%llu", (unsigned long long)v); break; }
	case GGUF_TYPE_INT64: { int64_t v; memcpy(&v, p, 8); fprintf(out, "%lld", (long long)v); break; }
	case GGUF_TYPE_FLOAT64: { double v; memcpy(&v, p, 8); put_float(out, v, json, 17); break; }
	case GGUF_TYPE_STRING: {
		uint64_t len;

		memcpy(&len, p, 8);
		put_str(out, (const char *)p + 8, len, json ? SIZE_MAX : TEXT_STR_MAX);
		break;
	}
	}
}

static void put_value(FILE *out, const struct plume_gguf *g, int64_t i, int json)
{
	uint32_t t = plume_gguf_kv_type(g, i), at;
	uint64_t n, show;
	const uint8_t *d;

	if (t != GGUF_TYPE_ARRAY) {
		put_scalar(out, t, plume_gguf_arr_data(g, i), json);
		return;
	}
	at = plume_gguf_arr_type(g, i);
	n = plume_gguf_arr_n(g, i);
	d = plume_gguf_arr_data(g, i);
	if (json && n > JSON_ARR_MAX) {
		fprintf(out, "{\"type\":\"%s\",\"n\":%llu}", tname(at), (unsigned long long)n);
		return;
	}
	show = json ? n : (n > TEXT_ARR_SHOW ? TEXT_ARR_SHOW : n);
	if (json)
		fputc('[', out);
	else
		fprintf(out, "[%s × %llu] ", tname(at), (unsigned long long)n);
	for (uint64_t j = 0; j < show; j++) {
		if (j)
			fputs(json ? "," : ", ", out);
		if (at == GGUF_TYPE_STRING) {
			struct plume_str s = plume_gguf_arr_str(g, i, j);

			put_str(out, s.ptr, s.len, json ? SIZE_MAX : TEXT_ELEM_STR_MAX);
		} else {
			put_scalar(out, at, d + j * elem_size(at), json);
		}
	}
	if (json)
		fputc(']', out);
	else if (n > show)
		fputs(", …", out);
}

static void print_json(const struct plume_gguf *g, FILE *out)
{
	int64_t nk = plume_gguf_n_kv(g), nt = plume_gguf_n_tensors(g);

	fputs("{\"path\":", out);
	put_cstr(out, plume_gguf_path(g));
	fprintf(out, ",\"version\":%u,\"size\":%llu,\"metadata\":{", plume_gguf_version(g),
		(unsigned long long)plume_gguf_file_size(g));
	for (int64_t i = 0; i < nk; i++) {
		if (i)
			fputc(',', out);
		put_cstr(out, plume_gguf_key(g, i));
		fputc(':', out);
		put_value(out, g, i, 1);
	}
	fputs("},\"tensors\":[", out);
	for (int64_t i = 0; i < nt; i++) {
		const struct plume_tensor *t = plume_gguf_tensor(g, i);

		fputs(i ? ",{\"name\":" : "{\"name\":", out);
		put_cstr(out, t->name);
		fprintf(out, ",\"type\":\"%s\",\"shape\":[", plume_dtype_name(t->type));
		for (uint32_t d = 0; d < t->n_dims; d++)
			fprintf(out, "%s%lld", d ? "," : "", (long long)t->ne[d]);
		fprintf(out, "],\"offset\":%llu,\"bytes\":%llu}",
			(unsigned long long)plume_gguf_tensor_offset(g, i),
			(unsigned long long)t->n_bytes);
	}
	fputs("]}\n", out);
}

void plume_model_print_info(const struct plume_gguf *g, FILE *out, int json)
{
	int64_t nk = plume_gguf_n_kv(g), nt = plume_gguf_n_tensors(g);
	uint64_t total = 0, by_type[64] = {0}, count[64] = {0};

	if (json) {
		print_json(g, out);
		return;
	}
	fprintf(out, "%s: GGUF v%u, %llu bytes, %lld metadata keys, %lld tensors\n\n",
		plume_gguf_path(g), plume_gguf_version(g), (unsigned long long)plume_gguf_file_size(g),
		(long long)nk, (long long)nt);
	for (int pass = 0; pass < 2; pass++)
		for (int64_t i = 0; i < nk; i++) {
			const char *k = plume_gguf_key(g, i);

			if (!strncmp(k, "general.", 8) != !pass)
				continue;
			fprintf(out, "  %-44s = ", k);
			put_value(out, g, i, 0);
			fputc('\n', out);
		}
	fprintf(out, "\n  %-40s %-7s %-24s %12s\n", "tensor", "type", "shape", "bytes");
	for (int64_t i = 0; i < nt; i++) {
		const struct plume_tensor *t = plume_gguf_tensor(g, i);
		char shape[96];
		int n = 0;

		for (uint32_t d = 0; d < t->n_dims; d++)
			n += snprintf(shape + n, sizeof(shape) - (size_t)n, "%s%lld", d ? " x " : "",
				      (long long)t->ne[d]);
		fprintf(out, "  %-40s %-7s %-24s %12llu\n", t->name, plume_dtype_name(t->type), shape,
			(unsigned long long)t->n_bytes);
		total += t->n_bytes;
		if (t->type < 64) {
			by_type[t->type] += t->n_bytes;
			count[t->type]++;
		}
	}
	fprintf(out, "\n  %lld tensors, %llu bytes (%.2f MiB):", (long long)nt,
		(unsigned long long)total, total / 1048576.0);
	for (int t = 0; t < 64; t++)
		if (count[t])
			fprintf(out, "  %s %llu (%.2f MiB)", plume_dtype_name((uint32_t)t),
				(unsigned long long)count[t], by_type[t] / 1048576.0);
	fputc('\n', out);
}
