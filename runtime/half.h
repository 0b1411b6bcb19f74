/* half.h: IEEE half precision (f16) and bfloat16 to and from float32, the
 * one definition venusc (packing, dequantization) and the runtime
 * (kernels) share. It is copied into every model's build tree beside
 * runtime.h and depends on <stdint.h> and <string.h> alone.
 *
 * Conversions to the narrow types round to nearest, ties to even; f16
 * overflows to infinity and underflows through subnormals to zero; a NaN
 * stays a (quiet) NaN. Widening is exact. vn_half_bits/vn_half_from_bits:
 * a float32's bits, and back. */
#ifndef VN_HALF_H
#define VN_HALF_H
#include <stdint.h>
#include <string.h>

static inline float vn_half_from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static inline uint32_t vn_half_bits(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  return x;
}

static inline float vn_half_f16_to_f32(uint16_t h) {
  uint32_t s = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff, u;
  if (e == 0) {
    if (m == 0) u = s;
    else { /* subnormal: normalize */
      e = 127 - 15 + 1;
      while (!(m & 0x400)) { m <<= 1; e--; }
      u = s | (e << 23) | ((m & 0x3ff) << 13);
    }
  } else if (e == 31) u = s | 0x7f800000u | (m << 13);
  else u = s | ((e + 127 - 15) << 23) | (m << 13);
  return vn_half_from_bits(u);
}

static inline uint16_t vn_half_f32_to_f16(float f) {
  uint32_t x = vn_half_bits(f);
  uint32_t s = (x >> 16) & 0x8000, e = (x >> 23) & 0xff, m = x & 0x7fffff;
  if (e == 0xff) return (uint16_t)(s | 0x7c00 | (m ? 0x200 : 0));
  int ee = (int)e - 127 + 15;
  if (ee >= 31) return (uint16_t)(s | 0x7c00);
  if (ee <= 0) {
    if (ee < -10) return (uint16_t)s;
    m |= 0x800000;
    uint32_t sh = (uint32_t)(14 - ee), r = m >> sh, rem = m & ((1u << sh) - 1), half = 1u << (sh - 1);
    if (rem > half || (rem == half && (r & 1))) r++;
    return (uint16_t)(s | r);
  }
  uint32_t r = (uint32_t)ee << 10 | (m >> 13), rem = m & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) r++;
  return (uint16_t)(s | r);
}

static inline float vn_half_bf16_to_f32(uint16_t h) { return vn_half_from_bits((uint32_t)h << 16); }

static inline uint16_t vn_half_f32_to_bf16(float f) {
  uint32_t x = vn_half_bits(f);
  if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)((x >> 16) | 0x40);
  x += 0x7fff + ((x >> 16) & 1);
  return (uint16_t)(x >> 16);
}

#endif
