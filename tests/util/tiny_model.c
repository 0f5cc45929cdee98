/* Writes the tiny deterministic model described in tiny_model.h: a
 * byte-level vocabulary with a few merges, llama-family hyper-parameters and
 * random weights quantized by simple reference quantizers (Q4_0, Q4_1,
 * Q8_0 blocks as in reference/gguf.md §2). */
#include "tiny_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf_writer.h"

/* ggml type ids used here (plume/model.h enum plume_dtype). */
enum { T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q4_1 = 3, T_Q8_0 = 8, T_BF16 = 30 };

static const char *const merges[TU_TINY_N_MERGES] = {
	"Ġ t", "h e", "Ġt he", "i n", "e r", "Ġ a", "o n", "r e", "Ġ s", "a t",
	"e n", "n d", "Ġ w", "l l", "Ġ o", "o r", "e s", "i s", "Ġ c", "i t",
	"Ġ b", "a n", "Ġ f", "o u", "Ġ p", "e d", "in g", "Ġ m", "Ġ h", "Ġ d",
	"a r", "Ġ i", "Ġa nd", "Ġo f", "Ġt o", "Ġi n", "Ġ l", "Ġ n", "l e", "o m",
	"Ġ e", "Ġ g", "Ġi s", "Ġ re", "Ġ y", "Ġy ou", "t h", "Ġ th", "Ġth at", "l o",
	"Ġ he", "Ġ it", "Ġw it", "Ġwit h", "H e", "ll o", "He llo", "Ġ Hello", "Ġw or", "l d",
	"Ġwor ld",
};

static const char *const specials[3] = {"<|im_start|>", "<|im_end|>", "<|endoftext|>"};

static const char chat_template[] =
	"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
	"message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
	"{{ '<|im_start|>assistant\\n' }}{% endif %}";

static char token_text[TU_TINY_N_VOCAB][32];

/* GPT-2 byte-to-unicode: printable bytes map to themselves, the other 68 to
 * U+0100.. in increasing byte order. */
static void build_tokens(void)
{
	int next = 0x100;

	if (token_text[0][0])
		return;
	for (int b = 0; b < 256; b++) {
		int cp = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae ? b : next++;
		char *s = token_text[b];

		if (cp < 0x80) {
			s[0] = (char)cp;
		} else {
			s[0] = (char)(0xc0 | (cp >> 6));
			s[1] = (char)(0x80 | (cp & 0x3f));
		}
	}
	for (int i = 0; i < TU_TINY_N_MERGES; i++) {
		const char *sp = strchr(merges[i], ' ');
		size_t l = (size_t)(sp - merges[i]);

		memcpy(token_text[256 + i], merges[i], l);
		strcpy(token_text[256 + i] + l, sp + 1);
	}
	for (int i = 0; i < 3; i++)
		strcpy(token_text[256 + TU_TINY_N_MERGES + i], specials[i]);
}

const char *tu_tiny_token(int id)
{
	build_tokens();
	return id >= 0 && id < TU_TINY_N_VOCAB ? token_text[id] : NULL;
}

const char *tu_tiny_merge(int i)
{
	return i >= 0 && i < TU_TINY_N_MERGES ? merges[i] : NULL;
}

/* ---- random weights and quantizers ------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static float uniform(uint64_t *s) /* [-1, 1) */
{
	return (float)((rng_next(s) >> 40) * (1.0 / 8388608.0)) - 1.0f;
}

static void put_f16(uint8_t *p, float f)
{
	uint16_t h = tu_fp16_from_f32(f);

	memcpy(p, &h, 2);
}

static void quant_q8_0(const float *x, uint8_t *b)
{
	float amax = 0, d, id;

	for (int j = 0; j < 32; j++)
		amax = fmaxf(amax, fabsf(x[j]));
	d = amax / 127.0f;
	id = d ? 1.0f / d : 0.0f;
	put_f16(b, d);
	for (int j = 0; j < 32; j++)
		b[2 + j] = (uint8_t)(int8_t)roundf(x[j] * id);
}

