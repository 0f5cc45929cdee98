/* GPU backend checks (gpu_checks.h): plugin loading, per-type matrix
 * products vs the CPU dequantization, full-forward parity and greedy tokens
 * vs the CPU backend, and a throughput measurement. */
#include "gpu_checks.h"

#include <dlfcn.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "host.h"
#include "kernels.h"
#include "model.h"
#include "tiny_model.h"

static void say(char *rep, size_t n, const char *fmt, ...)
{
	size_t len = strlen(rep);
	va_list ap;

	if (len + 1 >= n)
		return;
	va_start(ap, fmt);
	vsnprintf(rep + len, n - len, fmt, ap);
	va_end(ap);
}

int gc_open(struct gc_be *b, const char *name, char *msg, size_t n)
{
	const char *dir = getenv("PLUME_PLUGIN_PATH");
	char path[4096];
	plume_plugin_entry_fn entry;

	memset(b, 0, sizeof(*b));
	snprintf(path, sizeof(path), "%s/plume-backend-%s.so", dir ? dir : ".", name);
	b->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!b->dl) {
		snprintf(msg, n, "dlopen %s: %s", path, dlerror());
		return -1;
	}
	entry = (plume_plugin_entry_fn)dlsym(b->dl, PLUME_PLUGIN_ENTRY_SYMBOL);
	if (!entry || !(b->desc = entry()) || b->desc->kind != PLUME_KIND_BACKEND) {
		snprintf(msg, n, "%s: no backend descriptor", path);
		return -1;
	}
	b->ops = b->desc->ops;
	return 0;
}

int gc_start(struct gc_be *b, const struct plume_model_desc *md, uint32_t n_blocks, char *msg,
	     size_t n)
{
	struct plume_engine_params params = PLUME_STRUCT_INIT(struct plume_engine_params);
	struct plume_kv_desc kv = PLUME_STRUCT_INIT(struct plume_kv_desc);
	struct plume_error err = {0};
	int rc;

	params.n_threads = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN);
	if (params.n_threads > 16)
		params.n_threads = 16;
	rc = plume_config_view_create(b->desc, NULL, 0, &b->view, &err);
	if (!rc)
		rc = b->ops->create(plume_host_get(), b->view, &params, &b->ctx, &err);
	if (!rc && md)
		rc = b->ops->load_model(b->ctx, md, &err);
	kv.n_blocks = n_blocks;
	kv.block_size = 16;
	kv.type = PLUME_KV_F16;
	if (!rc && md)
		rc = b->ops->kv_init(b->ctx, &kv, &err);
	if (rc)
		snprintf(msg, n, "%s", err.msg);
	return rc;
}

void gc_close(struct gc_be *b)
{
	if (b->ctx)
		b->ops->destroy(b->ctx);
	if (b->view)
		plume_config_view_destroy(b->view);
	if (b->dl)
		dlclose(b->dl);
	memset(b, 0, sizeof(*b));
}

/* ---- matrix products per weight type -------------------------------- */

static uint32_t rng = 12345;

static float frand(void) /* [-1, 1) */
{
	rng = rng * 1664525u + 1013904223u;
	return (float)(rng >> 8) / 8388608.0f - 1.0f;
}

struct qtype {
	uint32_t type;
	const char *name;
	int block_elems, block_bytes;
	int f16_at[2];      /* byte offsets of fp16 scale fields, -1 none */
	float scale;        /* magnitude of those fields */
};

static const struct qtype qtypes[] = {
	{PLUME_DTYPE_F32, "f32", 1, 4, {-1, -1}, 0},
	{PLUME_DTYPE_F16, "f16", 1, 2, {-1, -1}, 0},
	{PLUME_DTYPE_BF16, "bf16", 1, 2, {-1, -1}, 0},
	{PLUME_DTYPE_Q4_0, "q4_0", 32, 18, {0, -1}, 0.02f},
	{PLUME_DTYPE_Q4_1, "q4_1", 32, 20, {0, 2}, 0.02f},
	{PLUME_DTYPE_Q5_0, "q5_0", 32, 22, {0, -1}, 0.01f},
	{PLUME_DTYPE_Q5_1, "q5_1", 32, 24, {0, 2}, 0.01f},
	{PLUME_DTYPE_Q8_0, "q8_0", 32, 34, {0, -1}, 0.002f},
	{PLUME_DTYPE_Q4_K, "q4_k", 256, 144, {0, 2}, 0.002f},
	{PLUME_DTYPE_Q5_K, "q5_k", 256, 176, {0, 2}, 0.001f},
	{PLUME_DTYPE_Q6_K, "q6_k", 256, 210, {208, -1}, 0.0005f},
};

