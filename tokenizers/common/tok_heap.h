/* A binary min-heap over a caller-owned array, typed per use: the merge
 * queues of the bpe and spm tokenizers (lowest rank / best score first).
 * TOK_HEAP(prefix, type, less) defines
 *   static void prefix_push(type *h, size_t *n, type c);
 *   static type prefix_pop(type *h, size_t *n);            (*n > 0)
 * where less(const type *a, const type *b) orders a before b. */
#ifndef PLUME_TOK_HEAP_H
#define PLUME_TOK_HEAP_H

#include <stddef.h>

#define TOK_HEAP(prefix, type, less)                                                   \
	static void prefix##_push(type *h, size_t *n, type c)                            \
	{                                                                                 \
		size_t i = (*n)++;                                                        \
                                                                                          \
		while (i > 0) {                                                           \
			size_t p = (i - 1) / 2;                                           \
                                                                                          \
			if (!less(&c, &h[p]))                                             \
				break;                                                    \
			h[i] = h[p];                                                      \
			i = p;                                                            \
		}                                                                         \
		h[i] = c;                                                                 \
	}                                                                                 \
                                                                                          \
	static type prefix##_pop(type *h, size_t *n)                                     \
	{                                                                                 \
		type top = h[0], last = h[--(*n)];                                        \
		size_t i = 0;                                                             \
                                                                                          \
		for (;;) {                                                                \
			size_t l = 2 * i + 1, r = l + 1, m = i;                           \
			const type *best = &last;                                         \
                                                                                          \
			if (l < *n && less(&h[l], best)) {                                \
				m = l;                                                    \
				best = &h[l];                                             \
			}                                                                 \
			if (r < *n && less(&h[r], best))                                  \
				m = r;                                                    \
			if (m == i)                                                       \
				break;                                                    \
			h[i] = h[m];                                                      \
			i = m;                                                            \
		}                                                                         \
		if (*n)                                                                   \
			h[i] = last;                                                      \
		return top;                                                               \
	}

#endif
