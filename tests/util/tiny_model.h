/* A complete tiny model as a GGUF file, for tests that need a model without
 * the real one: backends (forward on random weights), tokenizers (a
 * byte-level gpt2-style vocabulary) and the engine.
 *
 * Defaults (every option 0/NULL): arch "llama", n_vocab 320, n_embd 64,
 * n_layer 2, n_head 4, n_head_kv 2 (head_dim 16), n_ff 128, n_ctx 256,
 * rope base 10000, rms eps 1e-5, all weights F32, untied output.
 *
 * Vocabulary (tokenizer.ggml.model "gpt2", pre "gpt-2" unless opts->pre):
 *   ids 0..255   one token per byte b, spelled with the GPT-2 byte-to-unicode
 *                map (so id == byte value; space is "Ġ", id 32)
 *   ids 256..316 61 merge results, tokenizer.ggml.merges[i] makes id 256+i
 *                (ranks: "Ġ t", "h e", "Ġt he", "i n", ...; see tiny_model.c)
 *   id  317      "<|im_start|>"  bos (CONTROL)
 *   id  318      "<|im_end|>"    eos (CONTROL)
 *   id  319      "<|endoftext|>" (CONTROL), also the padding id
 *   add_bos_token false, add_eos_token false, a chatml chat template.
 *
 * Weights are uniform random from a fixed seed (same opts -> same file):
 * matrices scaled by 1/sqrt(n_in), embeddings in [-1, 1], norms 1 +- 0.1;
 * quantized types are produced by straightforward reference quantizers
 * (small finite fp16 scales). Norms and biases are always F32. */
#ifndef PLUME_TESTS_TINY_MODEL_H
#define PLUME_TESTS_TINY_MODEL_H

#include <stdint.h>

#define TU_TINY_N_VOCAB 320
#define TU_TINY_N_MERGES 61
#define TU_TINY_BOS 317
#define TU_TINY_EOS 318
#define TU_TINY_EOT_TEXT 319

struct tu_tiny_opts {
	const char *arch;        /* "llama" (NULL), "qwen2" (adds q/k/v biases), "qwen3"
	                            (q/k norms), "gemma3" (q/k norms, post norms,
	                            sliding window 64, key_length); other strings are
	                            written as given with llama tensors */
	uint32_t weight_type;    /* block matrices: PLUME_DTYPE_F32 (0), F16, BF16,
	                            Q4_0, Q4_1, Q8_0 */
	uint32_t embd_type;      /* token_embd (and output): same set, default F32 */
	int tied;                /* 1: no output.weight (tied to token_embd) */
	uint32_t seed;           /* 0: 1234 */
	uint32_t n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx; /* 0: defaults */
	const char *pre;         /* tokenizer.ggml.pre, NULL: "gpt-2" */
	int rope_freqs;          /* 1: add rope_freqs.weight [head_dim/2], values 1 + 0.1 i */

	/* Malformations for loader tests. */
	const char *omit_tensor; /* leave this tensor out */
	const char *bad_shape;   /* write this tensor with ne[0] + 32 (F32 data) */
	uint32_t block_count;    /* write this llama.block_count instead of n_layer */
	int no_vocab;            /* 1: no tokenizer.* keys */
	int vocab_only;          /* 1: tokenizer.* and general.* keys only, no tensors */
};

/* Write the model to path. 0 on success, -1 on failure (bad option, I/O). */
int tu_write_tiny_llama(const char *path, const struct tu_tiny_opts *o);

/* The token text of tiny-vocabulary id (0..319), NUL-terminated, static. */
const char *tu_tiny_token(int id);
/* Merge i (0..60) as "left right", static. */
const char *tu_tiny_merge(int i);

#endif