static void quant_q4_0(const float *x, uint8_t *b)
{
	float amax = 0, max = 0, d, id;

	for (int j = 0; j < 32; j++)
		if (fabsf(x[j]) > amax) {
			amax = fabsf(x[j]);
			max = x[j];
		}
	d = max / -8.0f;
	id = d ? 1.0f / d : 0.0f;
	put_f16(b, d);
	for (int j = 0; j < 16; j++) {
		int q0 = (int)(x[j] * id + 8.5f), q1 = (int)(x[j + 16] * id + 8.5f);

		q0 = q0 > 15 ? 15 : q0 < 0 ? 0 : q0;
		q1 = q1 > 15 ? 15 : q1 < 0 ? 0 : q1;
		b[2 + j] = (uint8_t)(q0 | q1 << 4);
	}
}

static void quant_q4_1(const float *x, uint8_t *b)
{
	float min = x[0], max = x[0], d, id;

	for (int j = 1; j < 32; j++) {
		min = fminf(min, x[j]);
		max = fmaxf(max, x[j]);
	}
	d = (max - min) / 15.0f;
	id = d ? 1.0f / d : 0.0f;
	put_f16(b, d);
	put_f16(b + 2, min);
	for (int j = 0; j < 16; j++) {
		int q0 = (int)((x[j] - min) * id + 0.5f), q1 = (int)((x[j + 16] - min) * id + 0.5f);

		q0 = q0 > 15 ? 15 : q0;
		q1 = q1 > 15 ? 15 : q1;
		b[4 + j] = (uint8_t)(q0 | q1 << 4);
	}
}

/* Encode n floats (whole rows; n a multiple of 32 for block types) as type. */
static int encode(uint32_t type, const float *x, size_t n, uint8_t *out)
{
	switch (type) {
	case T_F32: memcpy(out, x, n * 4); return 0;
	case T_F16:
		for (size_t i = 0; i < n; i++)
			put_f16(out + 2 * i, x[i]);
		return 0;
	case T_BF16:
		for (size_t i = 0; i < n; i++) {
			uint16_t h = tu_bf16_from_f32(x[i]);

			memcpy(out + 2 * i, &h, 2);
		}
		return 0;
	case T_Q8_0:
		for (size_t i = 0; i < n / 32; i++)
			quant_q8_0(x + 32 * i, out + 34 * i);
		return 0;
	case T_Q4_0:
		for (size_t i = 0; i < n / 32; i++)
			quant_q4_0(x + 32 * i, out + 18 * i);
		return 0;
	case T_Q4_1:
		for (size_t i = 0; i < n / 32; i++)
			quant_q4_1(x + 32 * i, out + 20 * i);
		return 0;
	}
	return -1;
}

/* ---- writing ---------------------------------------------------------- */

struct ctx {
	struct tu_gguf *w;
	const struct tu_tiny_opts *o;
	uint64_t rng;
	int rc;
};

enum fill { F_MATRIX, F_EMBD, F_NORM, F_BIAS, F_ROPE };

/* Add tensor `name` with dims {ne0, ne1} (ne1 0: 1-D), random values. */
static void add(struct ctx *c, const char *name, uint32_t type, int64_t ne0, int64_t ne1,
		enum fill fill)
{
	int64_t ne[2] = {ne0, ne1 ? ne1 : 1};
	uint32_t n_dims = ne1 ? 2 : 1;
	size_t n, bytes;
	float *x = NULL;
	uint8_t *data = NULL;

	if (c->rc || (c->o->omit_tensor && !strcmp(c->o->omit_tensor, name)))
		return;
	if (c->o->bad_shape && !strcmp(c->o->bad_shape, name)) {
		ne[0] += 32;
		type = T_F32;
	}
	n = (size_t)ne[0] * (size_t)ne[1];
	bytes = tu_tensor_bytes(type, n_dims, ne);
	x = malloc(n * sizeof(float));
	data = malloc(bytes ? bytes : 1);
	if (!x || !data || !bytes) {
		c->rc = -1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		float u = uniform(&c->rng);

		switch (fill) {
		case F_MATRIX: x[i] = u / sqrtf((float)ne[0]); break;
		case F_EMBD: x[i] = u; break;
		case F_NORM: x[i] = 1.0f + 0.1f * u; break;
		case F_BIAS: x[i] = 0.1f * u; break;
		case F_ROPE: x[i] = 1.0f + 0.1f * (float)i; break;
		}
	}
	if (encode(type, x, n, data) || tu_gguf_tensor(c->w, name, type, n_dims, ne, data, bytes) < 0)
		c->rc = -1;
out:
	free(x);
	free(data);
}

