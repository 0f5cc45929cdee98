/* Attention over an F16 KV cache with AVX-512, for one token and up to four
 * query heads that share one KV head: the same floating-point operations in
 * the same order per output value as the scalar per-(token, head) loop in
 * forward.c (llama.cpp's non-flash CPU attention), organised around the key:
 * each K and V row is widened once for all the heads of the job, sixteen
 * keys are scored at a time and reduced together, the softmax exp runs on
 * sixteen lanes and the weighted sum of V keeps one accumulator chain per
 * (position mod 16) or (position mod 64) in registers. */
#ifndef PLUME_CPU_ATTENTION_H
#define PLUME_CPU_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#define CPU_ATTN_MAX_HEADS 4

struct cpu_attn_job {
	int64_t hd, hv;             /* head dims of K and V; hd, hv % 16 == 0 */
	int64_t lo, p;              /* attend to positions lo..p */
	int n_head;                 /* 1..CPU_ATTN_MAX_HEADS query heads */
	int tiny;                   /* tinyBLAS order (batches of >= 2 tokens), else
				     * ggml_vec_dot_f16's (needs hd % 64 == 0) */
	float kq_scale;
	const float *q[CPU_ATTN_MAX_HEADS]; /* each head's query, hd floats */
	float *out[CPU_ATTN_MAX_HEADS];     /* each head's output, hv floats */
	const uint16_t *const *k;   /* [p + 1]: the K row of position j (lo <= j <= p) */
	const uint16_t *const *v;   /* the same for V */
	float *ws;                  /* cpu_attn_ws_floats(hd, hv, p + 1) floats, 64-byte aligned */
};

/* 1 when this CPU runs cpu_attn_f16 (AVX-512F, FMA, F16C). */
int cpu_attn_f16_available(void);
size_t cpu_attn_ws_floats(int64_t hd, int64_t hv, int64_t n_pos);
void cpu_attn_f16(const struct cpu_attn_job *j);

#endif
