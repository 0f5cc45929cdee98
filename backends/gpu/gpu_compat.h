/* Portability layer of the GPU kernel tree: the CUDA runtime names the
 * backend uses, mapped to HIP when built by hipcc (PLUME_GPU_HIP), plus the
 * status-checking macro and a warp-width-generic shuffle. Kernels never
 * assume 32 lanes: they read warpSize (64 on gfx90a, 32 on NVIDIA and RDNA). */
#ifndef PLUME_GPU_COMPAT_H
#define PLUME_GPU_COMPAT_H

#if defined(PLUME_GPU_HIP)
#include <hip/hip_fp16.h>
#include <hip/hip_runtime.h>
#define GPU_NAME "hip"
#define gpuError_t hipError_t
#define gpuSuccess hipSuccess
#define gpuGetErrorString hipGetErrorString
#define gpuGetLastError hipGetLastError
#define gpuGetDeviceCount hipGetDeviceCount
#define gpuSetDevice hipSetDevice
#define gpuDeviceProp hipDeviceProp_t
#define gpuGetDeviceProperties hipGetDeviceProperties
#define gpuMemGetInfo hipMemGetInfo
#define gpuMalloc hipMalloc
#define gpuFree hipFree
#define gpuMemcpy hipMemcpy
#define gpuMemcpyAsync hipMemcpyAsync
#define gpuMemsetAsync hipMemsetAsync
#define gpuMemcpyHostToDevice hipMemcpyHostToDevice
#define gpuMemcpyDeviceToHost hipMemcpyDeviceToHost
#define gpuMemcpyDeviceToDevice hipMemcpyDeviceToDevice
#define gpuStream_t hipStream_t
#define gpuStreamCreate hipStreamCreate
#define gpuStreamDestroy hipStreamDestroy
#define gpuStreamSynchronize hipStreamSynchronize
#define gpuEvent_t hipEvent_t
#define gpuGraph_t hipGraph_t
#define gpuGraphExec_t hipGraphExec_t
#define gpuStreamBeginCapture hipStreamBeginCapture
#define gpuStreamEndCapture hipStreamEndCapture
#define gpuStreamCaptureModeRelaxed hipStreamCaptureModeRelaxed
#define gpuGraphInstantiate(e, g) hipGraphInstantiate((e), (g), NULL, NULL, 0)
#define gpuGraphLaunch hipGraphLaunch
#define gpuGraphExecDestroy hipGraphExecDestroy
#define gpuGraphDestroy hipGraphDestroy
#define GPU_SHFL_XOR(v, m) __shfl_xor((v), (m))
#else
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#define GPU_NAME "cuda"
#define gpuError_t cudaError_t
#define gpuSuccess cudaSuccess
#define gpuGetErrorString cudaGetErrorString
#define gpuGetLastError cudaGetLastError
#define gpuGetDeviceCount cudaGetDeviceCount
#define gpuSetDevice cudaSetDevice
#define gpuDeviceProp cudaDeviceProp
#define gpuGetDeviceProperties cudaGetDeviceProperties
#define gpuMemGetInfo cudaMemGetInfo
#define gpuMalloc cudaMalloc
#define gpuFree cudaFree
#define gpuMemcpy cudaMemcpy
#define gpuMemcpyAsync cudaMemcpyAsync
#define gpuMemsetAsync cudaMemsetAsync
#define gpuMemcpyHostToDevice cudaMemcpyHostToDevice
#define gpuMemcpyDeviceToHost cudaMemcpyDeviceToHost
#define gpuMemcpyDeviceToDevice cudaMemcpyDeviceToDevice
#define gpuStream_t cudaStream_t
#define gpuStreamCreate cudaStreamCreate
#define gpuStreamDestroy cudaStreamDestroy
#define gpuStreamSynchronize cudaStreamSynchronize
#define gpuEvent_t cudaEvent_t
#define gpuGraph_t cudaGraph_t
#define gpuGraphExec_t cudaGraphExec_t
#define gpuStreamBeginCapture cudaStreamBeginCapture
#define gpuStreamEndCapture cudaStreamEndCapture
#define gpuStreamCaptureModeRelaxed cudaStreamCaptureModeRelaxed
#define gpuGraphInstantiate(e, g) cudaGraphInstantiate((e), (g), 0)
#define gpuGraphLaunch cudaGraphLaunch
#define gpuGraphExecDestroy cudaGraphExecDestroy
#define gpuGraphDestroy cudaGraphDestroy
#define GPU_SHFL_XOR(v, m) __shfl_xor_sync(0xffffffffu, (v), (m))
#endif

/* c + the dot product of a's and b's four signed bytes: __dp4a on CUDA
 * (sm_61+), portable byte multiply-adds on HIP. */
static __device__ __forceinline__ int gpu_dp4a(int a, int b, int c)
{
#if defined(PLUME_GPU_HIP)
#pragma unroll
	for (int j = 0; j < 4; j++)
		c += (int)(int8_t)(a >> (8 * j)) * (int)(int8_t)(b >> (8 * j));
	return c;
#else
	return __dp4a(a, b, c);
#endif
}

/* Sum over the lanes of one warp (any warpSize); every lane gets the sum. */
static __device__ __forceinline__ float gpu_warp_sum(float v)
{
	for (int o = warpSize / 2; o > 0; o >>= 1)
		v += GPU_SHFL_XOR(v, o);
	return v;
}

static __device__ __forceinline__ float gpu_warp_max(float v)
{
	for (int o = warpSize / 2; o > 0; o >>= 1)
		v = fmaxf(v, GPU_SHFL_XOR(v, o));
	return v;
}

/* Sum over a whole thread block; `red` is shared scratch of >= 32 floats
 * (1024 threads / 32 lanes). Every thread gets the sum. */
static __device__ __forceinline__ float gpu_block_sum(float v, float *red)
{
	int lane = threadIdx.x % warpSize, w = threadIdx.x / warpSize;
	int nw = (blockDim.x + warpSize - 1) / warpSize;

	v = gpu_warp_sum(v);
	__syncthreads();
	if (lane == 0)
		red[w] = v;
	__syncthreads();
	v = 0.0f;
	for (int i = 0; i < nw; i++)
		v += red[i];
	return v;
}

static __device__ __forceinline__ float gpu_block_max(float v, float *red)
{
	int lane = threadIdx.x % warpSize, w = threadIdx.x / warpSize;
	int nw = (blockDim.x + warpSize - 1) / warpSize;

	v = gpu_warp_max(v);
	__syncthreads();
	if (lane == 0)
		red[w] = v;
	__syncthreads();
	v = -INFINITY;
	for (int i = 0; i < nw; i++)
		v = fmaxf(v, red[i]);
	return v;
}

#endif
