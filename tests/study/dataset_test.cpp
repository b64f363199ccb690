// The committed dataset (data/entities, built by tools/build_entities.py) in the paper's schema.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "knowscope/study/entities.h"
#include "knowscope/study/fewshot.h"
#include "knowscope/study/templates.h"

namespace knowscope::study {
namespace {

std::vector<Entity> load(const std::string& type) {
  return load_entities(std::string(KNOWSCOPE_SOURCE_DIR) + "/data/entities/" + type + ".jsonl");
}

// A generation that states the gold answer, as the model would if it knew it.
std::string echo(const BuiltPrompt& p) {
  std::string out = " ";                 // appended, not "x" + string: GCC 12 warns falsely on that
  if (p.check.kind == CheckKind::geo) {  // "Point(lon lat)" -> " lat, lon"
    std::string v = p.correct_answer.substr(6, p.correct_answer.size() - 7);
    size_t sp = v.find(' ');
    out += v.substr(sp + 1);
    out += ", ";
    out += v.substr(0, sp);
    return out;
  }
  out += p.correct_answer;
  out += ".";
  return out;
}

TEST(Dataset, FilesFollowTheSchemaAndCoverEveryPromptType) {
  std::set<std::string> names;
  std::set<std::string> prompt_types;
  for (auto type : entity_types()) {
    auto entities = load(std::string(type));
    int known_pool = 0;
    for (const auto& e : entities) {
      EXPECT_EQ(e.entity_type, type) << e.name;
      ASSERT_TRUE(e.source.has_value()) << e.name;
      known_pool += *e.source != "invented" && e.source->find("cities500") == std::string::npos;
      EXPECT_TRUE(names.insert(e.name).second) << "duplicate name " << e.name;
      auto prompts = build_prompts(e, PromptFormat::base);
      EXPECT_GE(prompts.size(), 2u) << e.name;
      for (const auto& p : prompts) prompt_types.insert(p.prompt_type);
    }
    EXPECT_GE(known_pool, 200) << type;
    EXPECT_GE(entities.size() - known_pool, 100u) << type;
  }
  EXPECT_EQ(prompt_types.size(), 17u);
}

TEST(Dataset, FewshotEntitiesAreNotInThePool) {
  std::set<std::string> names;
  for (auto type : entity_types())
    for (const auto& e : load(std::string(type))) names.insert(e.name);
  for (const auto& d : fewshot_demonstrations())
    EXPECT_EQ(names.count(std::string(d.entity)), 0u) << d.entity;
}

TEST(Dataset, EveryGoldAnswerIsJudgedCorrectWhenStated) {
  // Catches values no model answer could match (e.g. a name made only of U+0080..U+00FF).
  int checked = 0;
  for (auto type : entity_types()) {
    for (const auto& e : load(std::string(type))) {
      for (auto format : {PromptFormat::base, PromptFormat::free}) {
        for (const auto& p : build_prompts(e, format)) {
          EXPECT_TRUE(is_correct(p.check, p.correct_answer, echo(p)))
              << e.name << " " << p.prompt_type << " '" << p.correct_answer << "'";
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 5000);
}

}  // namespace
}  // namespace knowscope::study
