/* Helpers shared by the CPU kernel tests: random valid weight rows, a
 * double-precision reference dot, test data files, the ISA list. */
#ifndef PLUME_TEST_KT_H
#define PLUME_TEST_KT_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

extern const uint32_t kt_weight_types[];
extern const int kt_n_weight_types;

const char *kt_type_name(uint32_t t);
uint64_t kt_rand(uint64_t *s);
float kt_randf(uint64_t *s); /* uniform in [-1, 1) */
/* n elements of type t: random bytes with finite, moderate scales. */
void kt_random_row(uint32_t t, int64_t n, uint64_t *seed, void *dst);
/* Reference: weight row (type wt) . activation row (vec_dot type), in
 * double over the dequantized values; *mag = sum |w_i a_i| (+ |min terms|). */
double kt_ref_dot(uint32_t wt, int64_t n, const void *w, const void *a, double *mag);
/* Reads PLUME_SOURCE_DIR/tests/data/quant/<name>; malloc'd, NULL if absent. */
void *kt_read_data(const char *name, size_t *size);
/* ISAs to test: those cpu_kernels_force() grants as requested. */
int kt_isas(int *isa);

#endif
