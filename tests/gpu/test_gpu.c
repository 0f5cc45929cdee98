/* The GPU backends in CI: plugins load and export one descriptor; without a
 * device, create fails with PLUME_ERR_NODEVICE and one line (the HIP plugin
 * is always in that case here); with a CUDA device, each weight type's
 * matrix product matches the CPU dequantization, the forward on tiny models
 * matches the CPU backend (logits and greedy tokens), and on the default
 * model the argmax matches llama.cpp's golden tokens wherever llama.cpp's
 * top-2 gap is >= 0.5. Device tests say "SKIPPED:". */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_checks.h"

static char rep[1 << 16];

static int cuda_device_present(void)
{
	char msg[256] = "";

	if (gpu_selftest_device_count(msg, sizeof(msg)) > 0)
		return 1;
	printf("SKIPPED: no CUDA device (%s)\n", msg[0] ? msg : "0 devices");
	return 0;
}

static void no_device_is_one_clean_line(const char *name)
{
	struct gc_be b;
	char msg[1024] = "";
	int rc;

	if (gc_open(&b, name, msg, sizeof(msg))) {
		printf("SKIPPED: plume-backend-%s.so not built (%s)\n", name, msg);
		cr_skip_test();
	}
	cr_assert_str_eq(b.desc->name, name);
	cr_assert_eq(b.desc->abi_major, PLUME_ABI_MAJOR);
	rc = gc_start(&b, NULL, 0, msg, sizeof(msg));
	if (rc == 0) {
		gc_close(&b);
		printf("SKIPPED: a %s device is present, the no-device path cannot be exercised\n", name);
		cr_skip_test();
	}
	cr_assert_eq(rc, PLUME_ERR_NODEVICE, "create gave %d: %s", rc, msg);
	cr_assert(strncmp(msg, name, strlen(name)) == 0 && strstr(msg, "no device"),
		  "message should name the backend and say no device: \"%s\"", msg);
	cr_assert_null(strchr(msg, '\n'), "message is one line: \"%s\"", msg);
	gc_close(&b);
}

Test(gpu, hip_create_without_device_is_nodevice_with_one_line)
{
	no_device_is_one_clean_line("hip");
}

Test(gpu, cuda_create_without_device_is_nodevice_with_one_line)
{
	no_device_is_one_clean_line("cuda");
}

Test(gpu, every_weight_type_matmul_matches_cpu_dequantization)
{
	if (!cuda_device_present())
		cr_skip_test();
	rep[0] = '\0';
	cr_assert_eq(gc_check_matmul_types(rep, sizeof(rep)), 0, "%s", rep);
	printf("%s", rep);
}

Test(gpu, forward_matches_cpu_backend_on_tiny_models)
{
	const uint32_t types[] = {PLUME_DTYPE_F32, PLUME_DTYPE_F16, PLUME_DTYPE_Q8_0,
				  PLUME_DTYPE_Q4_1};

	if (!cuda_device_present())
		cr_skip_test();
	rep[0] = '\0';
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		cr_expect_eq(gc_check_forward(types[i], rep, sizeof(rep)), 0, "%s", rep);
	printf("%s", rep);
}

Test(gpu, default_model_argmax_matches_llama_cpp_where_it_is_decisive)
{
	const char *dir = getenv("PLUME_MODEL_DIR"), *home = getenv("HOME");
	char path[4096], golden[4096];
	FILE *f;

	if (!cuda_device_present())
		cr_skip_test();
	if (dir)
		snprintf(path, sizeof(path), "%s/SmolLM2-135M-Instruct.Q4_1.gguf", dir);
	else
		snprintf(path, sizeof(path), "%s/.cache/plume/models/SmolLM2-135M-Instruct.Q4_1.gguf",
			 home ? home : "");
	f = fopen(path, "rb");
	if (!f) {
		printf("SKIPPED: default model absent (%s)\n", path);
		cr_skip_test();
	}
	fclose(f);
	rep[0] = '\0';
	snprintf(golden, sizeof(golden), "%s/tests/data/golden/smollm2_q4_1.json",
		 getenv("PLUME_SOURCE_DIR") ? getenv("PLUME_SOURCE_DIR") : ".");
	cr_assert_eq(gc_check_golden(path, golden, rep, sizeof(rep)), 0, "%s", rep);
	printf("%s", rep);
}

/* Gemma 3 (post-norms, GELU, embedding scale, pre-scaled queries, sliding
 * window with per-layer RoPE bases, Q4_K/Q5_0/Q6_K/Q8_0 weights): the GPU
 * forward against the CPU backend's, prefill then greedy decode. */
Test(gpu, gemma3_forward_matches_cpu_backend)
{
	const char *dir = getenv("PLUME_MODEL_DIR"), *home = getenv("HOME");
	char path[4096];
	FILE *f;

	if (!cuda_device_present())
		cr_skip_test();
	if (dir)
		snprintf(path, sizeof(path), "%s/gemma-3-270m-q4_k_m.gguf", dir);
	else
		snprintf(path, sizeof(path), "%s/.cache/plume/models/gemma-3-270m-q4_k_m.gguf",
			 home ? home : "");
	f = fopen(path, "rb");
	if (!f) {
		printf("SKIPPED: Gemma 3 270M absent (%s; scripts/fetch-model gemma3-270m)\n", path);
		cr_skip_test();
	}
	fclose(f);
	rep[0] = '\0';
	cr_expect_eq(gc_check_forward_file(path, 24, rep, sizeof(rep)), 0, "%s", rep);
	printf("%s", rep);
}
