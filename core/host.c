/* The host services table (struct plume_host) handed to every plugin:
 * counted allocation with fault injection, logging to stderr, the error
 * record writer, config access and the logits toolkit. */
#include "host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "error.h"

/* Every block carries a 16-byte header holding its size, so that free()
 * can account for it; 16 keeps malloc's alignment. */
#define HDR 16

static size_t bytes_in_use, bytes_peak;
static uint64_t fail_countdown;
static int log_level = PLUME_LOG_WARN;

static int should_fail(void)
{
	uint64_t n = __atomic_load_n(&fail_countdown, __ATOMIC_RELAXED);

	if (n == 0)
		return 0;
	n = __atomic_sub_fetch(&fail_countdown, 1, __ATOMIC_RELAXED);
	return n == 0;
}

static void account(ptrdiff_t delta)
{
	size_t now = __atomic_add_fetch(&bytes_in_use, (size_t)delta, __ATOMIC_RELAXED);
	size_t peak = __atomic_load_n(&bytes_peak, __ATOMIC_RELAXED);

	while (now > peak && !__atomic_compare_exchange_n(&bytes_peak, &peak, now, 1,
							  __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void *host_alloc(size_t n)
{
	char *p;

	if (n > SIZE_MAX - HDR || should_fail())
		return NULL;
	p = malloc(n + HDR);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof(n));
	account((ptrdiff_t)n);
	return p + HDR;
}

static void *host_calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = host_alloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

static void host_free(void *p)
{
	size_t n;

	if (!p)
		return;
	memcpy(&n, (char *)p - HDR, sizeof(n));
	account(-(ptrdiff_t)n);
	free((char *)p - HDR);
}

static void *host_realloc(void *p, size_t n)
{
	size_t old;
	char *q;

	if (!p)
		return host_alloc(n);
	if (n > SIZE_MAX - HDR || should_fail())
		return NULL;
	memcpy(&old, (char *)p - HDR, sizeof(old));
	q = realloc((char *)p - HDR, n + HDR);
	if (!q)
		return NULL;
	memcpy(q, &n, sizeof(n));
	account((ptrdiff_t)n - (ptrdiff_t)old);
	return q + HDR;
}

static void host_log(int level, const char *who, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	fprintf(stderr, "plume: %s%s", who ? who : "", who ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int host_error(struct plume_error *err, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	status = plume_error_vset(err, status, fmt, ap);
	va_end(ap);
	return status;
}

static uint64_t host_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}


const struct plume_host *plume_host_get(void)
{
	static struct plume_host host;

	if (!host.size) {
		host.abi_minor = PLUME_ABI_MINOR;
		host.abi_major = PLUME_ABI_MAJOR;
		host.alloc = host_alloc;
		host.calloc = host_calloc;
		host.realloc = host_realloc;
		host.free = host_free;
		host.log = host_log;
		host.error = host_error;
		host.config_int = plume_config_get_int;
		host.config_float = plume_config_get_float;
		host.config_bool = plume_config_get_bool;
		host.config_string = plume_config_get_string;
		host.now_ns = host_now_ns;
		host.logits = plume_logits_api_get();
		__atomic_store_n(&host.size, (uint32_t)sizeof(host), __ATOMIC_RELEASE);
	}
	return &host;
}

void plume_host_set_log_level(int level)
{
	log_level = level;
}

size_t plume_host_bytes_in_use(void)
{
	return __atomic_load_n(&bytes_in_use, __ATOMIC_RELAXED);
}

size_t plume_host_bytes_peak(void)
{
	return __atomic_load_n(&bytes_peak, __ATOMIC_RELAXED);
}

void plume_host_fail_alloc_after(uint64_t n)
{
	__atomic_store_n(&fail_countdown, n, __ATOMIC_RELAXED);
}