/* Random row data of a type: random bytes with sane fp16 scales; float
 * types from random values. */
static void fill_weights(const struct qtype *q, uint8_t *w, int64_t k, int64_t rows)
{
	int64_t n_blocks = k / q->block_elems * rows;

	for (int64_t b = 0; b < n_blocks; b++) {
		uint8_t *p = w + b * q->block_bytes;

		if (q->type == PLUME_DTYPE_F32) {
			float f = frand();

			memcpy(p, &f, 4);
			continue;
		}
		if (q->type == PLUME_DTYPE_F16 || q->type == PLUME_DTYPE_BF16) {
			uint16_t h = q->type == PLUME_DTYPE_F16 ? cpu_fp32_to_fp16(frand())
								: cpu_fp32_to_bf16(frand());

			memcpy(p, &h, 2);
			continue;
		}
		for (int i = 0; i < q->block_bytes; i++)
			p[i] = (uint8_t)(frand() * 128.0f + 128.0f);
		for (int s = 0; s < 2; s++) {
			if (q->f16_at[s] >= 0) {
				float v = q->scale * (0.25f + 0.75f * fabsf(frand()));
				uint16_t h = cpu_fp32_to_fp16(s == 1 && q->block_elems == 32 ? -8 * v : v);

				memcpy(p + q->f16_at[s], &h, 2);
			}
		}
	}
}

static int check_type(const struct qtype *q, int64_t T, char *rep, size_t n)
{
	const int64_t k = 512, rows = 67;
	size_t wb = (size_t)(k / q->block_elems * rows * q->block_bytes);
	uint8_t *w = malloc(wb);
	float *x = malloc(sizeof(float) * T * k), *y = malloc(sizeof(float) * T * rows);
	float *row = malloc(sizeof(float) * k);
	double worst = 0.0;
	char msg[256] = "";
	int bad = 0;

	if (!w || !x || !y || !row) {
		say(rep, n, "%s: out of memory\n", q->name);
		bad = 1;
		goto out;
	}
	fill_weights(q, w, k, rows);
	for (int64_t i = 0; i < T * k; i++)
		x[i] = frand();
	if (gpu_selftest_matmul(q->type, w, k, rows, x, T, y, msg, sizeof(msg))) {
		say(rep, n, "%s: %s\n", q->name, msg);
		bad = 1;
		goto out;
	}
	for (int64_t o = 0; o < rows; o++) {
		cpu_dequant_row(q->type, w + (size_t)o * (wb / rows), row, k);
		for (int64_t t = 0; t < T; t++) {
			double ref = 0.0, mag = 0.0, e;

			for (int64_t i = 0; i < k; i++) {
				ref += (double)row[i] * x[t * k + i];
				mag += fabs((double)row[i] * x[t * k + i]);
			}
			/* float accumulation of k products: relative to sum |w x| */
			e = fabs(y[t * rows + o] - ref) / (mag + 1e-30);
			if (e > worst)
				worst = e;
			if (!(e <= 1e-5)) /* NaN fails too */
				bad = 1;
		}
	}
	say(rep, n, "matmul %-5s T=%lld rows=%lld k=%lld: max |gpu - cpu_dequant| / sum|w*x| = %.2e (tol 1e-5) %s\n",
	    q->name, (long long)T, (long long)rows, (long long)k, worst, bad ? "FAIL" : "ok");
out:
	free(w);
	free(x);
	free(y);
	free(row);
	return bad;
}

int gc_check_matmul_types(char *rep, size_t n)
{
	int bad = 0;

	for (size_t i = 0; i < sizeof(qtypes) / sizeof(qtypes[0]); i++) {
		bad |= check_type(&qtypes[i], 1, rep, n);
		bad |= check_type(&qtypes[i], 9, rep, n);
	}
	return bad;
}

