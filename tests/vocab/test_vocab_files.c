/* llama.cpp's tokenizer test vectors: for each ggml-vocab-*.gguf with a
 * .inp/.out pair (scripts/fetch-test-data puts them in
 * $PLUME_CACHE/vocab), tokenize every test string with `tokenizer = auto`
 * (no BOS/EOS, special text not parsed, as llama.cpp's test does) and
 * compare with the expected ids. Vocabularies whose tokenizer or
 * pre-tokenizer plume does not have yet are listed as SKIPPED. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)len + 1);
	*n = fread(b, 1, (size_t)len, f);
	b[*n] = '\0';
	fclose(f);
	return b;
}

static void vocab_dir(char *out, size_t n)
{
	const char *c = getenv("PLUME_CACHE"), *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");

	if (c && *c)
		snprintf(out, n, "%s/vocab", c);
	else if (x && *x)
		snprintf(out, n, "%s/plume/vocab", x);
	else
		snprintf(out, n, "%s/.cache/plume/vocab", h ? h : "");
}

/* Returns -1 when plume has no tokenizer for it, else the mismatches. */
static int check_file(const char *dir, const char *name, int *n_cases)
{
	static const char sep[] = "\n__ggml_vocab_test__\n";
	char path[1200], set[1300];
	struct plume_cfg *cfg;
	struct plume_engine *e = NULL;
	struct plume_error err = {0};
	size_t ni, no;
	char *inp, *out, *ip, *op;
	int bad = 0;

	snprintf(path, sizeof(path), "%s/%s.inp", dir, name);
	inp = slurp(path, &ni);
	snprintf(path, sizeof(path), "%s/%s.out", dir, name);
	out = slurp(path, &no);
	if (!inp || !out) {
		free(inp);
		free(out);
		return -2;
	}
	cr_assert_eq(plume_cfg_create(&cfg), 0);
	snprintf(set, sizeof(set), "model.path=%s/%s", dir, name);
	cr_assert_eq(plume_cfg_set(cfg, set, "test", &err), 0);
	/* engine.tokenizer = auto: gpt2 and gemma4 -> bpe, llama -> spm */
	plume_engine_create(cfg, PLUME_ENGINE_TOKENIZER_ONLY, &e, &err);
	if (!e) {
		printf("SKIPPED: %s: %s\n", name, err.msg);
		plume_cfg_destroy(cfg);
		free(inp);
		free(out);
		return -1;
	}
	ip = inp;
	op = out;
	*n_cases = 0;
	while (*ip && *op) {
		char *end = strstr(ip, sep), *eol = strchr(op, '\n');
		size_t len = end ? (size_t)(end - ip) : strlen(ip), n_ids = 0, n_ref = 0;
		int32_t *ids = NULL, ref[4096];

		if (eol)
			*eol = '\0';
		for (char *t = strtok(op, " "); t && n_ref < 4096; t = strtok(NULL, " "))
			ref[n_ref++] = atoi(t);
		cr_assert_eq(plume_engine_tokenize(e, ip, len, 0, &ids, &n_ids, &err), 0, "%s: %s", name,
			     err.msg);
		if (n_ids != n_ref || memcmp(ids, ref, n_ids * sizeof(int32_t))) {
			if (bad++ < 3)
				printf("  %s: case %d '%.*s': %zu ids, llama.cpp %zu\n", name, *n_cases,
				       (int)(len > 40 ? 40 : len), ip, n_ids, n_ref);
		}
		free(ids);
		(*n_cases)++;
		if (!end || !eol)
			break;
		ip = end + sizeof(sep) - 1;
		op = eol + 1;
	}
	plume_engine_destroy(e);
	plume_cfg_destroy(cfg);
	free(inp);
	free(out);
	return bad;
}

Test(vocab, llama_cpp_test_vectors)
{
	char dir[1024];
	struct dirent **names;
	int n, files = 0, skipped = 0, failed = 0;

	vocab_dir(dir, sizeof(dir));
	if (access(dir, R_OK)) {
		if (getenv("CI") && !strcmp(getenv("CI"), "true"))
			cr_assert_fail("%s missing in CI (scripts/fetch-test-data)", dir);
		printf("SKIPPED: no vocabulary files in %s (run scripts/fetch-test-data)\n", dir);
		cr_skip_test("vocabulary files absent");
	}
	n = scandir(dir, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *f = names[i]->d_name;
		size_t fl = strlen(f);
		int cases = 0, bad;

		if (fl > 5 && !strcmp(f + fl - 5, ".gguf")) {
			bad = check_file(dir, f, &cases);
			if (bad == -1) {
				skipped++;
			} else if (bad >= 0) {
				files++;
				printf("vocab %-36s %3d cases, %d differ from llama.cpp\n", f, cases, bad);
				failed += bad > 0;
			}
		}
		free(names[i]);
	}
	free(names);
	printf("vocab: %d files checked, %d skipped (tokenizer not in plume yet)\n", files, skipped);
	cr_expect_eq(failed, 0, "%d vocabulary files differ from llama.cpp", failed);
	cr_assert_gt(files, 0, "no vocabulary file could be checked");
}
