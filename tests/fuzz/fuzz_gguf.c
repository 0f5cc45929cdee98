/* libFuzzer harness for the GGUF reader (core/gguf_read.c) and the model
 * loader on top of it (core/model_load.c): arbitrary bytes are opened as a
 * file, and when they validate, every key, array element and tensor is
 * walked, the model descriptor and vocabulary are built and `plume info`'s
 * printer runs. A malformed file must be an error, never a crash.
 *
 * The reader mmaps the file; page rounding would hide reads past its end from
 * AddressSanitizer, so this harness interposes mmap/munmap for the input's
 * descriptor and hands back an exact-size heap copy instead. Invariant
 * checked beyond the sanitizers: every tensor's bytes lie inside the file. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gguf.h"
#include "model.h"

static int input_active;
static struct stat input_st;   /* the memfd holding the input */
static void *input_copy;
static FILE *devnull;

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct stat st;

	if (input_active && fd >= 0 && off == 0 && !(prot & PROT_WRITE) && !fstat(fd, &st) &&
	    st.st_ino == input_st.st_ino && st.st_dev == input_st.st_dev) {
		void *p = NULL;

		if (posix_memalign(&p, 4096, len ? len : 1))
			return MAP_FAILED;
		if (pread(fd, p, len, 0) != (ssize_t)len) {
			free(p);
			return MAP_FAILED;
		}
		input_copy = p;
		return p;
	}
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

int munmap(void *addr, size_t len)
{
	if (addr && addr == input_copy) {
		free(addr);
		input_copy = NULL;
		return 0;
	}
	return (int)syscall(SYS_munmap, addr, len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	devnull = fopen("/dev/null", "w");
	return 0;
}

#define CHECK(cond, ...)                                                                   \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "invariant failed: %s: ", #cond);                   \
			fprintf(stderr, __VA_ARGS__);                                       \
			fputc('\n', stderr);                                                \
			abort();                                                            \
		}                                                                           \
	} while (0)

static volatile uint8_t sink;

static void touch(const void *p, uint64_t n)
{
	if (n) {
		sink ^= ((const uint8_t *)p)[0];
		sink ^= ((const uint8_t *)p)[n - 1];
	}
}

static void walk(const struct plume_gguf *g)
{
	struct plume_error err = {0};
	uint64_t fsize = plume_gguf_file_size(g);
	int64_t n_kv = plume_gguf_n_kv(g), n_t = plume_gguf_n_tensors(g);

	for (int64_t i = 0; i < n_kv; i++) {
		const char *key = plume_gguf_key(g, i);
		uint32_t type = plume_gguf_kv_type(g, i);
		uint32_t u32;
		int64_t i64;
		float f;
		int b;
		struct plume_str s;

		CHECK(key != NULL, "key %lld", (long long)i);
		CHECK(plume_gguf_find(g, key) >= 0, "find '%s'", key);
		plume_gguf_get_u32(g, key, &u32, &err);
		plume_gguf_get_i64(g, key, &i64, &err);
		plume_gguf_get_f32(g, key, &f, &err);
		plume_gguf_get_bool(g, key, &b, &err);
		if (plume_gguf_get_str(g, key, &s, &err) == 0)
			touch(s.ptr, s.len);
		if (type == GGUF_TYPE_ARRAY) {
			uint32_t at = plume_gguf_arr_type(g, i);
			uint64_t n = plume_gguf_arr_n(g, i);

			if (at == GGUF_TYPE_STRING) {
				for (uint64_t j = 0; j < n && j < 4096; j++) {
					s = plume_gguf_arr_str(g, i, j);
					touch(s.ptr, s.len);
				}
				if (n)
					s = plume_gguf_arr_str(g, i, n - 1), touch(s.ptr, s.len);
			} else if (n && at != GGUF_TYPE_ARRAY) {
				touch(plume_gguf_arr_data(g, i), 1);
			}
		}
	}
	for (int64_t i = 0; i < n_t; i++) {
		const struct plume_tensor *t = plume_gguf_tensor(g, i);
		uint64_t off = plume_gguf_data_offset(g) + plume_gguf_tensor_offset(g, i);

		CHECK(t && t->name, "tensor %lld", (long long)i);
		CHECK(t->n_bytes == 0 || (off <= fsize && t->n_bytes <= fsize - off),
		      "tensor '%s' at %llu + %llu bytes, file %llu", t->name,
		      (unsigned long long)off, (unsigned long long)t->n_bytes,
		      (unsigned long long)fsize);
		CHECK(plume_gguf_find_tensor(g, t->name) != NULL, "find tensor '%s'", t->name);
		touch(t->data, t->n_bytes);
		plume_dtype_name(t->type);
	}
	plume_model_print_info(g, devnull, 0);
	plume_model_print_info(g, devnull, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plume_error err = {0};
	struct plume_gguf *g = NULL;
	struct plume_model *m = NULL;
	char path[64];
	int fd = memfd_create("fuzz.gguf", 0);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size || fstat(fd, &input_st)) {
		perror("memfd");
		abort();
	}
	/* the reader opens the file itself: the path names the memfd */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	input_active = 1;
	if (plume_gguf_open(path, &g, &err) == 0) {
		walk(g);
		plume_gguf_close(g);
		/* the same bytes through the model loader: descriptor and vocabulary */
		for (uint32_t fl = 0; fl < 2; fl++) {
			if (plume_model_load(path, fl ? PLUME_MODEL_LOAD_VOCAB_ONLY : 0, &m, &err) == 0)
				plume_model_free(m);
			else
				CHECK(err.msg[0] != '\0', "model error without a message");
		}
	} else {
		CHECK(err.msg[0] != '\0', "error without a message");
	}
	input_active = 0;
	close(fd);
	return 0;
}
