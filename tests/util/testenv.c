/* Test environment lookups shared by the suites. */
#include "testenv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tu_default_model(char *path, size_t n)
{
	const char *dir = getenv("PLUME_MODEL_DIR"), *home = getenv("HOME"), *ci = getenv("CI");

	if (dir && *dir)
		snprintf(path, n, "%s/%s", dir, TU_DEFAULT_MODEL);
	else
		snprintf(path, n, "%s/.cache/plume/models/%s", home ? home : "", TU_DEFAULT_MODEL);
	if (!access(path, R_OK))
		return 1;
	return ci && !strcmp(ci, "true") ? -1 : 0;
}
