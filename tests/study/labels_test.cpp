#include "knowscope/study/labels.h"

#include <gtest/gtest.h>

#include <map>

#include "knowscope/core/error.h"
#include "knowscope/study/splits.h"
#include "study_fixture.h"

namespace knowscope::study {
namespace {

std::vector<GenerationRecord> fixture_records(const nlohmann::json& j) {
  std::vector<GenerationRecord> out;
  for (const auto& r : j["records"]) {
    GenerationRecord g;
    g.entity = r["entity"];
    g.entity_type = r["entity_type"];
    g.prompt_type = r["prompt_type"];
    for (const auto& l : r["string_matching_sampled_labels"]) {
      g.sampled_labels.push_back(*parse_label(l.get<std::string>()));
      g.sampled_completions.push_back("");
    }
    out.push_back(std::move(g));
  }
  return out;
}

TEST(Labels, EntityLabelsAndSplitsMatchTheAuthorsRule) {
  auto j = test::study_fixture("labels.json");
  auto records = fixture_records(j);
  auto labels = label_entities(records);
  auto splits = split_entities(labels);
  ASSERT_EQ(splits.size(), 4u);
  for (const auto& t : j["types"]) {
    std::string type = t["entity_type"];
    std::vector<std::string> known, unknown;
    for (const auto& l : labels) {
      if (l.entity_type != type) continue;
      EXPECT_EQ(l.known_attributes, t["scores"][l.entity].get<int>()) << l.entity;
      if (l.knowledge == Knowledge::known) known.push_back(l.entity);
      if (l.knowledge == Knowledge::unknown) unknown.push_back(l.entity);
    }
    EXPECT_EQ(known, t["known"].get<std::vector<std::string>>()) << type;
    EXPECT_EQ(unknown, t["unknown"].get<std::vector<std::string>>()) << type;
    const TypeSplits* s = nullptr;
    for (const auto& x : splits)
      if (x.entity_type == type) s = &x;
    ASSERT_NE(s, nullptr);
    for (auto [name, split] :
         {std::pair{"known_split", &s->known}, {"unknown_split", &s->unknown}}) {
      if (t[name].is_null()) {
        EXPECT_TRUE(split->fallback) << type << " " << name;
        continue;
      }
      EXPECT_FALSE(split->fallback);
      EXPECT_EQ(split->train, t[name]["train"].get<std::vector<std::string>>()) << type << name;
      EXPECT_EQ(split->validation, t[name]["validation"].get<std::vector<std::string>>());
      EXPECT_EQ(split->test, t[name]["test"].get<std::vector<std::string>>());
    }
  }
}

TEST(Labels, ThresholdIsAProportion) {
  EXPECT_EQ(required_correct(10, 0.3), 3);
  EXPECT_EQ(required_correct(5, 0.3), 2);
  EXPECT_EQ(required_correct(3, 0.3), 1);
  EXPECT_EQ(required_correct(1, 0.3), 1);
  EXPECT_EQ(required_correct(0, 0.3), 1);
  GenerationRecord r;
  r.sampled_completions.assign(5, "");
  r.sampled_labels = {CompletionLabel::correct, CompletionLabel::error, CompletionLabel::refusal,
                      CompletionLabel::error, CompletionLabel::error};
  EXPECT_FALSE(attribute_known(r));
  r.sampled_labels[1] = CompletionLabel::correct;
  EXPECT_TRUE(attribute_known(r));
  r.sampled_labels.clear();
  EXPECT_THROW(attribute_known(r), Error);
}

TEST(Labels, LabelRecordAppliesRefusalOverride) {
  GenerationRecord r;
  r.prompt_type = "movie_directors";
  r.correct_answer = "Steven Spielberg";
  r.format = PromptFormat::base;
  // correct and a refusal at once ("unknown"): greedy label correct, final label refusal
  r.greedy_completion = " Steven Spielberg, though his reasons are unknown";
  r.sampled_completions = {" Steven Spielberg", " I'm sorry", " George Lucas"};
  label_record(r);
  EXPECT_EQ(r.greedy_label, CompletionLabel::correct);
  EXPECT_EQ(r.label, CompletionLabel::refusal);
  ASSERT_EQ(r.sampled_labels.size(), 3u);
  EXPECT_EQ(r.sampled_labels[0], CompletionLabel::correct);
  EXPECT_EQ(r.sampled_labels[1], CompletionLabel::refusal);
  EXPECT_EQ(r.sampled_labels[2], CompletionLabel::error);
}

TEST(Labels, FewshotFormatJudgesTheFirstLine) {
  GenerationRecord r;
  r.prompt_type = "city_country";
  r.correct_answer = "France";
  r.format = PromptFormat::fewshot;
  r.greedy_completion = " I don't know.\nQ: What country contains the city of 'Lyon'?\nA: France";
  r.sampled_completions = {" France\nQ: x", " Germany\nA: I don't know."};
  label_record(r);
  EXPECT_EQ(r.greedy_label, CompletionLabel::refusal);
  EXPECT_EQ(r.sampled_labels[0], CompletionLabel::correct);
  EXPECT_EQ(r.sampled_labels[1], CompletionLabel::error);
}

TEST(Labels, EntityRule) {
  std::vector<GenerationRecord> recs;
  auto add = [&](const std::string& e, int correct) {
    GenerationRecord r;
    r.entity = e;
    r.entity_type = "city";
    r.prompt_type = "city_country";
    for (int i = 0; i < 10; ++i) {
      r.sampled_completions.push_back("");
      r.sampled_labels.push_back(i < correct ? CompletionLabel::correct : CompletionLabel::error);
    }
    recs.push_back(r);
  };
  add("A", 3), add("A", 3), add("A", 0);  // two known attributes: known
  add("B", 2), add("B", 2);               // none known (2 < 3): unknown
  add("C", 10), add("C", 0);              // one known: other
  auto labels = label_entities(recs);
  ASSERT_EQ(labels.size(), 3u);
  EXPECT_EQ(labels[0].knowledge, Knowledge::known);
  EXPECT_EQ(labels[1].knowledge, Knowledge::unknown);
  EXPECT_EQ(labels[2].knowledge, Knowledge::other);
  EXPECT_EQ(labels[2].attributes, 2);
}

}  // namespace
}  // namespace knowscope::study
