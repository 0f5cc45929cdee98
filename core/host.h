/* The host services table handed to every plugin (plume_host): counted
 * allocation with failure injection, logging, error records, config access
 * and the logits toolkit. */
#ifndef PLUME_CORE_HOST_H
#define PLUME_CORE_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "plume/plugin.h"
#include "plume/logits.h"

const struct plume_host *plume_host_get(void);

/* The logits toolkit (core/logits.c). */
const struct plume_logits_api *plume_logits_api_get(void);
/* Tests: 1 makes the toolkit's long-vector loops (exp, max) run their
 * portable form even where the CPU has AVX-512; same results either way. */
void plume_logits_force_scalar(int on);

/* Log threshold for host->log (enum plume_log_level); default WARN. */
void plume_host_set_log_level(int level);

/* Allocation accounting: bytes currently allocated through the table and the
 * peak. Fault injection (tests): the n-th allocation from now fails (n >= 1);
 * 0 disables. */
size_t plume_host_bytes_in_use(void);
size_t plume_host_bytes_peak(void);
void plume_host_fail_alloc_after(uint64_t n);

#endif
