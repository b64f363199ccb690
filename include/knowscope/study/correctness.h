// The paper's answer-correctness functions (spec 1.3; authors' check_correctness_wikidata.py),
// with Python's string semantics. Every function takes the model's generation and the gold
// attribute value as UTF-8. Where the Python code would raise on a malformed gold value
// (float("n/a"), a "Point(...)" without two coordinates), these throw knowscope::Error naming
// the field "correct_answer"; nothing a model generates makes them throw.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace knowscope::study {

enum class CheckKind { name, number, number_in_list, genres_list, geo, substring };

// One correctness function with its parameters, e.g. {number, tolerance 2} or
// {number, tolerance 0, pct 0.1}.
struct CorrectnessFn {
  CheckKind kind = CheckKind::name;
  int64_t tolerance = 0;
  std::optional<double> pct;  // number only: |n - answer| <= pct * answer instead of tolerance
};

// check_name_correctness: generation lowercased with , . - turned to spaces; the answer
// lowercased ("united states of america" and "people's republic of china" get aliases); correct
// when thefuzz token_set_ratio(piece, generation) > 90 for some comma-separated piece of the
// answer (pieces keep their leading spaces).
bool check_name(std::string_view generation, std::string_view answer);

// number_match: commas deleted from the generation, every \d+ run read as an integer (so "-5"
// gives 5 and "3.14" gives 3 and 14); correct if one is within `tolerance` of int(float(answer)),
// or within pct * int(float(answer)) when pct is set.
bool number_match(std::string_view generation, std::string_view answer, int64_t tolerance,
                  std::optional<double> pct = std::nullopt);

// number_match_in_list: commas kept in the generation; the answer is comma-split and each piece
// read with int(float(piece)); correct if any \d+ of the generation is within tolerance of any.
bool number_match_in_list(std::string_view generation, std::string_view answer, int64_t tolerance);

// string_match_in_list_genres: the lowercased, stripped generation contains one comma-separated
// piece of the lowercased answer with " film" deleted (later pieces keep their leading space).
bool genres_list_match(std::string_view generation, std::string_view answer);

// geo_location_match: answer "Point(lon lat)"; each -?\d+\.?\d* of the generation as
// abs(int(float(.))) adds one to a counter per coordinate within `tolerance` of abs(int(coord));
// correct as soon as the counter equals exactly 2 after a number.
bool geo_location_match(std::string_view generation, std::string_view answer,
                        int64_t tolerance = 1);

// string_match: the lowercased answer is a substring of the lowercased, stripped generation.
bool substring_match(std::string_view generation, std::string_view answer);

bool is_correct(const CorrectnessFn& fn, std::string_view answer, std::string_view generation);

}  // namespace knowscope::study
