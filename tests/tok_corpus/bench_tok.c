/* Encoding speed of a tokenizer plugin on one core: `bench_tok MODEL.gguf
 * [FILE]` encodes FILE (default: 1 MiB of mixed text built here) with the
 * model's vocabulary through the plugin tokenizer.ggml.model picks (gpt2:
 * bpe, llama: spm), three times, and prints MiB/s and tokens/s of the best
 * run. Needs PLUME_PLUGIN_PATH (the build's plugins/ directory). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "host.h"
#include "model.h"
#include "plume/tokenizer.h"

static char *read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto out;
	buf = malloc((size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	*n = (size_t)len;
out:
	fclose(f);
	return buf;
}

static char *mixed_text(size_t n)
{
	static const char *const parts[] = {
		"The quick brown fox jumps over the lazy dog. ", "It's 2024-11-27, 12:30pm; ",
		"int main(void) {\n\treturn 0;\n}\n", "café naïve résumé ", "東京は日本の首都です。",
		"Привет, мир! ", "emoji 🎉👍🏽 ", "    indented\n\n", "1234567890 ", "<|im_end|> ",
	};
	char *buf = malloc(n + 64);
	size_t k = 0, i = 0;

	if (!buf)
		return NULL;
	while (k < n) {
		const char *p = parts[i++ % (sizeof(parts) / sizeof(parts[0]))];
		size_t l = strlen(p);

		memcpy(buf + k, p, l);
		k += l;
	}
	return buf;
}

int main(int argc, char **argv)
{
	const struct plume_plugin_desc *(*entry)(void);
	const struct plume_plugin_desc *d;
	const struct plume_tokenizer_ops *ops;
	struct plume_engine_params params = {.size = sizeof(params), .n_threads = 1};
	struct plume_error err = {0};
	struct plume_config *view;
	struct plume_model *m;
	const char *dir = getenv("PLUME_PLUGIN_PATH");
	char path[1024], *text;
	const char *kind;
	size_t n = 1 << 20, n_ids = 0;
	int32_t *ids;
	double best = 1e30;
	void *dl, *ctx;

	if (argc < 2 || !dir) {
		fprintf(stderr, "usage: PLUME_PLUGIN_PATH=DIR bench_tok MODEL.gguf [FILE]\n");
		return 2;
	}
	text = argc > 2 ? read_all(argv[2], &n) : mixed_text(n);
	if (!text) {
		fprintf(stderr, "bench_tok: cannot read %s\n", argc > 2 ? argv[2] : "(memory)");
		return 1;
	}
	if (plume_model_load(argv[1], PLUME_MODEL_LOAD_VOCAB_ONLY, &m, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	kind = plume_model_vocab(m)->model;
	kind = kind && !strcmp(kind, "llama") ? "spm" : "bpe";
	snprintf(path, sizeof(path), "%s/plume-tokenizer-%s.so", dir, kind);
	dl = dlopen(path, RTLD_NOW);
	if (!dl || !(*(void **)&entry = dlsym(dl, "plume_plugin_entry"))) {
		fprintf(stderr, "bench_tok: %s\n", dlerror());
		return 1;
	}
	d = entry();
	ops = d->ops;
	if (plume_config_view_create(d, NULL, 0, &view, &err) ||
	    ops->create(plume_host_get(), view, &params, plume_model_vocab(m), &ctx, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	ids = malloc(n * sizeof(*ids) + sizeof(*ids));
	for (int r = 0; r < 3 && ids; r++) {
		struct timespec t0, t1;
		double s;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (ops->encode(ctx, text, n, 0, ids, n + 1, &n_ids, &err)) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (s < best)
			best = s;
	}
	printf("bench_tok %s: %zu bytes -> %zu ids in %.1f ms: %.2f MiB/s, %.0f tokens/s\n", kind, n, n_ids,
	       best * 1e3, n / best / (1 << 20), n_ids / best);
	ops->destroy(ctx);
	plume_config_view_destroy(view);
	plume_model_free(m);
	free(ids);
	free(text);
	return 0;
}
