// Generation for labelling: several entities per generate() call, each prompt seeded by its entity,
// records appended to a resumable log.
#include "knowscope/study/labelling.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "knowscope/core/error.h"
#include "knowscope/core/progress.h"
#include "knowscope/model/chat_template.h"
#include "knowscope/model/generate.h"
#include "knowscope/model/model.h"

namespace knowscope::study {
namespace {

// An exclusive lock on "<log>.lock" for the run, so two processes never append to one log.
class LogLock {
 public:
  explicit LogLock(const std::string& log_path) : path_(log_path + ".lock") {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) fail(path_, "", std::string("cannot open the lock file: ") + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      fail(log_path, "",
           "another knowscope process is labelling into this folder (" + path_ +
               " is locked); wait for it or use another --out");
    }
  }
  ~LogLock() { ::close(fd_); }  // closing releases the lock
  LogLock(const LogLock&) = delete;
  LogLock& operator=(const LogLock&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

// The key and prompt text that identify a finished record.
std::string done_key(const std::string& record_key, const std::string& prompt) {
  return record_key + "\n" + prompt;
}

std::string prompt_key(const BuiltPrompt& p) {
  return p.entity_type + "\t" + p.entity + "\t" + p.prompt_type;
}

// Entities in round-robin order over their types (each type's own order kept).
std::vector<size_t> round_robin(std::span<const Entity> entities) {
  std::vector<std::string> types;
  std::vector<std::vector<size_t>> by_type;
  for (size_t i = 0; i < entities.size(); ++i) {
    size_t t = 0;
    while (t < types.size() && types[t] != entities[i].entity_type) ++t;
    if (t == types.size()) {
      types.push_back(entities[i].entity_type);
      by_type.emplace_back();
    }
    by_type[t].push_back(i);
  }
  std::vector<size_t> order;
  for (size_t k = 0; order.size() < entities.size(); ++k)
    for (const auto& list : by_type)
      if (k < list.size()) order.push_back(list[k]);
  return order;
}

}  // namespace

ModelPrompt render_for_model(const Model& model, const BuiltPrompt& p) {
  if (p.format == PromptFormat::base || p.format == PromptFormat::fewshot) return {p.text, true};
  const std::string_view tmpl = model.tokenizer ? model.tokenizer->chat_template : "";
  const auto format = detect_chat_format(tmpl, model.config.arch);
  if (!format) return {p.text, true};
  std::string text = apply_chat_template(*format, {{"user", p.question}}, true);
  text += p.assistant_prefix;
  return {std::move(text), !chat_format_has_bos(*format)};
}

std::vector<EntityGeneration> generate_entities_records(const Model& model,
                                                        std::span<const Entity* const> entities,
                                                        const LabellingConfig& config) {
  validate_labelling_config(config);
  if (!model.tokenizer) fail(model.path, "tokenizer", "the model files hold no tokenizer");
  const Tokenizer& tok = *model.tokenizer;
  std::vector<EntityGeneration> out(entities.size());
  std::vector<std::vector<int32_t>> ids;
  std::vector<PromptSeed> seeds;
  struct Owner {
    size_t entity, record;
  };
  std::vector<Owner> owner;  // per prompt of the call
  for (size_t e = 0; e < entities.size(); ++e) {
    const Entity& entity = *entities[e];
    // Prompt j of the entity draws from (entity seed, j): what one generate() call per entity
    // with seed = entity_seed drew, so batching entities leaves every record as it was.
    const uint64_t seed = entity_seed(config.seed, entity.entity_type, entity.name);
    const auto prompts = build_prompts(entity, config.format);
    for (size_t j = 0; j < prompts.size(); ++j) {
      ModelPrompt mp = render_for_model(model, prompts[j]);
      EncodeOptions eo;
      eo.add_bos = mp.add_bos;
      ids.push_back(tok.encode(mp.text, eo));
      seeds.push_back({seed, uint64_t(j)});
      owner.push_back({e, j});
      out[e].prompt_tokens += int64_t(ids.back().size());
      GenerationRecord r = make_record(prompts[j]);
      r.prompt = std::move(mp.text);
      out[e].records.push_back(std::move(r));
    }
  }
  if (ids.empty()) return out;

  const size_t per_prompt = size_t(config.samples) + 1;
  GenerateOptions go;
  go.max_new_tokens = config.max_new_tokens;
  go.samples.assign(1, SamplingParams{});  // greedy
  SamplingParams sp;
  sp.temperature = config.temperature;
  sp.top_k = config.top_k;
  sp.top_p = config.top_p;
  go.samples.insert(go.samples.end(), size_t(config.samples), sp);
  go.prompt_seeds = std::move(seeds);
  // All completions of the call decode together (the caller sizes the call).
  go.max_batch_sequences = int(std::max<size_t>(64, ids.size() * per_prompt));
  const bool early = early_stop_applies(config);
  std::vector<AnswerLineScanner> scanners(ids.size() * per_prompt,
                                          AnswerLineScanner(config.format));
  std::vector<int32_t> one(1);
  if (early)
    go.on_token = [&](const TokenEvent& ev) {
      one[0] = ev.token;
      return !scanners[size_t(ev.prompt) * per_prompt + size_t(ev.sample)].feed(
          tok.decode(one, /*skip_special=*/true));
    };
  auto completions = generate(model, ids, go);

  for (const Completion& c : completions) {
    const Owner& o = owner[size_t(c.prompt)];
    EntityGeneration& g = out[o.entity];
    g.generated_tokens += int64_t(c.tokens.size());
    ++g.completions;
    std::vector<int32_t> toks = c.tokens;
    if (c.stop == StopReason::StopToken && !toks.empty()) toks.pop_back();
    // vLLM decodes with skip_special_tokens=True: "<start_of_image>" and the like vanish.
    std::string text = tok.decode(toks, /*skip_special=*/true);
    if (early) {
      size_t cut = answer_line_end(text, config.format);
      if (cut != std::string::npos) text.resize(cut);
    }
    GenerationRecord& r = g.records[o.record];
    if (c.sample == 0)
      r.greedy_completion = std::move(text);
    else
      r.sampled_completions.push_back(std::move(text));
  }
  for (auto& g : out)
    for (auto& r : g.records) label_record(r);
  return out;
}

EntityGeneration generate_entity_records(const Model& model, const Entity& entity,
                                         const LabellingConfig& config) {
  const Entity* one[] = {&entity};
  return std::move(generate_entities_records(model, one, config).front());
}

LabellingRunStats run_labelling_generation(const Model& model, std::span<const Entity> entities,
                                           const LabellingConfig& config,
                                           const std::string& log_path, bool progress,
                                           int batch_sequences) {
  validate_labelling_config(config);
  if (!model.tokenizer) fail(model.path, "tokenizer", "the model files hold no tokenizer");
  LogLock lock(log_path);
  const GenerationLog log = read_generation_log(log_path, /*repair=*/true);
  std::unordered_set<std::string> done;
  for (const auto& r : log.records) done.insert(done_key(record_key(r), r.prompt));

  LabellingRunStats stats;
  stats.entities = entities.size();
  struct Todo {
    size_t entity;
    size_t prompts;
  };
  std::vector<Todo> todo;
  size_t todo_prompts = 0;
  for (size_t i : round_robin(entities)) {
    const auto prompts = build_prompts(entities[i], config.format);
    size_t missing = 0;
    for (const auto& p : prompts)
      missing += done.count(done_key(prompt_key(p), render_for_model(model, p).text)) ? 0 : 1;
    stats.prompts += prompts.size();
    stats.reused += prompts.size() - missing;
    if (missing > 0) {
      todo.push_back({i, prompts.size()});
      todo_prompts += prompts.size();
    }
  }

  const auto t0 = std::chrono::steady_clock::now();
  std::optional<Progress> bar;
  if (progress && todo_prompts > 0) bar.emplace("labelling", int64_t(todo_prompts), "prompt");
  const size_t per_prompt = size_t(config.samples) + 1;
  for (size_t b0 = 0; b0 < todo.size();) {
    // Whole entities per call, up to about batch_sequences sequences (at least one entity).
    size_t b1 = b0, sequences = 0, batch_prompts = 0;
    std::vector<const Entity*> batch;
    while (b1 < todo.size() && (batch.empty() || sequences + todo[b1].prompts * per_prompt <=
                                                     size_t(std::max(1, batch_sequences)))) {
      batch.push_back(&entities[todo[b1].entity]);
      sequences += todo[b1].prompts * per_prompt;
      batch_prompts += todo[b1].prompts;
      ++b1;
    }
    b0 = b1;
    // Whole entities are generated again even when some of their prompts are done: a prompt's
    // completions depend only on the entity (seed, prompt index), not on the batch.
    std::vector<EntityGeneration> gens = generate_entities_records(model, batch, config);
    for (EntityGeneration& g : gens) {
      std::vector<GenerationRecord> fresh;
      for (auto& r : g.records)
        if (!done.count(done_key(record_key(r), r.prompt))) fresh.push_back(std::move(r));
      append_generation_records(log_path, fresh);  // one write + fsync per entity
      for (const auto& r : fresh) done.insert(done_key(record_key(r), r.prompt));
      stats.generated += fresh.size();
      stats.completions += g.completions;
      stats.generated_tokens += g.generated_tokens;
    }
    if (bar) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      char note[96];
      std::snprintf(note, sizeof note, "(%.1f completions/s, %.0f tokens/s)",
                    s > 0 ? double(stats.completions) / s : 0.0,
                    s > 0 ? double(stats.generated_tokens) / s : 0.0);
      bar->set_note(note);
      bar->advance(int64_t(batch_prompts));
    }
  }
  if (bar) bar->finish();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return stats;
}

std::vector<GenerationRecord> collect_records(const GenerationLog& log,
                                              std::span<const Entity> entities, const Model& model,
                                              const LabellingConfig& config,
                                              const std::string& log_path) {
  std::unordered_map<std::string, const GenerationRecord*> last;
  for (const auto& r : log.records) last[done_key(record_key(r), r.prompt)] = &r;
  std::vector<GenerationRecord> out;
  for (const auto& e : entities)
    for (const auto& p : build_prompts(e, config.format)) {
      const std::string key = prompt_key(p);
      auto it = last.find(done_key(key, render_for_model(model, p).text));
      if (it == last.end())
        fail(log_path, key, "no record of this prompt; run the generation first");
      GenerationRecord r = *it->second;
      if (r.format.value_or(PromptFormat::base) != config.format)
        fail(log_path, key,
             "record made in format '" +
                 std::string(format_name(r.format.value_or(PromptFormat::base))) + "', expected '" +
                 std::string(format_name(config.format)) + "'");
      if (r.sampled_completions.size() != size_t(config.samples))
        fail(log_path, key,
             std::to_string(r.sampled_completions.size()) + " sampled completions, expected " +
                 std::to_string(config.samples));
      r.correct_answer = p.correct_answer;  // a corrected gold answer applies without regenerating
      label_record(r);
      out.push_back(std::move(r));
    }
  return out;
}

}  // namespace knowscope::study
