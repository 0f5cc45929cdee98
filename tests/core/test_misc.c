/* String lists (generate.stop), path expansion, chat templates. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "strlist.h"

static struct plume_error err;

Test(strlist, parses_quoted_lists_with_escapes)
{
	char **l;
	size_t n;

	cr_assert_eq(plume_strlist_parse("\"a\\n\", \"b\\\"c\",\"\\x41\"", "k", &l, &n, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(l[0], "a\n");
	cr_assert_str_eq(l[1], "b\"c");
	cr_assert_str_eq(l[2], "A");
	plume_strlist_free(l, n);
	cr_assert_eq(plume_strlist_parse("User:", "k", &l, &n, &err), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(l[0], "User:");
	plume_strlist_free(l, n);
	cr_assert_eq(plume_strlist_parse("", "k", &l, &n, &err), 0);
	cr_assert_eq(n, 0);
	plume_strlist_free(l, n);
	cr_assert_eq(plume_strlist_parse("\"open", "generate.stop", &l, &n, &err), PLUME_ERR_INVALID);
	cr_assert(strstr(err.msg, "generate.stop: unterminated"), "%s", err.msg);
	cr_assert_eq(plume_strlist_parse("\"a\\q\"", "k", &l, &n, &err), PLUME_ERR_INVALID);
}

Test(strlist, expands_environment_and_cache_defaults)
{
	char *s;

	setenv("PLUME_TEST_X", "val", 1);
	s = plume_expand_path("${PLUME_TEST_X}/a");
	cr_assert_str_eq(s, "val/a");
	free(s);
	setenv("PLUME_MODEL_DIR", "/models", 1);
	s = plume_expand_path("${PLUME_MODEL_DIR}/m.gguf");
	cr_assert_str_eq(s, "/models/m.gguf");
	free(s);
	unsetenv("PLUME_MODEL_DIR");
	setenv("XDG_CACHE_HOME", "/xdg", 1);
	unsetenv("PLUME_CACHE");
	s = plume_expand_path("${PLUME_MODEL_DIR}/m.gguf");
	cr_assert_str_eq(s, "/xdg/plume/models/m.gguf");
	free(s);
}

static const char smollm_tmpl[] =
	"{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
	"{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
	"Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + "
	"message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}"
	"{{ '<|im_start|>assistant\n' }}{% endif %}";

Test(chat, chatml_with_the_templates_default_system_message)
{
	char *out;

	cr_assert_eq(plume_chat_format(smollm_tmpl, "auto", "", "Hi", &out, &err), 0, "%s", err.msg);
	cr_assert_str_eq(out, "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, "
			      "trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
			      "<|im_start|>assistant\n");
	free(out);
	cr_assert_eq(plume_chat_format(smollm_tmpl, "auto", "Be brief.", "Hi", &out, &err), 0);
	cr_assert_str_eq(out, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi"
			      "<|im_end|>\n<|im_start|>assistant\n");
	free(out);
}

Test(chat, no_template_is_a_clear_error)
{
	char *out = NULL;

	cr_assert_eq(plume_chat_format(NULL, "auto", "", "Hi", &out, &err), PLUME_ERR_UNSUPPORTED);
	cr_assert(strstr(err.msg, "no chat template"), "%s", err.msg);
	cr_assert_eq(plume_chat_format("{{ bos_token }}[INST]", "auto", "", "Hi", &out, &err),
		     PLUME_ERR_UNSUPPORTED);
	cr_assert(strstr(err.msg, "not one plume recognises"), "%s", err.msg);
}
