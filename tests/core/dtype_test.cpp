#include "knowscope/core/dtype.h"

#include <gtest/gtest.h>

#include "knowscope/core/error.h"
#include "knowscope/core/half.h"

namespace knowscope {

TEST(DType, BlockSizesMatchGgml) {
  EXPECT_EQ(dtype_info(DType::Q4_K).block_bytes, 144u);
  EXPECT_EQ(dtype_info(DType::Q6_K).block_bytes, 210u);
  EXPECT_EQ(dtype_info(DType::Q8_0).block_bytes, 34u);
  EXPECT_EQ(dtype_info(DType::Q5_K).block_bytes, 176u);
  EXPECT_EQ(dtype_info(DType::Q3_K).block_bytes, 110u);
  EXPECT_EQ(dtype_info(DType::Q2_K).block_bytes, 84u);
  EXPECT_FALSE(dtype_info(uint32_t(4)).has_value());  // Q4_2 was removed from ggml
  EXPECT_EQ(dtype_row_bytes(DType::Q4_K, 512), 288u);
  EXPECT_THROW(dtype_row_bytes(DType::Q4_K, 100), Error);
  EXPECT_EQ(*dtype_from_name("q6_k"), DType::Q6_K);
}

TEST(Half, RoundTrips) {
  EXPECT_EQ(f16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(f32_to_f16(-2.0f), 0xc000);
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(f32_to_bf16(1.00390625f), 0x3f80);  // ties to even
  EXPECT_EQ(f32_to_bf16(1.01171875f), 0x3f82);
}

}  // namespace knowscope