/* ---- forward parity ------------------------------------------------- */

static int run(struct gc_be *b, const int32_t *tok, uint32_t n_tok, int32_t pos0, uint32_t n_tab,
	       int all_rows, float *logits, char *msg, size_t n)
{
	struct plume_batch batch = PLUME_STRUCT_INIT(struct plume_batch);
	int32_t *pos = calloc(n_tok, sizeof(*pos));
	uint32_t *seq = calloc(n_tok, sizeof(*seq)), *idx = calloc(n_tok, sizeof(*idx));
	uint32_t *table = calloc(n_tab, sizeof(*table));
	const uint32_t *tables[1] = {table};
	struct plume_error err = {0};
	int rc = -1;

	if (!pos || !seq || !idx || !table)
		goto out;
	for (uint32_t i = 0; i < n_tab; i++)
		table[i] = n_tab - 1 - i; /* scattered: reversed block order */
	for (uint32_t i = 0; i < n_tok; i++) {
		pos[i] = pos0 + (int32_t)i;
		idx[i] = all_rows ? i : n_tok - 1;
	}
	batch.n_tokens = n_tok;
	batch.tokens = tok;
	batch.positions = pos;
	batch.seq = seq;
	batch.n_seqs = 1;
	batch.block_tables = tables;
	batch.n_blocks = &n_tab;
	batch.n_logits = all_rows ? n_tok : 1;
	batch.logits_idx = idx;
	batch.logits = logits;
	rc = b->ops->forward(b->ctx, &batch, &err);
	if (rc)
		snprintf(msg, n, "%s", err.msg);
out:
	free(pos);
	free(seq);
	free(idx);
	free(table);
	return rc;
}

static int argmax(const float *v, int64_t n)
{
	int best = 0;

	for (int64_t i = 1; i < n; i++)
		if (v[i] > v[best])
			best = (int)i;
	return best;
}

/* max |a - b| / max |b| over n */
static double rel_diff(const float *a, const float *b, int64_t n)
{
	double d = 0.0, r = 1e-30;

	for (int64_t i = 0; i < n; i++) {
		double e = fabs((double)a[i] - b[i]);

		if (!(e <= d)) /* NaN propagates */
			d = isnan(e) ? INFINITY : e;
		r = fmax(r, fabs((double)b[i]));
	}
	return d / r;
}

static int parity(const struct plume_model_desc *md, const char *what, const int32_t *prompt,
		  uint32_t n_prompt, int steps, double tol, char *rep, size_t n)
{
	struct gc_be be[2];
	const char *names[2] = {"cuda", "cpu"};
	uint32_t n_tab = (n_prompt + (uint32_t)steps + 15) / 16, V = md->n_vocab;
	float *lg[2] = {NULL, NULL};
	int32_t tok[2], gen[2][256];
	char msg[1024] = "";
	double worst = 0.0, d;
	int bad = 0, diverged = -1;

	memset(be, 0, sizeof(be));
	if (steps > 256)
		steps = 256;
	for (int i = 0; i < 2; i++) {
		lg[i] = malloc(sizeof(float) * V * n_prompt);
		if (!lg[i] || gc_open(&be[i], names[i], msg, sizeof(msg)) ||
		    gc_start(&be[i], md, n_tab, msg, sizeof(msg)) ||
		    run(&be[i], prompt, n_prompt, 0, n_tab, 1, lg[i], msg, sizeof(msg))) {
			say(rep, n, "%s: %s backend: %s\n", what, names[i], msg);
			bad = 1;
			goto out;
		}
	}
	d = rel_diff(lg[0], lg[1], (int64_t)V * n_prompt);
	say(rep, n, "%s: prefill %u tokens, all rows: max |gpu - cpu| / max |cpu| = %.2e (tol %.0e) %s\n",
	    what, n_prompt, d, tol, d <= tol ? "ok" : "FAIL");
	bad |= !(d <= tol);
	for (int i = 0; i < 2; i++)
		tok[i] = argmax(lg[i] + (size_t)(n_prompt - 1) * V, V);
	for (int s = 0; s < steps; s++) {
		for (int i = 0; i < 2; i++) {
			gen[i][s] = tok[i];
			if (run(&be[i], &tok[i], 1, (int32_t)(n_prompt + s), n_tab, 0, lg[i], msg,
				sizeof(msg))) {
				say(rep, n, "%s: %s decode step %d: %s\n", what, names[i], s, msg);
				bad = 1;
				goto out;
			}
		}
		if (gen[0][s] != gen[1][s] && diverged < 0)
			diverged = s;
		if (gen[0][s] == gen[1][s]) {
			d = rel_diff(lg[0], lg[1], V);
			worst = fmax(worst, d);
		}
		for (int i = 0; i < 2; i++)
			tok[i] = argmax(lg[i], V);
	}
	say(rep, n, "%s: %d greedy tokens %s (first divergence: %d); decode logits max rel diff %.2e %s\n",
	    what, steps, diverged < 0 ? "identical" : "DIFFER", diverged, worst,
	    worst <= tol ? "ok" : "FAIL");
	if (diverged >= 0) {
		say(rep, n, "  gpu:");
		for (int s = 0; s < steps; s++)
			say(rep, n, " %d", gen[0][s]);
		say(rep, n, "\n  cpu:");
		for (int s = 0; s < steps; s++)
			say(rep, n, " %d", gen[1][s]);
		say(rep, n, "\n");
	}
	bad |= diverged >= 0 || !(worst <= tol);
out:
	for (int i = 0; i < 2; i++) {
		gc_close(&be[i]);
		free(lg[i]);
	}
	return bad;
}

