/* Element conversions: IEEE half and bfloat16 to and from float, exact
 * (round to nearest even), in portable C. */
#include <string.h>

#include "kernels.h"

static inline uint32_t f2u(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

static inline float u2f(uint32_t u)
{
	float f;

	memcpy(&f, &u, 4);
	return f;
}

float cpu_fp16_to_fp32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1F, man = h & 0x3FF;

	if (exp == 0) {
		/* zero or subnormal: man * 2^-24 */
		float v = (float)man * 0x1p-24f;

		return sign ? -v : v;
	}
	if (exp == 31)
		return u2f(sign | 0x7F800000u | (man << 13));
	return u2f(sign | ((exp + 112) << 23) | (man << 13));
}

uint16_t cpu_fp32_to_fp16(float f)
{
	uint32_t x = f2u(f), sign = (x >> 16) & 0x8000, ax = x & 0x7FFFFFFFu;

	if (ax >= 0x7F800000u) /* inf or nan */
		return (uint16_t)(sign | 0x7C00 | (ax > 0x7F800000u ? 0x200 | ((ax >> 13) & 0x3FF) : 0));
	if (ax >= 0x477FF000u) /* rounds to >= 65520: inf */
		return (uint16_t)(sign | 0x7C00);
	if (ax < 0x38800000u) {
		/* result is subnormal or zero: add 0.5 (as float) to align and round */
		float v = u2f(ax) + 0.5f;

		return (uint16_t)(sign | (f2u(v) - f2u(0.5f)));
	}
	{
		uint32_t mant_odd = (ax >> 13) & 1;

		ax += 0xC8000FFFu + mant_odd; /* rebias exponent (-112 << 23) and round */
		return (uint16_t)(sign | (ax >> 13));
	}
}

float cpu_bf16_to_fp32(uint16_t h)
{
	return u2f((uint32_t)h << 16);
}

uint16_t cpu_fp32_to_bf16(float f)
{
	uint32_t u = f2u(f);

	if ((u & 0x7FFFFFFFu) > 0x7F800000u)
		return (uint16_t)((u >> 16) | 64); /* quiet nan */
	return (uint16_t)((u + (0x7FFF + ((u >> 16) & 1))) >> 16);
}
