/* Where tests find the default model: $PLUME_MODEL_DIR, else
 * $HOME/.cache/plume/models (what scripts/fetch-model fills). */
#ifndef PLUME_TESTS_TESTENV_H
#define PLUME_TESTS_TESTENV_H

#include <stddef.h>

#define TU_DEFAULT_MODEL "SmolLM2-135M-Instruct.Q4_1.gguf"

/* Writes the default model's path into path. Returns 1 when the file is
 * readable; 0 when it is absent (callers skip, loudly); -1 when it is
 * absent and CI=true (callers fail: CI fetches the model). */
int tu_default_model(char *path, size_t n);

#endif
