#include "knowscope/study/fewshot.h"

#include "knowscope/study/templates.h"

namespace knowscope::study {
namespace {

// Real entities: facts nobody disputes. Invented ones: names checked against the entity pool by
// tools/build_entities.py and tests/study/dataset_test.cpp. One real and one invented entity of
// each type, in an irregular order so that position does not predict the kind of answer.
constexpr FewshotDemo kDemos[] = {
    {"Michael Jordan", "player", "player_place_birth", "Brooklyn", true},
    {"The Glass Orchard of Veltmar", "movie", "movie_directors", kFewshotRefusal, false},
    {"Dorian Kessweather", "player", "player_date_birth", kFewshotRefusal, false},
    {"Tokyo", "city", "city_country", "Japan", true},
    {"Titanic", "movie", "movie_release_year", "1997", true},
    {"Ostravelle", "city", "city_population", kFewshotRefusal, false},
    {"Imagine", "song", "song_performers", "John Lennon", true},
    {"Paper Lanterns on Quell Street", "song", "song_album", kFewshotRefusal, false},
};

constexpr std::string_view kInstruction =
    "Answer each question with the fact alone. If the question is about something that does not "
    "exist or that you do not know, answer \"I don't know.\"\n";

}  // namespace

std::span<const FewshotDemo> fewshot_demonstrations() { return kDemos; }

std::string fewshot_header() {
  std::string out(kInstruction);
  for (const auto& d : kDemos) {
    const PromptTemplate& t = prompt_template(d.prompt_type);
    out += "\nQ: " + fill_template(t.question, d.entity, d.entity_type) + "\nA: ";
    out += d.answer;
    out += "\n";
  }
  return out;
}

std::string fewshot_prompt(std::string_view question) {
  return fewshot_header() + "\nQ: " + std::string(question) + "\nA:";
}

std::string_view fewshot_answer(std::string_view completion) {
  size_t b = completion.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  std::string_view rest = completion.substr(b);
  size_t e = std::min(rest.find('\n'), rest.find("Q:"));
  rest = rest.substr(0, e == std::string_view::npos ? rest.size() : e);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t' || rest.back() == '\r'))
    rest.remove_suffix(1);
  return rest;
}

}  // namespace knowscope::study
