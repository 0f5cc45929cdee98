/* The gated feed-forward activation product (see glu.c). */
#ifndef PLUME_CPU_GLU_H
#define PLUME_CPU_GLU_H

#include <stdint.h>

/* g[i] = act(g[i]) * u[i] for i < n; act = GELU (gelu != 0, through
 * gelu_tab: go_gelu_table's 65536 entries plus CPU_GELU_TAB_PAD readable
 * padding entries, for the vector path's 4-byte gathers) or SiLU, in
 * llama.cpp's CPU arithmetic. */
#define CPU_GELU_TAB_PAD 2
void cpu_glu(int gelu, const uint16_t *gelu_tab, float *g, const float *u, int64_t n);

#endif
