/* The gated feed-forward activation product (see glu.c). */
#ifndef PLUME_CPU_GLU_H
#define PLUME_CPU_GLU_H

#include <stdint.h>
#include <string.h>

/* g[i] = act(g[i]) * u[i] for i < n; act = GELU (gelu != 0, through
 * gelu_tab) or SiLU, in llama.cpp's CPU arithmetic. */
void cpu_glu(int gelu, const uint16_t *gelu_tab, float *g, const float *u, int64_t n);

#endif
