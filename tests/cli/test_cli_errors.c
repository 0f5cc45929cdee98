/* Bad input through the plume binary: each case prints exactly one line
 * "plume: ..." naming the problem, exits with status 1 and does not crash.
 * Cases that need the default model skip (loudly) when it is absent. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testenv.h"
#include "tiny_model.h"

static char tmpdir[] = "/tmp/plume-cli-XXXXXX";
static char model[1024];

static void setup(void)
{
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

static int have_model(void)
{
	int rc = tu_default_model(model, sizeof(model));

	if (rc < 0)
		cr_assert_fail("default model %s missing in CI (scripts/fetch-model)", model);
	if (!rc)
		printf("SKIPPED: default model not found at %s (run scripts/fetch-model)\n", model);
	return rc > 0;
}

static char *write_file(const char *name, const void *data, size_t n)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, n, f), n);
	fclose(f);
	return path;
}

/* Run `plume ARGS`, capture stderr; assert the one-line error contract. */
static void expect_error(const char *args, const char *needle)
{
	char cmd[4096], err[8192] = "";
	const char *bin = getenv("PLUME_BINARY_DIR");
	FILE *p;
	size_t n;
	int status, lines = 0;

	snprintf(cmd, sizeof(cmd), "%s/plume %s 2>&1 >/dev/null", bin ? bin : ".", args);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(err, 1, sizeof(err) - 1, p);
	err[n] = '\0';
	status = pclose(p);
	cr_assert(WIFEXITED(status), "plume %s: killed by a signal", args);
	cr_assert_eq(WEXITSTATUS(status), 1, "plume %s: exit %d, stderr: %s", args,
		     WEXITSTATUS(status), err);
	for (char *c = err; *c; c++)
		lines += *c == '\n';
	cr_assert_eq(lines, 1, "plume %s: expected one line, got: %s", args, err);
	cr_assert(!strncmp(err, "plume: ", 7), "plume %s: %s", args, err);
	cr_assert(strstr(err, needle), "plume %s: '%s' not in: %s", args, needle, err);
}

TestSuite(cli, .init = setup, .fini = teardown);

Test(cli, missing_model_file)
{
	expect_error("run -p hi --set model.path=/nonexistent/m.gguf", "/nonexistent/m.gguf");
}

Test(cli, not_a_gguf_file)
{
	char cmd[1024];
	const char *f = write_file("bad.gguf", "NOTAGGUFFILE.................", 29);

	snprintf(cmd, sizeof(cmd), "run -p hi --set model.path=%s", f);
	expect_error(cmd, "bad.gguf");
	snprintf(cmd, sizeof(cmd), "info %s", f);
	expect_error(cmd, "bad.gguf");
}

Test(cli, truncated_gguf_file)
{
	char cmd[1024];
	const char *f = write_file("trunc.gguf", "GGUF\3\0\0\0\1\0\0\0", 12);

	snprintf(cmd, sizeof(cmd), "info %s", f);
	expect_error(cmd, "trunc.gguf");
}

Test(cli, unknown_ini_key_names_file_and_line)
{
	char cmd[1024];
	const char *ini = "[engine]\nbackend = cpu\nbackedn = cpu\n";
	const char *f = write_file("bad.ini", ini, strlen(ini));

	snprintf(cmd, sizeof(cmd), "run -c %s -p hi", f);
	expect_error(cmd, "bad.ini:3: unknown key 'backedn' in [engine]");
}

Test(cli, bad_set_value)
{
	expect_error("run -p hi --set engine.threads=lots", "engine.threads = 'lots'");
}

Test(cli, missing_plugin)
{
	char cmd[2048];

	if (!have_model())
		cr_skip_test("default model absent");
	snprintf(cmd, sizeof(cmd), "run -p hi --set model.path=%s --set engine.backend=nosuch", model);
	expect_error(cmd, "plume-backend-nosuch.so");
}

Test(cli, plugin_path_that_is_not_a_plugin)
{
	char cmd[2048];
	const char *f = write_file("plume-strategy-x.so", "junk", 4);

	if (!have_model())
		cr_skip_test("default model absent");
	snprintf(cmd, sizeof(cmd), "run -p hi --set model.path=%s --set engine.strategy=%s", model, f);
	expect_error(cmd, "cannot load");
}