static void add_vocab(struct tu_gguf *w, const struct tu_tiny_opts *o)
{
	const char *toks[TU_TINY_N_VOCAB];
	int32_t types[TU_TINY_N_VOCAB];

	build_tokens();
	for (int i = 0; i < TU_TINY_N_VOCAB; i++) {
		toks[i] = token_text[i];
		types[i] = i >= 256 + TU_TINY_N_MERGES ? 3 : 1; /* CONTROL : NORMAL */
	}
	tu_gguf_kv_str(w, "tokenizer.ggml.model", "gpt2");
	tu_gguf_kv_str(w, "tokenizer.ggml.pre", o->pre ? o->pre : "gpt-2");
	tu_gguf_kv_arr_str(w, "tokenizer.ggml.tokens", toks, TU_TINY_N_VOCAB);
	tu_gguf_kv_arr(w, "tokenizer.ggml.token_type", TU_I32, types, TU_TINY_N_VOCAB);
	tu_gguf_kv_arr_str(w, "tokenizer.ggml.merges", merges, TU_TINY_N_MERGES);
	tu_gguf_kv_u32(w, "tokenizer.ggml.bos_token_id", TU_TINY_BOS);
	tu_gguf_kv_u32(w, "tokenizer.ggml.eos_token_id", TU_TINY_EOS);
	tu_gguf_kv_u32(w, "tokenizer.ggml.padding_token_id", TU_TINY_EOT_TEXT);
	tu_gguf_kv_bool(w, "tokenizer.ggml.add_bos_token", 0);
	tu_gguf_kv_bool(w, "tokenizer.ggml.add_eos_token", 0);
	tu_gguf_kv_str(w, "tokenizer.chat_template", chat_template);
}

static int valid_type(uint32_t t)
{
	return t == T_F32 || t == T_F16 || t == T_BF16 || t == T_Q4_0 || t == T_Q4_1 || t == T_Q8_0;
}

static void add_hparams(struct tu_gguf *w, const struct tu_tiny_opts *o, const char *arch,
			uint32_t n_embd, uint32_t n_layer, uint32_t n_head, uint32_t n_head_kv,
			uint32_t n_ff, uint32_t n_ctx, uint32_t head_dim)
{
	char k[128];

#define KEY(suffix) (snprintf(k, sizeof(k), "%s.%s", arch, suffix), k)
	tu_gguf_kv_u32(w, KEY("context_length"), n_ctx);
	tu_gguf_kv_u32(w, KEY("embedding_length"), n_embd);
	tu_gguf_kv_u32(w, KEY("block_count"), o->block_count ? o->block_count : n_layer);
	tu_gguf_kv_u32(w, KEY("feed_forward_length"), n_ff);
	tu_gguf_kv_u32(w, KEY("attention.head_count"), n_head);
	tu_gguf_kv_u32(w, KEY("attention.head_count_kv"), n_head_kv);
	tu_gguf_kv_f32(w, KEY("attention.layer_norm_rms_epsilon"), 1e-5f);
	tu_gguf_kv_f32(w, KEY("rope.freq_base"), 10000.0f);
	tu_gguf_kv_u32(w, KEY("rope.dimension_count"), head_dim);
	if (!strcmp(arch, "gemma3") || !strcmp(arch, "qwen3")) {
		tu_gguf_kv_u32(w, KEY("attention.key_length"), head_dim);
		tu_gguf_kv_u32(w, KEY("attention.value_length"), head_dim);
	}
	if (!strcmp(arch, "gemma3"))
		tu_gguf_kv_u32(w, KEY("attention.sliding_window"), 64);
#undef KEY
}

