/* The host-owned error record behind `struct plume_error` (opaque to
 * plugins) and the helpers the core uses to fill it. One line, lower case,
 * naming what and where. */
#ifndef PLUME_CORE_ERROR_H
#define PLUME_CORE_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#include "plume/plugin.h"

#define PLUME_ERROR_MSG_SIZE 1024

struct plume_error {
	int status;                     /* last status set, PLUME_OK when none */
	char msg[PLUME_ERROR_MSG_SIZE]; /* NUL-terminated, one line */
};

/* Reset to "no error". */
void plume_error_clear(struct plume_error *err);

/* Fill err (may be NULL) and return status. printf-style. */
int plume_error_set(struct plume_error *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int plume_error_vset(struct plume_error *err, int status, const char *fmt, va_list ap);

/* Prefix the current message with "prefix: " (for adding file/plugin context). */
void plume_error_prefix(struct plume_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

const char *plume_status_name(int status);

#endif
