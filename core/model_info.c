/* `plume info`: a GGUF file's metadata and tensor table, as text or JSON. */
#include <stdlib.h>
#include <string.h>

#include "model.h"

static void put_json_str(FILE *out, const char *s, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static const char *tname(uint32_t t)
{
	static const char *n[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool",
				  "string", "array", "u64", "i64", "f64"};

	return t < 13 ? n[t] : "?";
}

static void put_scalar(FILE *out, uint32_t type, const uint8_t *p, int json)
{
	switch (type) {
	case GGUF_TYPE_UINT8: fprintf(out, "%u", *p); break;
	case GGUF_TYPE_INT8: fprintf(out, "%d", (int8_t)*p); break;
	case GGUF_TYPE_UINT16: { uint16_t v; memcpy(&v, p, 2); fprintf(out, "%u", v); break; }
	case GGUF_TYPE_INT16: { int16_t v; memcpy(&v, p, 2); fprintf(out, "%d", v); break; }
	case GGUF_TYPE_UINT32: { uint32_t v; memcpy(&v, p, 4); fprintf(out, "%u", v); break; }
	case GGUF_TYPE_INT32: { int32_t v; memcpy(&v, p, 4); fprintf(out, "%d", v); break; }
	case GGUF_TYPE_FLOAT32: { float v; memcpy(&v, p, 4); fprintf(out, "%.9g", v); break; }
	case GGUF_TYPE_BOOL: fputs(*p ? "true" : "false", out); break;
	case GGUF_TYPE_UINT64: { uint64_t v; memcpy(&v, p, 8); fprintf(out, "%llu", (unsigned long long)v); break; }
	case GGUF_TYPE_INT64: { int64_t v; memcpy(&v, p, 8); fprintf(out, "%lld", (long long)v); break; }
	case GGUF_TYPE_FLOAT64: { double v; memcpy(&v, p, 8); fprintf(out, "%.17g", v); break; }
	case GGUF_TYPE_STRING: {
		uint64_t len;

		memcpy(&len, p, 8);
		if (json) {
			put_json_str(out, (const char *)p + 8, len);
		} else {
			size_t show = len > 60 ? 60 : len;

			fputc('"', out);
			for (size_t i = 0; i < show; i++) {
				char c = (char)p[8 + i];

				fputs(c == '\n' ? "\\n" : (char[2]){c, 0}, out);
			}
			fprintf(out, "%s\"", len > show ? "…" : "");
		}
		break;
	}
	}
}

static size_t elem_size(uint32_t t)
{
	static const size_t s[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

	return t < 13 ? s[t] : 0;
}

static void put_value(FILE *out, const struct plume_gguf *g, int64_t i, int json)
{
	uint32_t t = plume_gguf_kv_type(g, i);
	uint32_t at;
	uint64_t n, show;
	const uint8_t *d;

	if (t != GGUF_TYPE_ARRAY) {
		put_scalar(out, t, plume_gguf_arr_data(g, i), json);
		return;
	}
	at = plume_gguf_arr_type(g, i);
	n = plume_gguf_arr_n(g, i);
	d = plume_gguf_arr_data(g, i);
	if (json && n > 16) {
		fprintf(out, "{\"type\":\"%s\",\"n\":%llu}", tname(at), (unsigned long long)n);
		return;
	}
	show = json ? n : (n > 6 ? 6 : n);
	fputs(json ? "[" : "", out);
	if (!json)
		fprintf(out, "[%s × %llu] ", tname(at), (unsigned long long)n);
	for (uint64_t j = 0; j < show; j++) {
		if (j)
			fputs(", ", out);
		if (at == GGUF_TYPE_STRING) {
			struct plume_str s = plume_gguf_arr_str(g, i, j);

			if (json) {
				put_json_str(out, s.ptr, s.len);
			} else {
				fputc('"', out);
				fwrite(s.ptr, 1, s.len > 30 ? 30 : s.len, out);
				fputc('"', out);
			}
		} else {
			put_scalar(out, at, d + j * elem_size(at), json);
		}
	}
	fputs(json ? "]" : (n > show ? ", …" : ""), out);
}

void plume_model_print_info(const struct plume_gguf *g, FILE *out, int json)
{
	int64_t nk = plume_gguf_n_kv(g), nt = plume_gguf_n_tensors(g);
	uint64_t total = 0, by_type[64] = {0}, count[64] = {0};

	if (json) {
		fputs("{\"path\":", out);
		put_json_str(out, plume_gguf_path(g), strlen(plume_gguf_path(g)));
		fprintf(out, ",\"version\":%u,\"size\":%llu,\"metadata\":{", plume_gguf_version(g),
			(unsigned long long)plume_gguf_file_size(g));
		for (int64_t i = 0; i < nk; i++) {
			if (i)
				fputc(',', out);
			put_json_str(out, plume_gguf_key(g, i), strlen(plume_gguf_key(g, i)));
			fputc(':', out);
			put_value(out, g, i, 1);
		}
		fputs("},\"tensors\":[", out);
		for (int64_t i = 0; i < nt; i++) {
			const struct plume_tensor *t = plume_gguf_tensor(g, i);

			fprintf(out, "%s{\"name\":\"%s\",\"type\":\"%s\",\"shape\":[", i ? "," : "",
				t->name, plume_dtype_name(t->type));
			for (uint32_t d = 0; d < t->n_dims; d++)
				fprintf(out, "%s%lld", d ? "," : "", (long long)t->ne[d]);
			fprintf(out, "],\"bytes\":%llu}", (unsigned long long)t->n_bytes);
		}
		fputs("]}\n", out);
		return;
	}
	fprintf(out, "%s: GGUF v%u, %llu bytes, %lld metadata keys, %lld tensors\n\n",
		plume_gguf_path(g), plume_gguf_version(g), (unsigned long long)plume_gguf_file_size(g),
		(long long)nk, (long long)nt);
	/* general.* first */
	for (int pass = 0; pass < 2; pass++)
		for (int64_t i = 0; i < nk; i++) {
			const char *k = plume_gguf_key(g, i);
			int general = !strncmp(k, "general.", 8);

			if (general != !pass)
				continue;
			fprintf(out, "  %-44s = ", k);
			put_value(out, g, i, 0);
			fputc('\n', out);
		}
	fprintf(out, "\n  %-36s %-6s %-22s %12s\n", "tensor", "type", "shape", "bytes");
	for (int64_t i = 0; i < nt; i++) {
		const struct plume_tensor *t = plume_gguf_tensor(g, i);
		char shape[64];
		int n = 0;

		for (uint32_t d = 0; d < t->n_dims; d++)
			n += snprintf(shape + n, sizeof(shape) - (size_t)n, "%s%lld", d ? " x " : "",
				      (long long)t->ne[d]);
		fprintf(out, "  %-36s %-6s %-22s %12llu\n", t->name, plume_dtype_name(t->type), shape,
			(unsigned long long)t->n_bytes);
		total += t->n_bytes;
		if (t->type < 64) {
			by_type[t->type] += t->n_bytes;
			count[t->type]++;
		}
	}
	fprintf(out, "\n  %lld tensors, %.2f MiB:", (long long)nt, total / 1048576.0);
	for (int t = 0; t < 64; t++)
		if (count[t])
			fprintf(out, "  %s %llu (%.2f MiB)", plume_dtype_name((uint32_t)t),
				(unsigned long long)count[t], by_type[t] / 1048576.0);
	fputc('\n', out);
}
