#include "knowscope/model/registry.h"

#include <gtest/gtest.h>

#include "knowscope/core/error.h"

namespace knowscope {

TEST(Registry, KnowsTheDefaultModel) {
  ASSERT_FALSE(known_models().empty());
  EXPECT_EQ(known_models()[0].name, "gemma-3-270m");
  EXPECT_EQ(known_models()[0].sha256.size(), 64u);
}

TEST(Registry, UnknownNameListsKnownOnes) {
  try {
    resolve_model_path("no-such-model-xyz");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gemma-3-270m"), std::string::npos) << e.what();
  }
}

}  // namespace knowscope
