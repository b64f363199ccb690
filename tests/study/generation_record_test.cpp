#include "knowscope/study/generation_record.h"

#include <gtest/gtest.h>

#include <fstream>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "test_paths.h"

namespace knowscope::study {
namespace {

GenerationRecord sample() {
  Entity e{"12 Angry Men", "movie", {{"directors", "Sidney Lumet"}}, std::nullopt};
  GenerationRecord r = make_record(build_prompt(e, "movie_directors", PromptFormat::chat));
  r.greedy_completion = " Sidney Lumet\n\"quoted\"";
  r.sampled_completions = {" Sidney Lumet", " I'm sorry", " 😀"};
  r.greedy_label = CompletionLabel::correct;
  r.sampled_labels = {CompletionLabel::correct, CompletionLabel::refusal, CompletionLabel::error};
  r.label = CompletionLabel::correct;
  return r;
}

void expect_same(const GenerationRecord& a, const GenerationRecord& b) {
  EXPECT_EQ(a.entity, b.entity);
  EXPECT_EQ(a.entity_type, b.entity_type);
  EXPECT_EQ(a.prompt_type, b.prompt_type);
  EXPECT_EQ(a.correct_answer, b.correct_answer);
  EXPECT_EQ(a.prompt, b.prompt);
  EXPECT_EQ(a.question, b.question);
  EXPECT_EQ(a.format, b.format);
  EXPECT_EQ(a.greedy_completion, b.greedy_completion);
  EXPECT_EQ(a.sampled_completions, b.sampled_completions);
  EXPECT_EQ(a.greedy_label, b.greedy_label);
  EXPECT_EQ(a.sampled_labels, b.sampled_labels);
  EXPECT_EQ(a.label, b.label);
}

TEST(GenerationRecord, JsonRoundTrip) {
  auto r = sample();
  EXPECT_EQ(r.question.value_or(""), "Who is the director of the movie '12 Angry Men'?");
  std::string line = record_to_json(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  expect_same(record_from_json(line, "x"), r);
  // the authors' files: no prompt_format, question null, labels absent before generation
  auto old = record_from_json(
      R"({"entity": "A", "entity_type": "city", "prompt_type": "city_country", )"
      R"("correct_answer": "France", "prompt": "p", "question": null, )"
      R"("greedy_completion": null, "string_matching_sampled_labels": [], "label": null})",
      "authors");
  EXPECT_FALSE(old.format.has_value());
  EXPECT_FALSE(old.question.has_value());
  EXPECT_TRUE(old.sampled_completions.empty());
}

TEST(GenerationRecord, BadFieldsAreNamed) {
  try {
    record_from_json(
        R"({"entity": "A", "entity_type": "city", "prompt_type": "x", "correct_answer": "y", )"
        R"("prompt": "p", "string_matching_sampled_labels": ["correct", "maybe"]})",
        "g.jsonl: line 3");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "g.jsonl: line 3: string_matching_sampled_labels[1]: 'maybe' is not one of "
              "correct, refusal, error");
  }
  EXPECT_THROW(record_from_json(R"({"entity": 3})", "x"), Error);
}

TEST(GenerationRecord, AppendAndResumeAfterACrash) {
  std::string path = test::temp_dir() + "/gen.jsonl";
  EXPECT_TRUE(read_generation_log(path).records.empty());  // no file yet
  auto r = sample();
  append_generation_records(path, std::vector<GenerationRecord>{r, r});
  {
    std::ofstream f(path, std::ios::app);
    f << "{\"entity\": \"half";  // a crash mid-line
  }
  auto log = read_generation_log(path);
  EXPECT_EQ(log.records.size(), 2u);
  EXPECT_EQ(log.partial_tail_bytes, 16u);  // {"entity": "half
  log = read_generation_log(path, /*repair=*/true);
  EXPECT_EQ(log.partial_tail_bytes, 16u);  // {"entity": "half
  append_generation_records(path, std::vector<GenerationRecord>{r});
  log = read_generation_log(path);
  ASSERT_EQ(log.records.size(), 3u);
  EXPECT_EQ(log.partial_tail_bytes, 0u);
  expect_same(log.records[2], r);
  EXPECT_EQ(record_key(r), "movie\t12 Angry Men\tmovie_directors");
  // a broken complete line is an error, not silently skipped
  write_file_atomic(path, "{\"entity\": 1}\n");
  EXPECT_THROW(read_generation_log(path), Error);
}

}  // namespace
}  // namespace knowscope::study