int gc_check_forward(uint32_t wtype, char *rep, size_t n)
{
	struct tu_tiny_opts o = {0};
	struct plume_model *model = NULL;
	struct plume_error err = {0};
	char path[256], what[64];
	int32_t prompt[20];
	int bad;

	o.weight_type = wtype;
	o.embd_type = wtype;
	o.tied = wtype != PLUME_DTYPE_F32;
	snprintf(path, sizeof(path), "/tmp/plume-gpu-check-%d.gguf", (int)getpid());
	if (tu_write_tiny_llama(path, &o) || plume_model_load(path, 0, &model, &err)) {
		say(rep, n, "tiny model type %u: %s\n", wtype, err.msg);
		unlink(path);
		return 1;
	}
	unlink(path);
	for (int i = 0; i < 20; i++)
		prompt[i] = (int32_t)((i * 37 + 5) % TU_TINY_N_VOCAB);
	snprintf(what, sizeof(what), "tiny model, weights type %u", wtype);
	/* the gpu multiplies float activations for f16/bf16 weights, which the
	 * cpu backend rounds to f16 (11-bit mantissa) or bf16 (8 bits); for the
	 * 32-block quantized types both round them to the same 8-bit blocks */
	bad = parity(plume_model_desc(model), what, prompt, 20, 12,
		     wtype == PLUME_DTYPE_F32 || wtype == PLUME_DTYPE_F16 ? 1e-3 : 3e-2, rep, n);
	plume_model_free(model);
	return bad;
}

int gc_check_forward_file(const char *path, int steps, char *rep, size_t n)
{
	struct plume_model *model = NULL;
	struct plume_error err = {0};
	/* "Once upon a time, in a land far away, there lived" (tests/data/golden) */
	int32_t prompt[13] = {6403, 1980, 253, 655, 28, 281, 253, 1666, 1869, 2025, 28, 665, 4161};
	int bad;

	if (plume_model_load(path, 0, &model, &err)) {
		say(rep, n, "%s: %s\n", path, err.msg);
		return 1;
	}
	bad = parity(plume_model_desc(model), path, prompt, 13, steps, 5e-2, rep, n);
	plume_model_free(model);
	return bad;
}

