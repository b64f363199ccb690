// Code point tables generated from rapidfuzz and CPython by tools/make_study_fixtures.py tables.
#pragma once

#include <cstddef>
#include <cstdint>

namespace knowscope::study::tables {

// Ranges sorted by `first`. kind 0: the code point maps to ' '; kind 1: cp + delta; kind 2:
// cp + delta at even offsets from `first`, unchanged at odd offsets (upper/lower pairs).
struct CaseRange {
  char32_t first, last;
  int32_t delta;
  uint8_t kind;
};
struct ClassRange {
  char32_t first, last;
  uint8_t value;
};

extern const CaseRange kFuzzProcess[];  // covers every code point
extern const size_t kFuzzProcessCount;
extern const CaseRange kPyLower[];  // code points not listed lowercase to themselves
extern const size_t kPyLowerCount;
extern const ClassRange kSigmaClass[];  // 1 case-ignorable, 2 cased; unlisted: neither
extern const size_t kSigmaClassCount;
extern const char32_t kPySpaces[];
extern const size_t kPySpacesCount;
extern const char32_t kDigitZeros[];
extern const size_t kDigitZerosCount;

}  // namespace knowscope::study::tables
