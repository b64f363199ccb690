// Labelling at scale: generation records for every attribute prompt, resuming a log, the answer
// line rule, entity selection, the config hash, and the labels file. The generation runs on a tiny
// random-weight Gemma 3 model with a small SentencePiece vocabulary written by our GGUF writer.
// The labelling rule itself is tested in labels_test.cpp.
#include "knowscope/study/labelling.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/model/model.h"
#include "knowscope/study/fewshot.h"
#include "knowscope/study/labelling_run.h"
#include "knowscope/study/labels_file.h"
#include "study/tiny_model.h"
#include "test_paths.h"

namespace knowscope::study {
namespace {

namespace fs = std::filesystem;

using test_tiny::tiny_model;
using test_tiny::tiny_model_path;

Entity entity(std::string type, std::string name,
              std::vector<std::pair<std::string, std::string>> attrs) {
  Entity e;
  e.entity_type = std::move(type);
  e.name = std::move(name);
  for (auto& [t, v] : attrs) e.attributes.push_back({t, v});
  return e;
}

std::vector<Entity> handful() {
  return {
      entity("movie", "Alpha Film",
             {{"directors", "Ann Lee"}, {"release_year", "1999"}, {"genres", "drama film"}}),
      entity("player", "Bo Chen",
             {{"place_birth", "Oslo"}, {"date_birth", "1980"}, {"teams_list", "Boston Celtics"}}),
      entity("city", "Zed", {{"country", "Norway"}, {"population", "1000"}}),
      entity("song", "La La", {{"album", "Blue"}, {"performers", "Kim"}})};
}

LabellingConfig small_config() {
  LabellingConfig c;
  c.samples = 3;
  c.max_new_tokens = 10;
  c.seed = 5;
  return c;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::map<std::string, std::string> records_by_key(const std::string& log_path) {
  std::map<std::string, std::string> out;
  for (const auto& r : read_generation_log(log_path).records) {
    EXPECT_FALSE(out.count(record_key(r))) << "duplicate record " << record_key(r);
    out[record_key(r)] = record_to_json(r);
  }
  return out;
}

size_t prompt_count(const std::vector<Entity>& es, PromptFormat f) {
  size_t n = 0;
  for (const auto& e : es) n += build_prompts(e, f).size();
  return n;
}

// ---- Generation --------------------------------------------------------------------------------

TEST(LabellingGeneration, ARecordForEveryPromptWithGreedyAndSamples) {
  const auto es = handful();
  const auto cfg = small_config();
  const std::string log = test::temp_dir() + "/gen.jsonl";
  auto stats = run_labelling_generation(tiny_model(), es, cfg, log, false);
  const size_t n = prompt_count(es, cfg.format);
  ASSERT_EQ(n, 10u);
  EXPECT_EQ(stats.prompts, n);
  EXPECT_EQ(stats.generated, n);
  EXPECT_EQ(stats.reused, 0u);
  EXPECT_EQ(stats.completions, int64_t(n) * 4);

  const auto records = read_generation_log(log).records;
  ASSERT_EQ(records.size(), n);
  std::set<std::string> want;
  std::map<std::string, std::string> prompt_text;
  for (const auto& e : es)
    for (const auto& p : build_prompts(e, cfg.format)) {
      want.insert(p.entity_type + "\t" + p.entity + "\t" + p.prompt_type);
      prompt_text[p.entity_type + "\t" + p.entity + "\t" + p.prompt_type] = p.text;
    }
  std::set<std::string> got;
  for (const auto& r : records) {
    got.insert(record_key(r));
    EXPECT_EQ(r.prompt, prompt_text[record_key(r)]);
    EXPECT_EQ(r.format, PromptFormat::base);
    EXPECT_FALSE(r.question.has_value());
    EXPECT_EQ(r.sampled_completions.size(), 3u);
    EXPECT_EQ(r.sampled_labels.size(), 3u);
    EXPECT_TRUE(r.greedy_label.has_value());
    EXPECT_TRUE(r.label.has_value());
    // Cut at the end of the answer line: no newline follows the answer's start.
    EXPECT_EQ(answer_line_end(r.greedy_completion, PromptFormat::base), std::string::npos);
    for (const auto& c : r.sampled_completions)
      EXPECT_EQ(answer_line_end(c, PromptFormat::base), std::string::npos) << c;
  }
  EXPECT_EQ(got, want);

  // Records are appended one entity per write: the log has whole entities in round-robin order.
  EXPECT_EQ(records[0].entity_type, "movie");
  EXPECT_EQ(records[3].entity_type, "player");

  // A rerun finds everything done.
  auto again = run_labelling_generation(tiny_model(), es, cfg, log, false);
  EXPECT_EQ(again.reused, n);
  EXPECT_EQ(again.generated, 0u);
  EXPECT_EQ(lines_of(log).size(), n);
}

TEST(LabellingGeneration, EarlyStopEndsCompletionsAtTheAnswerLine) {
  const Entity e = handful()[0];
  LabellingConfig early = small_config();
  early.samples = 8;
  early.max_new_tokens = 24;
  LabellingConfig full = early;
  full.early_stop = false;
  const auto a = generate_entity_records(tiny_model(), e, early);
  const auto b = generate_entity_records(tiny_model(), e, full);
  // The random model writes newlines: the full completions have lines after the answer's start
  // (else this test would not exercise the stop) and the early ones do not.
  int multi_line = 0;
  for (const auto& r : b.records)
    for (const auto& c : r.sampled_completions)
      multi_line += answer_line_end(c, PromptFormat::base) != std::string::npos;
  EXPECT_GT(multi_line, 0);
  for (const auto& r : a.records)
    for (const auto& c : r.sampled_completions)
      EXPECT_EQ(answer_line_end(c, PromptFormat::base), std::string::npos);
  // Stopping saves tokens; full completions run to max_new_tokens unless EOS comes.
  EXPECT_LT(a.generated_tokens, b.generated_tokens);
  EXPECT_LE(b.generated_tokens, int64_t(b.completions) * full.max_new_tokens);
}

TEST(LabellingGeneration, AnEntityGeneratesTheSameAloneOrAmongOthersAndOnRerun) {
  const auto es = handful();
  const auto cfg = small_config();
  const std::string log = test::temp_dir() + "/gen.jsonl";
  run_labelling_generation(tiny_model(), es, cfg, log, false);
  const auto all = records_by_key(log);
  const auto alone = generate_entity_records(tiny_model(), es[2], cfg);
  ASSERT_EQ(alone.records.size(), 2u);
  for (const auto& r : alone.records) EXPECT_EQ(all.at(record_key(r)), record_to_json(r));
  // Another seed gives other samples.
  LabellingConfig other = cfg;
  other.seed = 6;
  const auto moved = generate_entity_records(tiny_model(), es[2], other);
  bool differs = false;
  for (size_t i = 0; i < moved.records.size(); ++i)
    differs =
        differs || moved.records[i].sampled_completions != alone.records[i].sampled_completions;
  EXPECT_TRUE(differs);
}

// Batching entities into one generate() call (any size, any order) leaves every record as the
// entity alone would give it: per-prompt seeds plus the batch-invariant engine.
TEST(LabellingGeneration, BatchingEntitiesLeavesEveryRecordAsAlone) {
  const auto es = handful();
  const auto cfg = small_config();
  std::map<std::string, std::string> alone;
  for (const auto& e : es)
    for (const auto& r : generate_entity_records(tiny_model(), e, cfg).records)
      alone[record_key(r)] = record_to_json(r);
  std::vector<const Entity*> reversed;
  for (size_t i = es.size(); i-- > 0;) reversed.push_back(&es[i]);
  const auto gens = generate_entities_records(tiny_model(), reversed, cfg);
  ASSERT_EQ(gens.size(), es.size());
  for (size_t i = 0; i < gens.size(); ++i) {
    EXPECT_EQ(gens[i].records.size(), build_prompts(*reversed[i], cfg.format).size());
    EXPECT_EQ(gens[i].completions, int64_t(gens[i].records.size()) * 4);
    for (const auto& r : gens[i].records) {
      EXPECT_EQ(r.entity, reversed[i]->name);
      EXPECT_EQ(alone.at(record_key(r)), record_to_json(r)) << record_key(r);
    }
  }
  // Runs with one entity per call and with two or three per call write the same records.
  for (int batch : {1, 9}) {
    const std::string log = test::temp_dir() + "/gen" + std::to_string(batch) + ".jsonl";
    run_labelling_generation(tiny_model(), es, cfg, log, false, batch);
    EXPECT_EQ(records_by_key(log), alone) << "batch_sequences " << batch;
  }
}

TEST(LabellingGeneration, ResumesAfterPartOfTheLogIsLostAndATornLine) {
  const auto es = handful();
  const auto cfg = small_config();
  const std::string dir = test::temp_dir();
  const std::string full_log = dir + "/full.jsonl", cut_log = dir + "/cut.jsonl";
  run_labelling_generation(tiny_model(), es, cfg, full_log, false);
  const auto lines = lines_of(full_log);
  ASSERT_EQ(lines.size(), 10u);
  // Keep the movie's 3 records and the player's first one (the entity in progress at a kill),
  // then half of the next line without its newline: a write torn by the kill.
  std::string kept;
  for (size_t i = 0; i < 4; ++i) kept += lines[i] + "\n";
  kept += lines[4].substr(0, lines[4].size() / 2);
  write_file_atomic(cut_log, kept);

  auto torn = read_generation_log(cut_log);
  EXPECT_EQ(torn.records.size(), 4u);
  EXPECT_EQ(torn.partial_tail_bytes, lines[4].size() / 2);

  auto stats = run_labelling_generation(tiny_model(), es, cfg, cut_log, false);
  EXPECT_EQ(stats.reused, 4u);
  EXPECT_EQ(stats.generated, 6u);
  // The log is whole lines again, and every record is identical to the uninterrupted run's.
  const std::string text = read_file(cut_log);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(read_generation_log(cut_log).partial_tail_bytes, 0u);
  EXPECT_EQ(records_by_key(cut_log), records_by_key(full_log));
}

TEST(LabellingGeneration, RefusesALogAnotherProcessHolds) {
  const std::string log = test::temp_dir() + "/gen.jsonl";
  int fd = ::open((log + ".lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  try {
    run_labelling_generation(tiny_model(), handful(), small_config(), log, false);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another knowscope process"), std::string::npos);
  }
  ::close(fd);
  const std::vector<Entity> one = {handful()[2]};
  EXPECT_NO_THROW(run_labelling_generation(tiny_model(), one, small_config(), log, false));
}

TEST(LabellingGeneration, ChatFormatUsesTheModelsTurns) {
  LabellingConfig cfg = small_config();
  cfg.format = PromptFormat::chat;
  const auto g = generate_entity_records(tiny_model(), handful()[2], cfg);
  ASSERT_EQ(g.records.size(), 2u);
  // gemma3 without a template: Gemma turns, BOS as text, the question kept as the user turn.
  EXPECT_EQ(g.records[0].prompt,
            "<bos><start_of_turn>user\nWhat country contains the city of 'Zed'?<end_of_turn>\n"
            "<start_of_turn>model\nCountry (official name)=");
  EXPECT_EQ(g.records[0].question, "What country contains the city of 'Zed'?");
  EXPECT_FALSE(early_stop_applies(cfg));
}

// ---- The answer line ---------------------------------------------------------------------------

TEST(AnswerLine, BaseStartsAtALetterOrDigit) {
  const std::string t = ":\n\nFrancis Ford Coppola\nWho is";
  EXPECT_EQ(answer_line_end(t, PromptFormat::base), t.find("\nWho"));
  EXPECT_EQ(answer_line_end(" 1972.\n", PromptFormat::base), 6u);
  EXPECT_EQ(answer_line_end(" - \n\n", PromptFormat::base), std::string::npos);
  EXPECT_EQ(answer_line_end("\n\xC3\xA9t\xC3\xA9\nx", PromptFormat::base), 6u);  // "été"
  EXPECT_EQ(answer_line_end("a\nb", PromptFormat::chat), std::string::npos);
  EXPECT_EQ(answer_line_end("a\nb", PromptFormat::free), std::string::npos);
}

TEST(AnswerLine, FewshotCutNeverChangesTheJudgedAnswer) {
  for (std::string t : {" Paris\nQ: next", "\n\n:\nFoo", "  I don't know.\n\nQ:", "Rome Q: x\ny",
                        "\t\r\n", "1999", " \n 42 \n"}) {
    size_t cut = answer_line_end(t, PromptFormat::fewshot);
    std::string kept = cut == std::string::npos ? t : t.substr(0, cut);
    EXPECT_EQ(fewshot_answer(kept), fewshot_answer(t)) << t;
  }
  EXPECT_EQ(answer_line_end("\n\n:\nFoo", PromptFormat::fewshot), 3u);
}

TEST(AnswerLine, ScannerAgreesWithTheWholeTextRule) {
  const std::string t = " :\n\nAnn Lee\nmore";
  for (size_t piece = 1; piece <= 4; ++piece) {
    AnswerLineScanner sc(PromptFormat::base);
    size_t fed = 0;
    while (fed < t.size() && !sc.feed(t.substr(fed, piece))) fed += piece;
    EXPECT_TRUE(sc.ended());
    // It ends within the piece holding the newline that answer_line_end finds.
    EXPECT_EQ(fed / piece, answer_line_end(t, PromptFormat::base) / piece);
  }
  AnswerLineScanner never(PromptFormat::chat);
  EXPECT_FALSE(never.feed("a\nb\n"));
}

// ---- Selection, config, paths ------------------------------------------------------------------

std::vector<Entity> pool_of(int per_type) {
  std::vector<Entity> pool;
  for (const char* type : {"song", "movie", "player", "city"})
    for (int i = 0; i < per_type; ++i) {
      std::string attr = std::string(type) == "song"    ? "album"
                         : std::string(type) == "movie" ? "directors"
                         : std::string(type) == "city"  ? "country"
                                                        : "place_birth";
      pool.push_back(entity(type, std::string(type) + " " + std::to_string(i), {{attr, "x"}}));
    }
  return pool;
}

TEST(EntitySelection, SeededSamplePerTypeThatGrowsByExtension) {
  const auto pool = pool_of(12);
  EntitySelection small{{"movie", "city"}, 3, 42}, large{{"movie", "city"}, 7, 42};
  const auto a = select_entities(pool, small), b = select_entities(pool, large);
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 14u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(a[i].name, b[i].name);          // movies first, as asked
    EXPECT_EQ(a[3 + i].name, b[7 + i].name);  // then cities
    EXPECT_EQ(a[i].entity_type, "movie");
    EXPECT_EQ(a[3 + i].entity_type, "city");
  }
  // numpy.random.RandomState(42).permutation(12) = [10 9 0 8 5 2 1 11 4 7 3 6] (numpy 2.x).
  EXPECT_EQ(a[0].name, "movie 10");
  EXPECT_EQ(a[1].name, "movie 9");
  EXPECT_EQ(a[2].name, "movie 0");
  // All types by default, in the paper's order; 0 takes everything.
  const auto all = select_entities(pool, {});
  ASSERT_EQ(all.size(), 48u);
  EXPECT_EQ(all[0].entity_type, "player");
  EXPECT_EQ(all[47].entity_type, "song");
}

TEST(EntitySelection, RejectsUnknownTypesAndDuplicates) {
  auto pool = pool_of(2);
  EXPECT_THROW(select_entities(pool, {{"book"}, 0, 42}), Error);
  EXPECT_THROW(select_entities(pool, {{"movie", "movie"}, 0, 42}), Error);
  pool.push_back(pool[0]);
  try {
    select_entities(pool, {});
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("duplicate song 'song 0'"), std::string::npos) << e.what();
  }
}

TEST(LabellingConfig, HashCoversEverySettingAndRoundTrips) {
  const LabellingConfig base;
  std::set<std::string> hashes = {labelling_config_hash(base)};
  auto vary = [&](auto change) {
    LabellingConfig c;
    change(c);
    EXPECT_TRUE(hashes.insert(labelling_config_hash(c)).second) << labelling_config_json(c);
    const LabellingConfig back = labelling_config_from_json(labelling_config_json(c), "t");
    EXPECT_EQ(labelling_config_json(back), labelling_config_json(c));
  };
  vary([](LabellingConfig& c) { c.format = PromptFormat::fewshot; });
  vary([](LabellingConfig& c) { c.samples = 5; });
  vary([](LabellingConfig& c) { c.temperature = 0.7f; });
  vary([](LabellingConfig& c) { c.top_k = 40; });
  vary([](LabellingConfig& c) { c.top_p = 0.9f; });
  vary([](LabellingConfig& c) { c.max_new_tokens = 16; });
  vary([](LabellingConfig& c) { c.seed = 1; });
  vary([](LabellingConfig& c) { c.early_stop = false; });
  EXPECT_EQ(labelling_config_hash(base).size(), 16u);
  // early_stop means nothing for chat: both spellings are one config.
  LabellingConfig chat1, chat2;
  chat1.format = chat2.format = PromptFormat::chat;
  chat2.early_stop = false;
  EXPECT_EQ(labelling_config_hash(chat1), labelling_config_hash(chat2));
  EXPECT_THROW(labelling_config_from_json("{\"labelling_version\": 1}", "t"), Error);
  EXPECT_THROW(labelling_config_from_json("[]", "t"), Error);
  LabellingConfig bad;
  bad.samples = 0;
  EXPECT_THROW(validate_labelling_config(bad), Error);
}

TEST(LabellingPaths, ModelIdIsTheNameOrAHashOfTheFile) {
  const std::string dir = test::temp_dir();
  const std::string a = dir + "/my model.gguf", b = dir + "/other.gguf";
  fs::copy_file(tiny_model_path(), a);
  const std::string id = model_cache_id(a);
  EXPECT_EQ(id.substr(0, 9), "my_model-");
  EXPECT_EQ(id.size(), 9u + 16u);
  EXPECT_EQ(model_cache_id(a), id);
  // One byte changed in the last (partial) word: another id.
  std::string bytes = read_file(a);
  bytes.back() = char(bytes.back() ^ 1);
  write_file_atomic(b, bytes);
  EXPECT_NE(model_cache_id(b).substr(6), id.substr(9));
  EXPECT_EQ(model_cache_id("gemma-3-270m"), "gemma-3-270m");
  LabellingConfig c;
  EXPECT_EQ(fs::path(default_labelling_dir("m", c)).filename().string(), labelling_config_hash(c));
}

// ---- Labels from records -----------------------------------------------------------------------

// A labelled record of `e`'s prompt `prompt_type` with `correct` of `n` samples stating `answer`.
GenerationRecord scored(const Entity& e, const std::string& prompt_type, int correct, int n,
                        const std::string& answer) {
  GenerationRecord r = make_record(build_prompt(e, prompt_type, PromptFormat::base));
  r.greedy_completion = " nobody knows";
  for (int i = 0; i < n; ++i) r.sampled_completions.push_back(i < correct ? " " + answer : " Zork");
  label_record(r);
  return r;
}

TEST(LabelsFromRecords, CountsAndScoresAreWhatTheRecordsImply) {
  const Entity known =
      entity("movie", "Known Film",
             {{"directors", "Ann Lee"}, {"release_year", "1999"}, {"genres", "drama film"}});
  const Entity unknown =
      entity("movie", "Unknown Film", {{"directors", "Bob Ray"}, {"release_year", "1950"}});
  const Entity other =
      entity("movie", "Half Film", {{"directors", "Cy Po"}, {"release_year", "1930"}});
  const Entity city = entity("city", "Qux", {{"country", "Norway"}, {"population", "5000"}});
  const std::vector<Entity> es = {known, unknown, other, city};
  std::vector<GenerationRecord> recs = {
      scored(known, "movie_directors", 3, 10, "Ann Lee"),    // 3/10: known
      scored(known, "movie_release_year", 4, 10, "1999"),    // known
      scored(known, "movie_genres", 2, 10, "drama"),         // 2/10: not
      scored(unknown, "movie_directors", 2, 10, "Bob Ray"),  // not
      scored(unknown, "movie_release_year", 0, 10, "1950"),
      scored(other, "movie_directors", 10, 10, "Cy Po"),  // one known attribute: other
      scored(other, "movie_release_year", 0, 10, "1930"),
      scored(city, "city_country", 3, 10, "Norway"),
      scored(city, "city_population", 5, 10, "5000"),
  };
  const std::string dir = test::temp_dir();
  append_generation_records(dir + "/generations.jsonl", recs);

  LabellingRun run;
  run.dir = dir;
  run.model_name = "tiny";
  run.model_id = "tiny-id";
  run.generate = false;
  run.progress = false;
  run.selection_source = "test";
  const auto res = run_labelling(tiny_model(), es, run);
  const LabelsFile lf = read_labels_file(res.labels_path);
  ASSERT_EQ(lf.entities.size(), 4u);
  const auto counts = count_labels(lf);
  ASSERT_EQ(counts.size(), 3u);  // movie, city, all
  EXPECT_EQ(counts[0].first, "movie");
  EXPECT_EQ(counts[0].second.known, 1);
  EXPECT_EQ(counts[0].second.unknown, 1);
  EXPECT_EQ(counts[0].second.other, 1);
  EXPECT_EQ(counts[1].first, "city");
  EXPECT_EQ(counts[1].second.known, 1);
  EXPECT_EQ(counts[2].first, "all");
  EXPECT_EQ(counts[2].second.total(), 4);

  const LabelledEntity& k = lf.entities[0];
  EXPECT_EQ(k.entity, "Known Film");
  EXPECT_EQ(k.label, Knowledge::known);
  EXPECT_EQ(k.known_attributes, 2);
  ASSERT_EQ(k.scores.size(), 3u);
  EXPECT_EQ(k.scores[0].prompt_type, "movie_directors");
  EXPECT_EQ(k.scores[0].correct, 3);
  EXPECT_EQ(k.scores[0].samples, 10);
  EXPECT_TRUE(k.scores[0].known);
  EXPECT_EQ(k.scores[1].correct, 4);
  EXPECT_EQ(k.scores[2].correct, 2);
  EXPECT_FALSE(k.scores[2].known);
  EXPECT_EQ(k.scores[0].greedy, CompletionLabel::error);
  EXPECT_EQ(lf.entities[2].label, Knowledge::other);
  EXPECT_FALSE(lf.entities[2].split.has_value());
  // One known and one unknown movie: lists too short for sklearn, all train (splits.h fallback).
  EXPECT_EQ(k.split, SplitName::train);
  EXPECT_TRUE(lf.splits.at("movie").first.fallback);
  EXPECT_EQ(lf.model.name, "tiny");
  EXPECT_EQ(lf.model.arch, "gemma3");
  EXPECT_EQ(lf.records_file, "generations.jsonl");
  EXPECT_EQ(labelling_config_json(lf.config), labelling_config_json(run.config));
  EXPECT_EQ(lf.selection_source, "test");

  // A gold answer corrected in the entity file applies on relabelling, without regenerating.
  std::vector<Entity> fixed = es;
  fixed[1].attributes[0].value = "Zork";  // now all 10 "Zork" samples of directors are correct
  const auto res2 = run_labelling(tiny_model(), fixed, run);
  EXPECT_EQ(res2.labels.entities[1].scores[0].correct, 8);
  EXPECT_EQ(res2.labels.entities[1].label, Knowledge::other);

  // Another rule is a relabelling into its own file; the paper's labels stay.
  LabellingRun relaxed = run;
  relaxed.rule.min_known_attributes = 1;
  const auto res3 = run_labelling(tiny_model(), es, relaxed);
  EXPECT_EQ(fs::path(res3.labels_path).filename().string(), "labels-c0.3-k1-s42.json");
  EXPECT_EQ(count_labels(read_labels_file(res3.labels_path)).back().second.known, 3);
  EXPECT_EQ(count_labels(read_labels_file(res.labels_path)).back().second.known, 2);

  // A missing record is an error naming the prompt.
  std::vector<Entity> more = es;
  more.push_back(entity("city", "Nowhere", {{"country", "X"}}));
  try {
    run_labelling(tiny_model(), more, run);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Nowhere"), std::string::npos) << e.what();
  }
}

TEST(LabellingRun, FewerTypesOrASampleGetTheirOwnLabelsFile) {
  const LabelOptions paper, relaxed{0.3, 1};
  auto types = [](std::vector<std::string> t) { return EntitySelection{std::move(t), 0, 42}; };
  EXPECT_EQ(labels_file_name(paper, 42), "labels.json");
  EXPECT_EQ(labels_file_name(paper, 42, types({"song", "city", "movie", "player"})), "labels.json");
  EXPECT_EQ(labels_file_name(paper, 42, types({"movie"})), "labels-movie.json");
  EXPECT_EQ(labels_file_name(relaxed, 42, types({"city", "song"})),
            "labels-c0.3-k1-s42-city-song.json");
  // A sample of each type (the quick profile, `entities label --per-type`) never replaces the
  // whole dataset's labels.json in the shared labelling folder.
  EXPECT_EQ(labels_file_name(paper, 42, EntitySelection{{}, 20, 42}), "labels-n20.json");
  EXPECT_EQ(labels_file_name(paper, 42, EntitySelection{{"city"}, 5, 7}), "labels-city-n5-r7.json");
}

// steer / latents / uncertainty read the default profile's labels: its own name, or a labels.json
// written before sampled selections had one, when that file records the same selection.
TEST(LabellingRun, DefaultLabelsPathFindsTheDefaultProfilesLabels) {
  const std::string home = test::temp_dir();
  const char* before = std::getenv("KNOWSCOPE_HOME");
  const std::string saved = before ? before : "";
  ::setenv("KNOWSCOPE_HOME", home.c_str(), 1);
  const std::string dir = default_labelling_dir("some-model", LabellingConfig{});
  std::filesystem::create_directories(dir);
  const std::string expected = dir + "/labels-n" + std::to_string(kDefaultLabelPerType) + ".json";
  EXPECT_EQ(default_labels_path("some-model"), expected);  // nothing there yet
  LabelsFile legacy;
  legacy.selection.per_type = 5;  // a quick-profile sample: not the default profile's labels
  write_labels_file(dir + "/labels.json", legacy);
  EXPECT_EQ(default_labels_path("some-model"), expected);
  legacy.selection.per_type = kDefaultLabelPerType;
  write_labels_file(dir + "/labels.json", legacy);
  EXPECT_EQ(default_labels_path("some-model"), dir + "/labels.json");
  write_labels_file(expected, legacy);  // the current name wins once written
  EXPECT_EQ(default_labels_path("some-model"), expected);
  if (before)
    ::setenv("KNOWSCOPE_HOME", saved.c_str(), 1);
  else
    ::unsetenv("KNOWSCOPE_HOME");
}

TEST(LabelsFromRecords, SplitsAre50_10_40PerTypeAndLabel) {
  std::vector<GenerationRecord> recs;
  std::vector<Entity> es;
  for (int i = 0; i < 40; ++i) {
    std::string name = "C";
    name += std::to_string(i);
    Entity e = entity("city", name, {{"country", "Norway"}, {"population", "100"}});
    const int c = i < 20 ? 3 : 0;  // 20 known, 20 unknown, with 5 samples: 2 of 5 needed
    recs.push_back(scored(e, "city_country", c, 5, "Norway"));
    recs.push_back(scored(e, "city_population", c, 5, "100"));
    es.push_back(e);
  }
  const LabelsFile lf = build_labels(recs);
  const auto& [k, u] = lf.splits.at("city");
  EXPECT_EQ(k.train, 10);
  EXPECT_EQ(k.validation, 2);
  EXPECT_EQ(k.test, 8);
  EXPECT_EQ(u.train, 10);
  EXPECT_EQ(u.validation, 2);
  EXPECT_EQ(u.test, 8);
  EXPECT_FALSE(k.fallback);
  EXPECT_EQ(entities_with(lf, "city", Knowledge::known).size(), 20u);
  EXPECT_EQ(entities_with(lf, "city", Knowledge::unknown, SplitName::validation).size(), 2u);
  // 3 of 5 correct passes 0.3 * 5 -> 2; with 1 of 5 it would not.
  EXPECT_EQ(lf.entities[0].scores[0].samples, 5);
  EXPECT_TRUE(lf.entities[0].scores[0].known);
}

TEST(LabelsFile, ReaderChecksDerivedDataAndSchema) {
  const Entity e = entity("city", "Qux", {{"country", "Norway"}, {"population", "5000"}});
  std::vector<GenerationRecord> recs = {scored(e, "city_country", 3, 10, "Norway"),
                                        scored(e, "city_population", 3, 10, "5000")};
  LabelsFile lf = build_labels(recs);
  lf.model = {"m", "m-id", "/x/m.gguf", "gemma3"};
  const std::string good = labels_to_json(lf);
  EXPECT_NO_THROW(labels_from_json(good, "l.json"));
  auto expect_error = [&](std::string from, std::string to, const std::string& needle) {
    std::string bad = good;
    size_t at = bad.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    bad.replace(at, from.size(), to);
    try {
      labels_from_json(bad, "l.json");
      ADD_FAILURE() << "expected an error mentioning " << needle;
    } catch (const Error& err) {
      EXPECT_NE(std::string(err.what()).find(needle), std::string::npos) << err.what();
      EXPECT_NE(std::string(err.what()).find("l.json"), std::string::npos) << err.what();
    }
  };
  expect_error("\"known\": 1", "\"known\": 2", "counts.city");
  expect_error("\"label\": \"known\"", "\"label\": \"unknown\"", "entities[0].label");
  expect_error("\"correct\": 3", "\"correct\": 2", "entities[0].scores[0].known");
  expect_error("\"correct\": 3", "\"correct\": 11", "entities[0].scores[0].correct");
  expect_error("\"train\": 1", "\"train\": 0", "splits.city.known");
  expect_error("knowscope-entity-labels", "something-else", "format");
  expect_error("\"split\": \"train\"", "\"split\": null", "entities[0].split");
  EXPECT_THROW(labels_from_json("{", "l.json"), Error);
  EXPECT_THROW(labels_from_json("[]", "l.json"), Error);
}

TEST(LabellingRun, AFolderBelongsToOneModelAndConfig) {
  const std::string dir = test::temp_dir();
  LabellingRun run;
  run.dir = dir;
  run.model_id = "tiny";
  run.config = small_config();
  run.progress = false;
  const std::vector<Entity> one = {handful()[3]};
  auto res = run_labelling(tiny_model(), one, run);
  EXPECT_EQ(res.stats.generated, 2u);
  EXPECT_TRUE(fs::exists(dir + "/config.json"));
  EXPECT_EQ(read_labels_file(res.labels_path).entities.size(), 1u);
  LabellingRun other = run;
  other.config.samples = 4;
  EXPECT_THROW(run_labelling(tiny_model(), one, other), Error);
  other = run;
  other.model_id = "another";
  EXPECT_THROW(run_labelling(tiny_model(), one, other), Error);
}

}  // namespace
}  // namespace knowscope::study