/* ---- throughput ----------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int gc_bench(const char *backend, const char *path, int n_prompt, int n_gen, char *rep, size_t n)
{
	struct tu_tiny_opts o = {0};
	struct plume_model *model = NULL;
	struct plume_error err = {0};
	struct gc_be be;
	char tmp[256], msg[1024] = "";
	const struct plume_model_desc *md;
	uint32_t n_tab = (uint32_t)(n_prompt + n_gen + 15) / 16;
	int32_t *prompt = malloc(sizeof(int32_t) * (size_t)n_prompt), tok;
	float *lg = NULL;
	double t0, t_pre = 1e30, t_dec;
	int bad = 1;

	memset(&be, 0, sizeof(be));
	if (!path) {
		o.weight_type = PLUME_DTYPE_Q4_1;
		o.embd_type = PLUME_DTYPE_Q8_0;
		o.tied = 1;
		o.n_embd = 576;
		o.n_layer = 30;
		o.n_head = 9;
		o.n_head_kv = 3;
		o.n_ff = 1536;
		o.n_ctx = 2048;
		snprintf(tmp, sizeof(tmp), "/tmp/plume-gpu-bench-%d.gguf", (int)getpid());
		if (tu_write_tiny_llama(tmp, &o)) {
			say(rep, n, "bench: cannot write %s\n", tmp);
			goto out;
		}
		path = tmp;
	}
	if (plume_model_load(path, 0, &model, &err)) {
		say(rep, n, "bench: %s\n", err.msg);
		goto out;
	}
	if (path == tmp)
		unlink(tmp);
	md = plume_model_desc(model);
	lg = malloc(sizeof(float) * md->n_vocab);
	if (!prompt || !lg || gc_open(&be, backend, msg, sizeof(msg)) ||
	    gc_start(&be, md, n_tab, msg, sizeof(msg))) {
		say(rep, n, "bench: %s\n", msg);
		goto out;
	}
	for (int i = 0; i < n_prompt; i++)
		prompt[i] = (int32_t)((i * 131 + 7) % md->n_vocab);
	for (int rep_i = 0; rep_i < 3; rep_i++) { /* first run warms up */
		t0 = now_s();
		if (run(&be, prompt, (uint32_t)n_prompt, 0, n_tab, 0, lg, msg, sizeof(msg))) {
			say(rep, n, "bench prefill: %s\n", msg);
			goto out;
		}
		if (rep_i)
			t_pre = fmin(t_pre, now_s() - t0);
	}
	tok = argmax(lg, md->n_vocab);
	t0 = now_s();
	for (int s = 0; s < n_gen; s++) {
		if (run(&be, &tok, 1, n_prompt + s, n_tab, 0, lg, msg, sizeof(msg))) {
			say(rep, n, "bench decode: %s\n", msg);
			goto out;
		}
		tok = argmax(lg, md->n_vocab);
	}
	t_dec = now_s() - t0;
	say(rep, n, "bench %s on %s: prefill %d tokens %.2f ms (%.0f tok/s); decode %d tokens at batch 1: %.3f ms/token (%.0f tok/s)\n",
	    backend, path == tmp ? "synthetic SmolLM2-135M shapes (q4_1 blocks, q8_0 tied embd, vocab 320)" : path,
	    n_prompt, t_pre * 1e3, n_prompt / t_pre, n_gen, t_dec * 1e3 / n_gen, n_gen / t_dec);
	bad = 0;
out:
	gc_close(&be);
	if (model)
		plume_model_free(model);
	free(prompt);
	free(lg);
	return bad;
}

/* ---- llama.cpp golden tokens (tests/data/golden/smollm2_q4_1.json) ---- */

/* Numbers of the JSON array that follows `key` at or after *cur: ints into
 * v or floats into f; for "top" entries, the first id and logit of each.
 * Returns the count, -1 when key is absent. A scanner, not a JSON parser:
 * the file is ours and regular. */
static int json_array(const char **cur, const char *key, int32_t *v, float *f, int max)
{
	const char *p = strstr(*cur, key);
	char *end;
	int n = 0;

	if (!p)
		return -1;
	p += strlen(key);
	while (*p && *p != ']' && n < max) {
		double d = strtod(p, &end);

		if (end == p) {
			p++;
			continue;
		}
		if (v)
			v[n] = (int32_t)d;
		else
			f[n] = (float)d;
		n++;
		p = end;
	}
	*cur = p;
	return n;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1))) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

