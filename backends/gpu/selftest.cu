/* Test entry points into the kernel tree, compiled into a static library for
 * tests/gpu only (never into the plugin): one quantized matrix product on
 * host data, so each weight type's kernel can be held to the CPU
 * dequantization without a model. */
#include <stdio.h>

#include "gpu.h"
#include "quant.cuh"

extern "C" int gpu_selftest_device_count(char *msg, size_t msg_size)
{
	int n = 0;
	gpuError_t e = gpuGetDeviceCount(&n);

	if (e != gpuSuccess) {
		snprintf(msg, msg_size, "%sGetDeviceCount: %s", GPU_NAME, gpuGetErrorString(e));
		return 0;
	}
	return n;
}

#define ST_CHECK(call)                                                                    \
	do {                                                                              \
		gpuError_t e_ = (call);                                                   \
		if (e_ != gpuSuccess) {                                                   \
			snprintf(msg, msg_size, "%s at %s:%d: %s", #call, __FILE__, __LINE__, \
				 gpuGetErrorString(e_));                                  \
			rc = -1;                                                          \
			goto out;                                                         \
		}                                                                         \
	} while (0)

/* y[T][n] = W[n][k] (GGUF type `type`, host bytes) times x[T][k]. 0 or -1. */
extern "C" int gpu_selftest_matmul(uint32_t type, const void *w, int64_t k, int64_t n,
				   const float *x, int64_t T, float *y, char *msg, size_t msg_size)
{
	size_t wb = gq_row_bytes(type, k) * (size_t)n;
	uint8_t *dw = NULL;
	float *dx = NULL, *dy = NULL;
	struct gpu_w gw;
	int rc = 0;

	ST_CHECK(gpuMalloc((void **)&dw, wb));
	ST_CHECK(gpuMalloc((void **)&dx, (size_t)(T * k) * 4));
	ST_CHECK(gpuMalloc((void **)&dy, (size_t)(T * n) * 4));
	ST_CHECK(gpuMemcpy(dw, w, wb, gpuMemcpyHostToDevice));
	ST_CHECK(gpuMemcpy(dx, x, (size_t)(T * k) * 4, gpuMemcpyHostToDevice));
	gw.d = dw;
	gw.type = type;
	gw.k = k;
	gw.n = n;
	if (gpu_matmul(&gw, dx, k, dy, n, T, 0, NULL)) {
		snprintf(msg, msg_size, "gpu_matmul refused type %u k %lld", type, (long long)k);
		rc = -1;
		goto out;
	}
	ST_CHECK(gpuMemcpy(y, dy, (size_t)(T * n) * 4, gpuMemcpyDeviceToHost));
out:
	if (dw)
		(void)gpuFree(dw);
	if (dx)
		(void)gpuFree(dx);
	if (dy)
		(void)gpuFree(dy);
	return rc;
}