Test(cli, prompt_longer_than_the_context)
{
	char cmd[2048];

	if (!have_model())
		cr_skip_test("default model absent");
	snprintf(cmd, sizeof(cmd),
		 "run --set model.path=%s --set model.context=8 -p 'one two three four five six seven eight nine ten'",
		 model);
	expect_error(cmd, "longer than the context");
}

Test(cli, unknown_plugin_section)
{
	char cmd[2048];

	if (!have_model())
		cr_skip_test("default model absent");
	snprintf(cmd, sizeof(cmd), "run -p hi --set model.path=%s --set strategy.nosuch.x=1", model);
	expect_error(cmd, "[strategy.nosuch]");
}

Test(cli, chat_without_template)
{
	char cmd[2048];

	if (!have_model())
		cr_skip_test("default model absent");
	snprintf(cmd, sizeof(cmd), "run -p hi --chat --set model.path=%s --set generate.chat_template=none",
		 model);
	expect_error(cmd, "chat_template = none");
}

/* Successful commands on a tiny model: tokenize works on a vocabulary-only
 * file; run and info work on the full one. */
static int run_ok(const char *args, char *out, size_t cap)
{
	char cmd[4096];
	const char *bin = getenv("PLUME_BINARY_DIR");
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "%s/plume %s 2>/dev/null", bin ? bin : ".", args);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	return pclose(p);
}

Test(cli, tokenize_works_on_a_vocabulary_only_file)
{
	struct tu_tiny_opts o = {.vocab_only = 1};
	char path[512], cmd[1024], out[4096];

	snprintf(path, sizeof(path), "%s/vocab.gguf", tmpdir);
	cr_assert_eq(tu_write_tiny_llama(path, &o), 0);
	snprintf(cmd, sizeof(cmd), "tokenize -m %s --json 'the cat'", path);
	cr_assert_eq(run_ok(cmd, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "\"ids\":[") && strstr(out, "\"pieces\":["), "%s", out);
	/* no tensors: running it is a clear error, not a crash */
	snprintf(cmd, sizeof(cmd), "run -p hi --set model.path=%s", path);
	expect_error(cmd, "vocab.gguf");
}

Test(cli, run_and_info_on_a_tiny_model)
{
	struct tu_tiny_opts o = {.weight_type = 3 /* Q4_1 */, .embd_type = 8 /* Q8_0 */, .tied = 1};
	char path[512], cmd[1024], out[8192];

	snprintf(path, sizeof(path), "%s/tiny.gguf", tmpdir);
	cr_assert_eq(tu_write_tiny_llama(path, &o), 0);
	snprintf(cmd, sizeof(cmd), "run -m %s -p 'the cat' -n 5 --json", path);
	cr_assert_eq(run_ok(cmd, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "\"generated_ids\":[") && strstr(out, "\"ttft_ms\""), "%s", out);
	snprintf(cmd, sizeof(cmd), "info %s --json", path);
	cr_assert_eq(run_ok(cmd, out, sizeof(out)), 0);
	cr_assert(strstr(out, "\"tensors\":["), "%s", out);
	cr_assert_eq(run_ok("plugins", out, sizeof(out)), 0);
	cr_assert(strstr(out, "backend") && strstr(out, "cpu") && strstr(out, "greedy") &&
		  strstr(out, "bpe"), "%s", out);
}

Test(cli, chat_keeps_a_multi_turn_conversation)
{
	struct tu_tiny_opts o = {.weight_type = 8 /* Q8_0 */};
	char path[512], cmd[2048], out[8192];
	const char *bin = getenv("PLUME_BINARY_DIR");
	int turns = 0;
	FILE *p;
	size_t n;

	snprintf(path, sizeof(path), "%s/chat.gguf", tmpdir);
	cr_assert_eq(tu_write_tiny_llama(path, &o), 0);
	snprintf(cmd, sizeof(cmd),
		 "printf 'hi\\nthe cat\\n' | %s/plume chat -m %s --set generate.max_tokens=4 2>&1",
		 bin ? bin : ".", path);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	cr_assert_eq(pclose(p), 0, "%s", out);
	for (char *s = out; (s = strstr(s, " tokens, ttft ")); s++)
		turns++;
	cr_assert_eq(turns, 2, "two turns answered: %s", out);
}