int gc_check_golden(const char *model_path, const char *golden_path, char *rep, size_t n)
{
	struct plume_model *model = NULL;
	struct plume_error err = {0};
	struct gc_be be, cpu;
	int32_t prompt[512], gold[512], tok, tf_arg[1024], seq[1024], gtok[512], ctok[512];
	float gap[512], tf_gap[1024], tf_logit[1024], *lg = NULL, *lc = NULL;
	int bad = 0, which = 0, n_same = 0, have_cpu = 0;
	double max_dl = 0.0;
	char msg[1024] = "", *json = slurp(golden_path);
	const char *cur = json;
	const struct plume_model_desc *md;

	memset(&be, 0, sizeof(be));
	memset(&cpu, 0, sizeof(cpu));
	if (!json || plume_model_load(model_path, 0, &model, &err)) {
		say(rep, n, "golden: cannot read %s or %s %s\n", golden_path, model_path, err.msg);
		bad = 1;
		goto out;
	}
	md = plume_model_desc(model);
	lg = malloc(sizeof(float) * md->n_vocab * 1024);
	if (!lg || gc_open(&be, "cuda", msg, sizeof(msg)) || gc_start(&be, md, 64, msg, sizeof(msg))) {
		say(rep, n, "golden: %s\n", msg);
		bad = 1;
		goto out;
	}
	lc = malloc(sizeof(float) * md->n_vocab);
	have_cpu = lc && !gc_open(&cpu, "cpu", msg, sizeof(msg)) &&
		   !gc_start(&cpu, md, 64, msg, sizeof(msg));
	if (!have_cpu)
		say(rep, n, "golden: cpu backend unavailable (%s): gpu vs cpu greedy skipped\n", msg);
	for (;;) {
		int n_prompt, n_gold, n_gap, n_tf = 0, safe, match, agree = 0, firm = 0, firm_agree = 0;
		double dl = 0.0;

		if ((n_prompt = json_array(&cur, "\"prompt_ids\":[", prompt, NULL, 512)) < 0)
			break;
		n_gold = json_array(&cur, "\"generated_ids\":[", gold, NULL, 512);
		n_gap = json_array(&cur, "\"gen_gaps\":[", NULL, gap, 512);
		if (n_prompt <= 0 || n_gold <= 0 || n_gap != n_gold || n_prompt + n_gold > 1024) {
			say(rep, n, "golden: %s: prompt %d malformed\n", golden_path, which);
			bad = 1;
			goto out;
		}
		while (n_tf < n_prompt + n_gold) {
			int32_t id[1];
			float lv[2], gv[1];
			const char *save = cur;

			if (json_array(&cur, "\"top\":[[", id, NULL, 1) != 1)
				break;
			cur = save;
			json_array(&cur, "\"top\":[[", NULL, lv, 2); /* id, logit */
			if (json_array(&cur, "\"gap\":", NULL, gv, 1) != 1)
				break;
			tf_arg[n_tf] = id[0];
			tf_logit[n_tf] = lv[1];
			tf_gap[n_tf++] = gv[0];
		}
		/* teacher forcing: prompt + llama.cpp's tokens in one prefill; the
		 * argmax after every token vs llama.cpp's, which must agree
		 * wherever llama.cpp's top-2 gap is >= 0.5 */
		memcpy(seq, prompt, sizeof(int32_t) * n_prompt);
		memcpy(seq + n_prompt, gold, sizeof(int32_t) * n_gold);
		if (run(&be, seq, (uint32_t)n_tf, 0, 64, 1, lg, msg, sizeof(msg))) {
			say(rep, n, "golden prompt %d: %s\n", which, msg);
			bad = 1;
			goto out;
		}
		for (int i = 0; i < n_tf; i++) {
			const float *row = lg + (size_t)i * md->n_vocab;
			int a = argmax(row, md->n_vocab);

			agree += a == tf_arg[i];
			dl = fmax(dl, fabs((double)row[tf_arg[i]] - tf_logit[i]));
			if (tf_gap[i] >= 0.5f) {
				firm++;
				firm_agree += a == tf_arg[i];
			}
		}
		say(rep, n, "golden prompt %d teacher-forced: argmax equals llama.cpp at %d of %d positions, %d of %d where its top-2 gap >= 0.5; max |logit - llama.cpp| of its top token %.3f %s\n",
		    which, agree, n_tf, firm_agree, firm, dl, firm_agree == firm ? "ok" : "FAIL");
		bad |= firm_agree != firm;
		/* free greedy run: must agree up to llama.cpp's first gap < 0.5
		 * (positions restart at 0: the same blocks are overwritten) */
		if (run(&be, prompt, (uint32_t)n_prompt, 0, 64, 0, lg, msg, sizeof(msg))) {
			say(rep, n, "golden prompt %d: %s\n", which, msg);
			bad = 1;
			goto out;
		}
		for (safe = 0; safe < n_gold && gap[safe] >= 0.5f; safe++)
			;
		for (match = 0; match < n_gold; match++) {
			tok = argmax(lg, md->n_vocab);
			if (tok != gold[match])
				break;
			if (run(&be, &tok, 1, n_prompt + match, 64, 0, lg, msg, sizeof(msg))) {
				say(rep, n, "golden prompt %d: %s\n", which, msg);
				bad = 1;
				goto out;
			}
		}
		say(rep, n, "golden prompt %d: gpu greedy equals llama.cpp for %d of %d tokens (%d before llama.cpp's first top-2 gap < 0.5) %s\n",
		    which, match, n_gold, safe, match >= safe ? "ok" : "FAIL");
		bad |= match < safe;
		/* informational: free greedy gpu vs cpu backend, 64 tokens each;
		 * max |logit gpu - cpu| while their tokens agree */
		if (have_cpu) {
			int same = 0, ng = n_gold;
			double dmax = 0.0;

			for (int be_i = 0; be_i < 2; be_i++) {
				struct gc_be *B = be_i ? &cpu : &be;
				int32_t *out = be_i ? ctok : gtok;
				float *L = be_i ? lc : lg;

				if (run(B, prompt, (uint32_t)n_prompt, 0, 64, 0, L, msg, sizeof(msg)))
					goto cpu_fail;
				for (int i = 0; i < ng; i++) {
					out[i] = argmax(L, md->n_vocab);
					if (i + 1 < ng &&
					    run(B, &out[i], 1, n_prompt + i, 64, 0, L, msg, sizeof(msg)))
						goto cpu_fail;
				}
			}
			/* logit difference: replay the common prefix on both */
			if (run(&be, prompt, (uint32_t)n_prompt, 0, 64, 0, lg, msg, sizeof(msg)) ||
			    run(&cpu, prompt, (uint32_t)n_prompt, 0, 64, 0, lc, msg, sizeof(msg)))
				goto cpu_fail;
			for (same = 0; same < ng && gtok[same] == ctok[same]; same++) {
				for (uint32_t v = 0; v < md->n_vocab; v++)
					dmax = fmax(dmax, fabs((double)lg[v] - lc[v]));
				if (same + 1 < ng &&
				    (run(&be, &gtok[same], 1, n_prompt + same, 64, 0, lg, msg, sizeof(msg)) ||
				     run(&cpu, &ctok[same], 1, n_prompt + same, 64, 0, lc, msg, sizeof(msg))))
					goto cpu_fail;
			}
			max_dl = fmax(max_dl, dmax);
			n_same += same == ng;
			if (same == ng)
				say(rep, n, "golden prompt %d: gpu greedy == cpu backend greedy, all %d tokens; max |logit gpu - cpu| %.4f\n",
				    which, ng, dmax);
			else {
				int cl = 0;

				while (cl < ng && ctok[cl] == gold[cl])
					cl++;
				say(rep, n, "golden prompt %d: gpu greedy parts from cpu backend at token %d (gpu %d, cpu %d); cpu == llama.cpp up to %d; llama.cpp top-2 gap there %s%.4f; max |logit gpu - cpu| before %.4f\n",
				    which, same, gtok[same], ctok[same], cl, cl >= same ? "" : "(off llama.cpp's path) ",
				    (double)gap[same], dmax);
			}
			goto cpu_done;
cpu_fail:
			say(rep, n, "golden prompt %d: gpu vs cpu run failed: %s\n", which, msg);
			have_cpu = 0;
cpu_done:;
		}
		which++;
	}
	if (have_cpu)
		say(rep, n, "golden: gpu greedy == cpu backend greedy on %d of %d prompts; max |logit gpu - cpu| %.4f (informational)\n",
		    n_same, which, max_dl);
	if (!which) {
		say(rep, n, "golden: no prompts in %s\n", golden_path);
		bad = 1;
	}
out:
	free(json);
	gc_close(&be);
	gc_close(&cpu);
	if (model)
		plume_model_free(model);
	free(lg);
	free(lc);
	return bad;
}
