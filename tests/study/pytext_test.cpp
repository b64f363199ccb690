#include "knowscope/study/pytext.h"

#include <gtest/gtest.h>

#include <cmath>

#include "study_fixture.h"

namespace knowscope::study {
namespace {

TEST(PyText, FullProcessLowerStripMatchPython) {
  auto j = test::study_fixture("fuzz.json");
  ASSERT_GT(j["strings"].size(), 50u);
  for (const auto& c : j["strings"]) {
    std::string s = c["s"];
    std::u32string u = utf8_to_u32(s);
    EXPECT_EQ(u32_to_utf8(fuzz_full_process(u)), c["full_process"].get<std::string>()) << s;
    EXPECT_EQ(u32_to_utf8(py_lower(u)), c["lower"].get<std::string>()) << s;
    EXPECT_EQ(u32_to_utf8(py_strip(u)), c["strip"].get<std::string>()) << s;
  }
}

TEST(PyText, FloatMatchesPython) {
  auto j = test::study_fixture("fuzz.json");
  for (const auto& c : j["floats"]) {
    std::string s = c["s"];
    auto v = py_float(utf8_to_u32(s));
    if (c["value"].is_null()) {
      EXPECT_FALSE(v.has_value()) << s;
      continue;
    }
    ASSERT_TRUE(v.has_value()) << s;
    std::string want = c["value"];
    if (want == "nan") {
      EXPECT_TRUE(std::isnan(*v)) << s;
    } else if (want == "inf" || want == "-inf") {
      EXPECT_TRUE(std::isinf(*v) && ((*v < 0) == (want[0] == '-'))) << s;
    } else {
      EXPECT_EQ(*v, std::stod(want)) << s;
    }
  }
}

TEST(PyText, Utf8RoundTripAndReplacement) {
  std::string text = "Zürich 東京 😀";
  EXPECT_EQ(u32_to_utf8(utf8_to_u32(text)), text);
  // Python: b"a\xe2\x82b\xffc\xf0\x9f".decode("utf-8", "replace") == "a\ufffdb\ufffdc\ufffd"
  EXPECT_EQ(utf8_to_u32("a\xe2\x82"
                        "b\xff"
                        "c\xf0\x9f"),
            U"a\uFFFDb\uFFFDc\uFFFD");
  // overlong and surrogate encodings are invalid: one U+FFFD per byte (maximal subparts of 1)
  EXPECT_EQ(utf8_to_u32("\xc0\xaf"), U"\uFFFD\uFFFD");
  EXPECT_EQ(utf8_to_u32("\xed\xa0\x80"), U"\uFFFD\uFFFD\uFFFD");
}

TEST(PyText, DecimalDigits) {
  EXPECT_EQ(py_decimal(U'7'), 7);
  EXPECT_EQ(py_decimal(U'\u0663'), 3);   // ARABIC-INDIC DIGIT THREE
  EXPECT_EQ(py_decimal(U'\u096F'), 9);   // DEVANAGARI DIGIT NINE
  EXPECT_EQ(py_decimal(U'\u00B2'), -1);  // superscript two is not Nd
  EXPECT_EQ(py_decimal(U'x'), -1);
}

}  // namespace
}  // namespace knowscope::study
