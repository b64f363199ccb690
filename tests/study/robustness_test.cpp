// Malformed input never crashes: random bytes through every parser and check (run under ASan in
// CI).
#include <gtest/gtest.h>

#include <random>

#include "knowscope/core/error.h"
#include "knowscope/study/correctness.h"
#include "knowscope/study/entities.h"
#include "knowscope/study/generation_record.h"
#include "knowscope/study/pytext.h"
#include "knowscope/study/refusal.h"

namespace knowscope::study {
namespace {

std::string random_text(std::mt19937& rng) {
  static const std::string pieces[] = {
      "Point(",   ")",          " ",    ",",     ".", "-",  "1",  "99", "\xc3\xa9",
      "\xce\xa3", "\xe2\x80",   "\xff", "{",     "}", "[",  "]",  "\"", ":",
      "entity",   "attributes", "null", "1e400", "_", "\n", "I'm"};
  std::uniform_int_distribution<int> len(0, 24), pick(0, std::size(pieces) - 1), byte(0, 255);
  std::string s;
  for (int n = len(rng); n > 0; --n) {
    if (rng() % 4 == 0) {
      s.push_back(static_cast<char>(byte(rng)));
    } else {
      s += pieces[pick(rng)];
    }
  }
  return s;
}

TEST(Robustness, RandomInputsNeverCrash) {
  std::mt19937 rng(7);
  int thrown = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string a = random_text(rng), b = random_text(rng);
    auto u = utf8_to_u32(a);
    (void)u32_to_utf8(u);
    (void)py_float(u);
    (void)fuzz_full_process(u);
    (void)is_refusal(a);
    (void)is_refusal_fewshot(a);
    for (auto kind : {CheckKind::name, CheckKind::number, CheckKind::number_in_list,
                      CheckKind::genres_list, CheckKind::geo, CheckKind::substring}) {
      try {
        (void)is_correct(CorrectnessFn{kind, 2, std::nullopt}, a, b);
      } catch (const Error&) {
        ++thrown;  // a malformed gold value, reported as the Python code would fail
      }
    }
    try {
      (void)parse_entities(a, "fuzz");
    } catch (const Error&) {
    }
    try {
      (void)record_from_json(a, "fuzz");
    } catch (const Error&) {
    }
  }
  EXPECT_GT(thrown, 0);
}

}  // namespace
}  // namespace knowscope::study
