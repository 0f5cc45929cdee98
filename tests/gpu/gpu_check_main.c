/* gpu_check: the GPU checks without Criterion, for GPU machines that lack
 * it (scripts/gpu-check.sh). Usage: gpu_check [MODEL.gguf [GOLDEN.json]]. Prints one line
 * per finding; exit status 0 when every check passed, 1 otherwise, 2 when no
 * CUDA device is present. */
#include <stdio.h>
#include <stdlib.h>

#include "gpu_checks.h"
#include "plume/model.h"

static char rep[1 << 18];

int main(int argc, char **argv)
{
	const uint32_t types[] = {PLUME_DTYPE_F32, PLUME_DTYPE_F16, PLUME_DTYPE_BF16,
				  PLUME_DTYPE_Q8_0, PLUME_DTYPE_Q4_0, PLUME_DTYPE_Q4_1};
	char msg[256] = "";
	int bad = 0, n = gpu_selftest_device_count(msg, sizeof(msg));

	if (n <= 0) {
		printf("SKIPPED: no CUDA device (%s)\n", msg);
		return 2;
	}
	bad |= gc_check_matmul_types(rep, sizeof(rep));
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		bad |= gc_check_forward(types[i], rep, sizeof(rep));
	/* informational: on a 30-layer model the cpu's 8-bit activation
	 * rounding moves near-ties, so greedy runs part after a few tokens;
	 * correctness is judged against llama.cpp below */
	if (argc > 1 && gc_check_forward_file(argv[1], 32, rep, sizeof(rep)))
		printf("note: default model gpu vs cpu backend differs (see below), not counted\n");
	if (argc > 2)
		bad |= gc_check_golden(argv[1], argv[2], rep, sizeof(rep));
	printf("%s", rep);
	fflush(stdout);
	rep[0] = '\0';
	gc_bench("cuda", NULL, 128, 128, rep, sizeof(rep));
	gc_bench("cuda", NULL, 512, 32, rep, sizeof(rep));
	if (argc > 1) {
		gc_bench("cuda", argv[1], 128, 128, rep, sizeof(rep));
		gc_bench("cuda", argv[1], 512, 32, rep, sizeof(rep));
		gc_bench("cpu", argv[1], 128, 32, rep, sizeof(rep));
	}
	printf("%s", rep);
	printf("gpu_check: %s\n", bad ? "FAILED" : "all checks passed");
	return bad;
}