int tu_write_tiny_llama(const char *path, const struct tu_tiny_opts *o)
{
	static const struct tu_tiny_opts defaults = {0};
	struct ctx c = {0};
	const char *arch;
	uint32_t n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx, hd, wt, et;
	int qwen2, qk_norm, gemma;
	char name[96];

	if (!o)
		o = &defaults;
	arch = o->arch ? o->arch : "llama";
	n_embd = o->n_embd ? o->n_embd : 64;
	n_layer = o->n_layer ? o->n_layer : 2;
	n_head = o->n_head ? o->n_head : 4;
	n_head_kv = o->n_head_kv ? o->n_head_kv : 2;
	n_ff = o->n_ff ? o->n_ff : 128;
	n_ctx = o->n_ctx ? o->n_ctx : 256;
	wt = o->weight_type;
	et = o->embd_type;
	if (!valid_type(wt) || !valid_type(et) || n_embd % n_head || n_embd % 32 || n_ff % 32 ||
	    n_head % n_head_kv)
		return -1;
	hd = n_embd / n_head;
	qwen2 = !strcmp(arch, "qwen2");
	gemma = !strcmp(arch, "gemma3");
	qk_norm = gemma || !strcmp(arch, "qwen3");

	c.w = tu_gguf_new();
	c.o = o;
	c.rng = o->seed ? o->seed : 1234;
	if (!c.w)
		return -1;
	tu_gguf_kv_str(c.w, "general.architecture", arch);
	tu_gguf_kv_str(c.w, "general.name", "tiny");
	if (!o->no_vocab)
		add_vocab(c.w, o);
	if (o->vocab_only)
		goto write;
	if (wt != T_F32 && wt != T_F16 && wt != T_BF16)
		tu_gguf_kv_u32(c.w, "general.quantization_version", 2);
	add_hparams(c.w, o, arch, n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx, hd);

	add(&c, "token_embd.weight", et, n_embd, TU_TINY_N_VOCAB, F_EMBD);
	add(&c, "output_norm.weight", T_F32, n_embd, 0, F_NORM);
	if (!o->tied)
		add(&c, "output.weight", et, n_embd, TU_TINY_N_VOCAB, F_MATRIX);
	if (o->rope_freqs)
		add(&c, "rope_freqs.weight", T_F32, hd / 2, 0, F_ROPE);
	for (uint32_t l = 0; l < n_layer; l++) {
#define N(suffix) (snprintf(name, sizeof(name), "blk.%u.%s", l, suffix), name)
		add(&c, N("attn_norm.weight"), T_F32, n_embd, 0, F_NORM);
		add(&c, N("attn_q.weight"), wt, n_embd, n_head * hd, F_MATRIX);
		add(&c, N("attn_k.weight"), wt, n_embd, n_head_kv * hd, F_MATRIX);
		add(&c, N("attn_v.weight"), wt, n_embd, n_head_kv * hd, F_MATRIX);
		if (qwen2) {
			add(&c, N("attn_q.bias"), T_F32, n_head * hd, 0, F_BIAS);
			add(&c, N("attn_k.bias"), T_F32, n_head_kv * hd, 0, F_BIAS);
			add(&c, N("attn_v.bias"), T_F32, n_head_kv * hd, 0, F_BIAS);
		}
		if (qk_norm) {
			add(&c, N("attn_q_norm.weight"), T_F32, hd, 0, F_NORM);
			add(&c, N("attn_k_norm.weight"), T_F32, hd, 0, F_NORM);
		}
		add(&c, N("attn_output.weight"), wt, n_head * hd, n_embd, F_MATRIX);
		if (gemma)
			add(&c, N("post_attention_norm.weight"), T_F32, n_embd, 0, F_NORM);
		add(&c, N("ffn_norm.weight"), T_F32, n_embd, 0, F_NORM);
		add(&c, N("ffn_gate.weight"), wt, n_embd, n_ff, F_MATRIX);
		add(&c, N("ffn_up.weight"), wt, n_embd, n_ff, F_MATRIX);
		add(&c, N("ffn_down.weight"), wt, n_ff, n_embd, F_MATRIX);
		if (gemma)
			add(&c, N("post_ffw_norm.weight"), T_F32, n_embd, 0, F_NORM);
#undef N
	}
write:
	if (!c.rc)
		c.rc = tu_gguf_write(c.w, path, NULL);
	tu_gguf_free(c.w);
	return c.rc;
}
