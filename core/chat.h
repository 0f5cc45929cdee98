/* Chat templates: recognise the model's template (tokenizer.chat_template)
 * by its markers and render one user turn with the generation prompt.
 * Supported: ChatML (<|im_start|>role\n...<|im_end|>\n), with the default
 * system message the template itself carries. */
#ifndef PLUME_CORE_CHAT_H
#define PLUME_CORE_CHAT_H

#include "error.h"

/* template_text: the GGUF's template or NULL; which: "auto", "chatml" or
 * "none"; system: "" for the template's default. *out is malloc'ed. */
int plume_chat_format(const char *template_text, const char *which, const char *system,
		      const char *user, char **out, struct plume_error *err);

#endif
