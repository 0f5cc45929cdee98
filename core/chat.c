/* Chat templates recognised by markers (no Jinja engine): ChatML. */
#include "chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IM_START "<|im_start|>"
#define IM_END "<|im_end|>"

/* The template's own default system message: the text between
 * "<|im_start|>system\n" and "<|im_end|>" inside a string literal, as in
 * SmolLM2's and Qwen's templates. Returns a malloc'ed copy or NULL. */
static char *default_system(const char *tmpl)
{
	static const char *heads[] = {IM_START "system\n", IM_START "system\\n"};

	for (size_t i = 0; i < 2; i++) {
		const char *p = strstr(tmpl, heads[i]);
		const char *end;
		char *s;

		if (!p)
			continue;
		p += strlen(heads[i]);
		end = strstr(p, IM_END);
		/* A Jinja expression here means "the user's system message". */
		if (!end || memchr(p, '{', (size_t)(end - p)) || memchr(p, '\'', (size_t)(end - p)))
			return NULL;
		s = malloc((size_t)(end - p) + 1);
		if (!s)
			return NULL;
		memcpy(s, p, (size_t)(end - p));
		s[end - p] = '\0';
		return s;
	}
	return NULL;
}

static int render_chatml(const char *tmpl, const char *system, const char *user, char **out,
			 struct plume_error *err)
{
	char *def = (!system || !*system) && tmpl ? default_system(tmpl) : NULL;
	const char *sys = system && *system ? system : def;
	size_t n = strlen(user) + (sys ? strlen(sys) : 0) + 128;
	char *s = malloc(n);

	if (!s) {
		free(def);
		return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
	}
	if (sys)
		snprintf(s, n, IM_START "system\n%s" IM_END "\n" IM_START "user\n%s" IM_END "\n"
			 IM_START "assistant\n", sys, user);
	else
		snprintf(s, n, IM_START "user\n%s" IM_END "\n" IM_START "assistant\n", user);
	free(def);
	*out = s;
	return 0;
}

int plume_chat_format(const char *template_text, const char *which, const char *system,
		      const char *user, char **out, struct plume_error *err)
{
	if (!strcmp(which, "none"))
		return plume_error_set(err, PLUME_ERR_UNSUPPORTED,
				       "--chat: generate.chat_template = none");
	if (!strcmp(which, "chatml"))
		return render_chatml(template_text, system, user, out, err);
	if (!template_text)
		return plume_error_set(err, PLUME_ERR_UNSUPPORTED,
				       "--chat: this model has no chat template (tokenizer.chat_template is absent; "
				       "it is probably a base model): run without --chat or set generate.chat_template");
	if (strstr(template_text, IM_START))
		return render_chatml(template_text, system, user, out, err);
	return plume_error_set(err, PLUME_ERR_UNSUPPORTED,
			       "--chat: the model's chat template is not one plume recognises (supported: chatml); "
			       "set generate.chat_template = chatml to force one");
}
