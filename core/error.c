/* Error records: formatting and context prefixes. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void plume_error_clear(struct plume_error *err)
{
	if (!err)
		return;
	err->status = PLUME_OK;
	err->msg[0] = '\0';
}

int plume_error_vset(struct plume_error *err, int status, const char *fmt, va_list ap)
{
	if (!err)
		return status;
	err->status = status;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	/* One line: newlines a plugin may have put in become spaces. */
	for (char *p = err->msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return status;
}

int plume_error_set(struct plume_error *err, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	status = plume_error_vset(err, status, fmt, ap);
	va_end(ap);
	return status;
}

void plume_error_prefix(struct plume_error *err, const char *fmt, ...)
{
	char prefix[PLUME_ERROR_MSG_SIZE], tmp[2 * PLUME_ERROR_MSG_SIZE + 2];
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	snprintf(tmp, sizeof(tmp), "%s: %s", prefix, err->msg);
	memcpy(err->msg, tmp, sizeof(err->msg) - 1);
	err->msg[sizeof(err->msg) - 1] = '\0';
}

const char *plume_status_name(int status)
{
	switch (status) {
	case PLUME_OK: return "ok";
	case PLUME_FINISHED: return "finished";
	case PLUME_ERR_INVALID: return "invalid";
	case PLUME_ERR_NOMEM: return "out of memory";
	case PLUME_ERR_IO: return "i/o error";
	case PLUME_ERR_UNSUPPORTED: return "unsupported";
	case PLUME_ERR_NODEVICE: return "no device";
	case PLUME_ERR_RANGE: return "out of range";
	case PLUME_ERR_ABI: return "abi mismatch";
	case PLUME_ERR_TOOSMALL: return "buffer too small";
	case PLUME_ERR_INTERNAL: return "internal error";
	case PLUME_ERR_NOTFOUND: return "not found";
	default: return "error";
	}
}
