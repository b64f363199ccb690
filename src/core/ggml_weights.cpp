// Weight rows decoded to the integer codes and factors ggml's kernels multiply (ggml_lanes.h).
// The block layouts are ggml's (core/quant_blocks.h).
#include <string>

#include "core/ggml_lanes.h"
#include "core/quant_blocks.h"
#include "knowscope/core/error.h"

namespace knowscope::ggml_numerics {

using quant::QK;
using quant::QK_K;

static_assert(quant::q4_k::d == quant::q5_k::d && quant::q4_k::dmin == quant::q5_k::dmin &&
              quant::q4_k::scales == quant::q5_k::scales);

void decode_row(DType t, const uint8_t* row, int64_t n, WeightRow& w) {
  w.q.resize(size_t(n));
  switch (t) {
    case DType::Q8_0: {
      const int64_t nb = n / QK;
      w.d.resize(size_t(nb));
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * quant::q8_0::bytes;
        w.d[size_t(b)] = quant::load_f16(blk + quant::q8_0::d);
        std::memcpy(w.q.data() + b * QK, blk + quant::q8_0::qs, QK);
      }
      return;
    }
    case DType::Q4_0: {
      const int64_t nb = n / QK;
      w.d.resize(size_t(nb));
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * quant::q4_0::bytes;
        w.d[size_t(b)] = quant::load_f16(blk + quant::q4_0::d);
        const uint8_t* qs = blk + quant::q4_0::qs;
        int8_t* q = w.q.data() + b * QK;
        for (int j = 0; j < 16; ++j) {
          q[j] = int8_t((qs[j] & 0xF) - 8);
          q[j + 16] = int8_t((qs[j] >> 4) - 8);
        }
      }
      return;
    }
    case DType::Q5_0: {
      const int64_t nb = n / QK;
      w.d.resize(size_t(nb));
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * quant::q5_0::bytes;
        w.d[size_t(b)] = quant::load_f16(blk + quant::q5_0::d);
        const uint32_t qh = quant::load_u32(blk + quant::q5_0::qh);
        const uint8_t* qs = blk + quant::q5_0::qs;
        int8_t* q = w.q.data() + b * QK;
        for (int j = 0; j < 16; ++j) {
          q[j] = int8_t(((qs[j] & 0xF) | (((qh >> j) & 1u) << 4)) - 16);
          q[j + 16] = int8_t(((qs[j] >> 4) | (((qh >> (j + 16)) & 1u) << 4)) - 16);
        }
      }
      return;
    }
    case DType::Q4_1:
    case DType::Q5_1: {  // unsigned codes, scale d and min m per block
      const bool five = t == DType::Q5_1;
      const int64_t nb = n / QK;
      const int bytes = five ? quant::q5_1::bytes : quant::q4_1::bytes;
      w.d.resize(size_t(nb));
      w.dmin.resize(size_t(nb));
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * bytes;
        w.d[size_t(b)] = quant::load_f16(blk + (five ? quant::q5_1::d : quant::q4_1::d));
        w.dmin[size_t(b)] = quant::load_f16(blk + (five ? quant::q5_1::m : quant::q4_1::m));
        const uint32_t qh = five ? quant::load_u32(blk + quant::q5_1::qh) : 0;
        const uint8_t* qs = blk + (five ? quant::q5_1::qs : quant::q4_1::qs);
        int8_t* q = w.q.data() + b * QK;
        for (int j = 0; j < 16; ++j) {
          q[j] = int8_t((qs[j] & 0xF) | (((qh >> j) & 1u) << 4));
          q[j + 16] = int8_t((qs[j] >> 4) | (((qh >> (j + 16)) & 1u) << 4));
        }
      }
      return;
    }
    case DType::Q4_K:
    case DType::Q5_K: {  // codes 0..15 / 0..31, eight 6-bit scales and mins per super-block
      const bool five = t == DType::Q5_K;
      const int64_t nb = n / QK_K;
      const int bytes = five ? quant::q5_k::bytes : quant::q4_k::bytes;
      w.d.resize(size_t(nb));
      w.dmin.resize(size_t(nb));
      w.sc.resize(size_t(nb * 8));
      w.mn.resize(size_t(nb * 8));
      for (int64_t b = 0; b < nb; ++b) {
        // Q4_K and Q5_K share d, dmin and the scales at the same offsets.
        const uint8_t* blk = row + b * bytes;
        w.d[size_t(b)] = quant::load_f16(blk + quant::q4_k::d);
        w.dmin[size_t(b)] = quant::load_f16(blk + quant::q4_k::dmin);
        uint8_t sc[8], mn[8];
        quant::k4_scales_mins(blk + quant::q4_k::scales, sc, mn);
        for (int k = 0; k < 8; ++k) {
          w.sc[size_t(b * 8 + k)] = sc[k];
          w.mn[size_t(b * 8 + k)] = mn[k];
        }
        const uint8_t* qs = blk + (five ? quant::q5_k::qs : quant::q4_k::qs);
        const uint8_t* qh = blk + quant::q5_k::qh;  // Q5_K only
        int8_t* q = w.q.data() + b * QK_K;
        for (int j = 0; j < 4; ++j)  // 64 elements: low nibbles, then high; Q5_K: qh bits 2j, 2j+1
          for (int l = 0; l < 32; ++l) {
            const int hi0 = five ? ((qh[l] >> (2 * j)) & 1) << 4 : 0;
            const int hi1 = five ? ((qh[l] >> (2 * j + 1)) & 1) << 4 : 0;
            q[64 * j + l] = int8_t((qs[32 * j + l] & 0xF) | hi0);
            q[64 * j + 32 + l] = int8_t((qs[32 * j + l] >> 4) | hi1);
          }
      }
      w.scaled.resize(size_t(n));
      for (int64_t e = 0; e < n; ++e)
        w.scaled[size_t(e)] = int16_t(w.sc[size_t(e / 32)] * w.q[size_t(e)]);
      return;
    }
    case DType::Q2_K: {  // codes 0..3, a 4-bit scale and a 4-bit min per 16 elements
      const int64_t nb = n / QK_K;
      w.d.resize(size_t(nb));
      w.dmin.resize(size_t(nb));
      w.sc.resize(size_t(nb * 16));
      w.mn.resize(size_t(nb * 16));
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * quant::q2_k::bytes;
        w.d[size_t(b)] = quant::load_f16(blk + quant::q2_k::d);
        w.dmin[size_t(b)] = quant::load_f16(blk + quant::q2_k::dmin);
        for (int k = 0; k < 16; ++k) {
          w.sc[size_t(b * 16 + k)] = blk[quant::q2_k::scales + k] & 0xF;
          w.mn[size_t(b * 16 + k)] = blk[quant::q2_k::scales + k] >> 4;
        }
        const uint8_t* qs = blk + quant::q2_k::qs;
        int8_t* q = w.q.data() + b * QK_K;
        for (int h = 0; h < 2; ++h)
          for (int j = 0; j < 4; ++j)
            for (int l = 0; l < 32; ++l)
              q[128 * h + 32 * j + l] = int8_t((qs[32 * h + l] >> (2 * j)) & 3);
      }
      w.scaled.resize(size_t(n));
      for (int64_t e = 0; e < n; ++e)
        w.scaled[size_t(e)] = int16_t(w.sc[size_t(e / 16)] * w.q[size_t(e)]);
      return;
    }
    case DType::Q3_K: {  // signed codes -4..3 (2 low bits, the high bit clear means -4)
      const int64_t nb = n / QK_K;
      w.d.resize(size_t(nb));
      w.sc.resize(size_t(nb * 16));
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * quant::q3_k::bytes;
        w.d[size_t(b)] = quant::load_f16(blk + quant::q3_k::d);
        for (int k = 0; k < 16; ++k)
          w.sc[size_t(b * 16 + k)] = quant::q3k_scale(blk + quant::q3_k::scales, k);
        const uint8_t* qs = blk + quant::q3_k::qs;
        const uint8_t* hm = blk + quant::q3_k::hmask;
        int8_t* q = w.q.data() + b * QK_K;
        for (int h = 0; h < 2; ++h)
          for (int j = 0; j < 4; ++j)
            for (int l = 0; l < 32; ++l)
              q[128 * h + 32 * j + l] =
                  int8_t(((qs[32 * h + l] >> (2 * j)) & 3) - ((hm[l] >> (4 * h + j)) & 1 ? 0 : 4));
      }
      w.scaled.resize(size_t(n));
      for (int64_t e = 0; e < n; ++e)
        w.scaled[size_t(e)] = int16_t(w.sc[size_t(e / 16)] * w.q[size_t(e)]);
      return;
    }
    case DType::Q6_K: {
      const int64_t nb = n / QK_K;
      w.d.resize(size_t(nb));
      w.sc.resize(size_t(nb * 16));
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * quant::q6_k::bytes;
        w.d[size_t(b)] = quant::load_f16(blk + quant::q6_k::d);
        const auto* scales = reinterpret_cast<const int8_t*>(blk + quant::q6_k::scales);
        for (int s = 0; s < 16; ++s) w.sc[size_t(b * 16 + s)] = scales[s];
        int8_t* q = w.q.data() + b * QK_K;
        for (int h = 0; h < 2; ++h) {
          const uint8_t* ql = blk + quant::q6_k::ql + 64 * h;
          const uint8_t* qh = blk + quant::q6_k::qh + 32 * h;
          int8_t* qq = q + 128 * h;
          for (int l = 0; l < 32; ++l) {
            qq[l] = int8_t((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4));
            qq[l + 32] = int8_t((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
            qq[l + 64] = int8_t((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
            qq[l + 96] = int8_t((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
          }
        }
      }
      w.scaled.resize(size_t(n));
      w.scaled_centered.resize(size_t(n));
      for (int64_t e = 0; e < n; ++e) {
        const int32_t sc = w.sc[size_t(e / 16)], u = w.q[size_t(e)];
        w.scaled[size_t(e)] = int16_t(sc * u);
        w.scaled_centered[size_t(e)] = int16_t(sc * (u - 32));
      }
      return;
    }
    default:
      fail("ggml kernel", "weight type", std::string(dtype_info(t).name) + " not reproduced");
  }
}

}  // namespace knowscope::ggml_numerics
