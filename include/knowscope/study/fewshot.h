// A question-answering page for base models that lets them "refuse": demonstrations answer
// questions about real, famous entities with the fact and questions about invented entities with
// "I don't know.", then the real question follows. The demonstrations are data
// (src/study/fewshot.cpp); tools/build_entities.py keeps their entities out of the entity pool.
//
//   Answer each question with the fact alone. ... "I don't know."
//
//   Q: What is the place of birth for the player 'Michael Jordan'?
//   A: Brooklyn
//   ...
//   Q: {question}
//   A:
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace knowscope::study {

struct FewshotDemo {
  std::string_view entity, entity_type, prompt_type;
  std::string_view answer;  // the fact, or kFewshotRefusal for an invented entity
  bool real;
};

inline constexpr std::string_view kFewshotRefusal = "I don't know.";

std::span<const FewshotDemo> fewshot_demonstrations();
std::string fewshot_header();                           // instruction and demonstrations
std::string fewshot_prompt(std::string_view question);  // header + "Q: {question}\nA:"

// The part of a completion that answers: leading blanks skipped, then up to the first newline or
// "Q:" (the model tends to go on with the next question). Check correctness on this; stop
// generation at a newline where the engine allows.
std::string_view fewshot_answer(std::string_view completion);

}  // namespace knowscope::study
