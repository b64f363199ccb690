// The yes/no self-knowledge probe (spec 4.7): logit(" Yes") - logit(" No") at the end of "Are you
// sure you know the {type} {entity}? Answer yes or no." with the answer opened by "Answer:",
// original, steered at the last entity token, and steered along random latents with the same alpha.
#include <algorithm>
#include <chrono>
#include <memory>

#include "knowscope/core/error.h"
#include "knowscope/core/progress.h"
#include "knowscope/hooks/interventions.h"
#include "knowscope/model/forward.h"
#include "knowscope/model/model.h"
#include "knowscope/study/steering.h"
#include "knowscope/study/templates.h"

namespace knowscope::study {
namespace {

// The vocabulary's own " Yes" / " No" token (SentencePiece "\u2581Yes", byte-level BPE
// "\u0120Yes"), else the first token of the encoded text.
int32_t single_token(const Tokenizer& tok, std::string_view text) {
  const std::string word(text.substr(1));
  for (const std::string& piece : {std::string(text), "\xE2\x96\x81" + word, "\xC4\xA0" + word})
    if (const int32_t id = tok.token_id(piece); id >= 0) return id;
  EncodeOptions eo;
  eo.add_bos = false;
  const auto ids = tok.encode(text, eo);
  if (ids.empty()) throw Error("yes/no probe: '" + std::string(text) + "' encodes to nothing");
  return ids.front();
}

}  // namespace

std::string yesno_question(std::string_view entity, std::string_view entity_type) {
  return yes_no_question(entity, entity_type).content;
}

std::vector<double> yes_no_logit_diffs(const Model& model,
                                       const std::vector<TokenizedPrompt>& prompts,
                                       const SteerIntervention& steer, int32_t yes, int32_t no) {
  std::vector<double> out;
  out.reserve(prompts.size());
  HookSet hs(model.config);
  std::vector<Where> wheres;
  for (const auto& p : prompts)
    wheres.push_back(steer.positions == SteerPositions::entity_last
                         ? Where::at({p.entity_last})
                         : Where::prompt_from(p.entity_last));
  if (steer.latent && steer.alpha != 0)
    add_steering(hs, steer.latent->hook, Targets::each(wheres), float(steer.alpha),
                 steer.latent->direction);
  ForwardOptions fo;
  fo.logits = LogitsMode::Last;
  fo.hooks = hs.empty() ? nullptr : hs.forward_hooks();
  ForwardState state;
  const size_t chunk = 16;
  const int64_t vocab = model.config.vocab_size;
  for (size_t b = 0; b < prompts.size(); b += chunk) {
    const size_t e = std::min(prompts.size(), b + chunk);
    std::vector<SequenceInput> batch;
    std::vector<SeqInfo> infos;
    for (size_t i = b; i < e; ++i) {
      batch.push_back({prompts[i].tokens, nullptr});
      infos.push_back({int(i), 0, -1});
    }
    hs.set_batch(infos);
    forward(model, batch, fo, state);
    for (size_t i = 0; i < e - b; ++i) {
      const float* row = state.logits.ptr() + int64_t(i) * vocab;
      out.push_back(double(row[yes]) - double(row[no]));
    }
  }
  return out;
}

YesNoResult run_yesno(const SteerContext& ctx, const YesNoConfig& config) {
  const auto t0 = std::chrono::steady_clock::now();
  const Model& model = *ctx.model;
  YesNoResult res;
  res.positions = config.positions;
  res.yes_token = single_token(*model.tokenizer, kYesToken);
  res.no_token = single_token(*model.tokenizer, kNoToken);
  if (res.yes_token == res.no_token)
    throw Error("yes/no probe: ' Yes' and ' No' map to the same token " +
                std::to_string(res.yes_token));

  struct Plan {
    const char* entities;
    const char* steer;
    const std::vector<SteerPrompt>* prompts;
    const SteerLatent* latent;
    const std::vector<SteerLatent>* random;
    double alpha;
  };
  const std::vector<Plan> plans = {{"known", "unknown", &ctx.known_prompts, &ctx.latents.unknown,
                                    &ctx.latents.random_unknown, ctx.alpha_unknown()},
                                   {"unknown", "known", &ctx.unknown_prompts, &ctx.latents.known,
                                    &ctx.latents.random_known, ctx.alpha_known()}};
  const size_t n_random = size_t(std::max(0, config.n_random));
  std::unique_ptr<Progress> bar;
  if (ctx.progress) bar = std::make_unique<Progress>("steer yes/no", 2, "sets");
  for (const Plan& plan : plans) {
    YesNoSet set;
    set.entities = plan.entities;
    set.steer = plan.steer;
    set.latent = plan.latent->id;
    set.alpha = plan.alpha;
    // One probe per entity (the questions of one entity share it).
    std::vector<TokenizedPrompt> tps;
    std::vector<std::string> tps_type;
    std::vector<std::pair<std::string, std::string>> seen;
    for (const auto& p : *plan.prompts) {
      if (std::find(seen.begin(), seen.end(), std::pair{p.entity_type, p.entity}) != seen.end())
        continue;
      seen.push_back({p.entity_type, p.entity});
      const std::string q = yesno_question(p.entity, p.entity_type);
      if (ctx.format == SteerFormat::chat)
        tps.push_back(
            tokenize_steer_prompt(model, SteerFormat::chat, q, p.entity, kYesNoAssistantPrefix));
      else
        tps.push_back(tokenize_with_entity(model, q + "\n" + std::string(kYesNoAssistantPrefix),
                                           true, p.entity));
      tps_type.push_back(p.entity_type);
    }
    const auto orig = yes_no_logit_diffs(model, tps, {}, res.yes_token, res.no_token);
    const auto steered = yes_no_logit_diffs(model, tps, {plan.latent, plan.alpha, config.positions},
                                            res.yes_token, res.no_token);
    std::vector<std::vector<double>> randoms;
    for (size_t r = 0; r < std::min(n_random, plan.random->size()); ++r) {
      const SteerLatent& rl = (*plan.random)[r];
      set.random.push_back(rl.id);
      randoms.push_back(yes_no_logit_diffs(model, tps, {&rl, plan.alpha, config.positions},
                                           res.yes_token, res.no_token));
    }
    std::vector<std::string> names = ctx.types;
    names.push_back("all");
    for (const auto& name : names) {
      YesNoStats st;
      st.random.resize(randoms.size());
      for (size_t i = 0; i < tps.size(); ++i) {
        if (name != "all" && tps_type[i] != name) continue;
        st.original.push_back(orig[i]);
        st.steered.push_back(steered[i]);
        for (size_t r = 0; r < randoms.size(); ++r) st.random[r].push_back(randoms[r][i]);
      }
      set.per_type.push_back({name, std::move(st)});
    }
    res.sets.push_back(std::move(set));
    if (bar) bar->advance(1);
  }
  if (bar) bar->finish();
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace knowscope::study
