/* A model: the validated GGUF file, the model descriptor handed to backends
 * (plume/model.h) and the vocabulary handed to tokenizers
 * (plume/tokenizer.h), both built from the file's metadata. */
#ifndef PLUME_CORE_MODEL_H
#define PLUME_CORE_MODEL_H

#include <stdio.h>

#include "gguf.h"
#include "plume/model.h"
#include "plume/tokenizer.h"

enum {
	PLUME_MODEL_LOAD_VOCAB_ONLY = 1u << 0, /* no hyper-parameters or tensors needed */
};

struct plume_model;

/* Open `path`, validate the container, then (unless VOCAB_ONLY) the
 * architecture's hyper-parameters and every required tensor's presence,
 * type and shape. Errors name the file and the key or tensor. */
int plume_model_load(const char *path, uint32_t flags, struct plume_model **out,
		     struct plume_error *err);
void plume_model_free(struct plume_model *m);

const struct plume_gguf *plume_model_gguf(const struct plume_model *m);
/* NULL when loaded VOCAB_ONLY. */
const struct plume_model_desc *plume_model_desc(const struct plume_model *m);
/* NULL when the file has no tokenizer.ggml.tokens. */
const struct plume_vocab *plume_model_vocab(const struct plume_model *m);
/* tokenizer.chat_template, or NULL. */
const char *plume_model_chat_template(const struct plume_model *m);

/* `plume info`: metadata (long arrays summarised) and the tensor table
 * (name, type, shape, bytes), then totals. json != 0: one JSON object. */
void plume_model_print_info(const struct plume_gguf *g, FILE *out, int json);

#endif
