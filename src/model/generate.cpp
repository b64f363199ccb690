// generate(): prefill prompts in batches, copy each prompt's cache to its samples, then decode all
// live completions together, one token each per forward call.
#include "knowscope/model/generate.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"
#include "knowscope/model/forward.h"
#include "knowscope/model/kv_cache.h"

namespace knowscope {
namespace {

struct Live {
  Completion* out;
  KVCache* cache;
  Sampler sampler;
  bool done = false;
};

// Draws the next token of each sequence i < n from its logits row, and its log-probability, in
// parallel (each sequence has its own sampler; a vocabulary of 262k makes this worth two cores).
template <typename RowOf>
void draw_all(std::vector<Live>& live, const size_t* which, size_t n, const RowOf& row_of,
              int64_t vocab, std::vector<int32_t>& tokens, std::vector<float>& logprobs) {
  tokens.resize(n);
  logprobs.resize(n);
  auto body = [&](int64_t a0, int64_t a1) {
    for (int64_t a = a0; a < a1; ++a) {
      const float* row = row_of(size_t(a));
      const int32_t t = live[which[a]].sampler.sample(row, vocab);
      tokens[size_t(a)] = t;
      logprobs[size_t(a)] = float(log_softmax_at(row, vocab, t));
    }
  };
  // Threads only when each gets about a million logits (thread hand-offs cost more below that).
  const int64_t min_chunk = std::max<int64_t>(1, (int64_t(1) << 20) / std::max<int64_t>(1, vocab));
  parallel_for(
      int64_t(n), [&body](int64_t a0, int64_t a1, int) { body(a0, a1); }, min_chunk);
}

// Appends `token` to the completion and decides whether it ends here.
void accept(Live& lv, int32_t token, float lp, const Model& m, const std::set<int32_t>& stops,
            const GenerateOptions& opt) {
  Completion& c = *lv.out;
  c.tokens.push_back(token);
  c.logprobs.push_back(lp);
  if (opt.on_token && !opt.on_token({c.prompt, c.sample, int(c.tokens.size()) - 1, token, lp})) {
    c.stop = StopReason::Callback;
    lv.done = true;
    return;
  }
  if (stops.count(token)) {
    c.stop = StopReason::StopToken;
    lv.done = true;
    return;
  }
  if (!opt.stop_strings.empty() && m.tokenizer) {
    std::string text = m.tokenizer->decode(c.tokens);
    for (const auto& s : opt.stop_strings)
      if (!s.empty() && text.find(s) != std::string::npos) {
        c.stop = StopReason::StopString;
        lv.done = true;
        return;
      }
  }
  if (int(c.tokens.size()) >= opt.max_new_tokens) {
    c.stop = StopReason::MaxTokens;
    lv.done = true;
    return;
  }
  // The next decode step would write position n_past.
  if (m.config.context_length > 0 && lv.cache->n_past >= m.config.context_length) {
    c.stop = StopReason::ContextFull;
    lv.done = true;
  }
}

void finish_text(Completion& c, const Model& m, const GenerateOptions& opt) {
  if (!m.tokenizer) return;
  std::vector<int32_t> toks = c.tokens;
  if (c.stop == StopReason::StopToken && !toks.empty()) toks.pop_back();
  c.text = m.tokenizer->decode(toks);
  if (c.stop == StopReason::StopString) {
    size_t cut = std::string::npos;
    for (const auto& s : opt.stop_strings)
      if (!s.empty()) cut = std::min(cut, c.text.find(s));
    if (cut != std::string::npos) c.text.resize(cut);
  }
}

}  // namespace

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::MaxTokens:
      return "max_tokens";
    case StopReason::StopToken:
      return "stop_token";
    case StopReason::StopString:
      return "stop_string";
    case StopReason::Callback:
      return "callback";
    case StopReason::ContextFull:
      return "context_full";
  }
  return "?";
}

std::vector<int32_t> resolve_stop_tokens(const Model& m, const GenerateOptions& opt) {
  std::set<int32_t> s(opt.stop_tokens.begin(), opt.stop_tokens.end());
  if (opt.default_stop_tokens && m.tokenizer) {
    const Tokenizer& t = *m.tokenizer;
    if (t.eos_id >= 0) s.insert(t.eos_id);
    if (t.eot_id >= 0) s.insert(t.eot_id);
    for (const char* name : {"<end_of_turn>", "<|im_end|>", "<|eot_id|>", "<|endoftext|>"})
      if (int32_t id = t.token_id(name); id >= 0) s.insert(id);
  }
  return {s.begin(), s.end()};
}

std::vector<Completion> generate(const Model& m, const std::vector<std::vector<int32_t>>& prompts,
                                 const GenerateOptions& opt) {
  if (opt.samples.empty()) fail("generate", "samples", "at least one sampling setting is needed");
  if (opt.max_new_tokens < 0) fail("generate", "max_new_tokens", "must be >= 0");
  if (opt.max_batch_sequences < 1 || opt.max_prefill_tokens < 1)
    fail("generate", "max_batch_sequences", "batch limits must be positive");
  const int n_samples = int(opt.samples.size());
  const int64_t vocab = m.config.vocab_size;
  for (size_t p = 0; p < prompts.size(); ++p) {
    if (prompts[p].empty()) fail("generate", "prompt " + std::to_string(p), "no tokens");
    if (m.config.context_length > 0 && int64_t(prompts[p].size()) > m.config.context_length)
      fail("generate", "prompt " + std::to_string(p),
           std::to_string(prompts[p].size()) + " tokens exceed the context length " +
               std::to_string(m.config.context_length));
  }
  if (!opt.prompt_seeds.empty() && opt.prompt_seeds.size() != prompts.size())
    fail("generate", "prompt_seeds",
         std::to_string(opt.prompt_seeds.size()) + " seeds for " + std::to_string(prompts.size()) +
             " prompts (give one per prompt, or none)");
  auto seed_of = [&](size_t p, size_t s) {
    if (opt.prompt_seeds.empty()) return derive_seed(opt.seed, p, s);
    return derive_seed(opt.prompt_seeds[p].seed, opt.prompt_seeds[p].stream, s);
  };
  const std::vector<int32_t> stop_vec = resolve_stop_tokens(m, opt);
  const std::set<int32_t> stops(stop_vec.begin(), stop_vec.end());

  std::vector<Completion> out(prompts.size() * size_t(n_samples));
  for (size_t p = 0; p < prompts.size(); ++p)
    for (int s = 0; s < n_samples; ++s) {
      out[p * size_t(n_samples) + size_t(s)].prompt = int(p);
      out[p * size_t(n_samples) + size_t(s)].sample = s;
    }
  if (opt.max_new_tokens == 0 || prompts.empty()) return out;

  // Prompts per group: all their samples decode together.
  const int group = std::max(1, opt.max_batch_sequences / n_samples);
  std::vector<KVCache> pool;  // reused across groups: no allocation once warm
  ForwardState st;
  std::vector<float> prompt_logits;
  std::vector<SequenceInput> inputs;
  std::vector<int32_t> step_tokens;
  std::vector<GenerateSeq> seq_ids;  // who each sequence of a forward call is (for hooks)
  std::vector<size_t> all_live;
  std::vector<int32_t> drawn;  // per sequence of a step: the token drawn and its log-probability
  std::vector<float> drawn_lp;

  for (size_t g0 = 0; g0 < prompts.size(); g0 += size_t(group)) {
    const size_t g1 = std::min(prompts.size(), g0 + size_t(group));
    const size_t n_prompts = g1 - g0;
    const size_t n_live = n_prompts * size_t(n_samples);
    while (pool.size() < n_live) pool.push_back(make_kv_cache(m.config));
    for (size_t i = 0; i < n_live; ++i) pool[i].clear();

    // Prefill: pieces of prompts, at most max_prefill_tokens per call (a long prompt spans calls).
    prompt_logits.resize(n_prompts * size_t(vocab));
    {
      size_t p = 0;
      int64_t offset = 0;  // tokens of prompt g0 + p already prefilled
      while (p < n_prompts) {
        inputs.clear();
        seq_ids.clear();
        std::vector<size_t> finishing;  // prompts whose last token is in this call, and their row
        std::vector<size_t> finishing_row;
        int64_t budget = opt.max_prefill_tokens;
        while (p < n_prompts && budget > 0) {
          const auto& toks = prompts[g0 + p];
          int64_t take = std::min<int64_t>(budget, int64_t(toks.size()) - offset);
          inputs.push_back({std::span<const int32_t>(toks.data() + offset, size_t(take)),
                            &pool[p * size_t(n_samples)]});
          seq_ids.push_back({int(g0 + p), 0, int64_t(toks.size())});
          budget -= take;
          offset += take;
          if (offset == int64_t(toks.size())) {
            finishing.push_back(p);
            finishing_row.push_back(inputs.size() - 1);
            ++p;
            offset = 0;
          }
        }
        ForwardOptions fo;
        fo.logits = LogitsMode::Last;
        fo.hooks = opt.hooks;
        fo.numerics = opt.numerics;
        if (opt.on_batch) opt.on_batch(seq_ids);
        forward(m, inputs, fo, st);
        for (size_t i = 0; i < finishing.size(); ++i)
          std::memcpy(prompt_logits.data() + finishing[i] * size_t(vocab),
                      st.logits.ptr() + finishing_row[i] * size_t(vocab), size_t(vocab) * 4);
      }
    }

    // Samples share the prompt: copy its cache, then draw each first token from the prompt's
    // logits.
    std::vector<Live> live;
    live.reserve(n_live);
    for (size_t p = 0; p < n_prompts; ++p)
      for (int s = 0; s < n_samples; ++s) {
        KVCache* cache = &pool[p * size_t(n_samples) + size_t(s)];
        if (s > 0) copy_kv_cache(pool[p * size_t(n_samples)], *cache);
        Completion* c = &out[(g0 + p) * size_t(n_samples) + size_t(s)];
        live.push_back({c, cache, Sampler(opt.samples[size_t(s)], seed_of(g0 + p, size_t(s)))});
      }
    all_live.resize(live.size());
    for (size_t i = 0; i < live.size(); ++i) all_live[i] = i;
    draw_all(
        live, all_live.data(), live.size(),
        [&](size_t i) { return prompt_logits.data() + (i / size_t(n_samples)) * size_t(vocab); },
        vocab, drawn, drawn_lp);
    for (size_t i = 0; i < live.size(); ++i) accept(live[i], drawn[i], drawn_lp[i], m, stops, opt);

    // Decode: every live completion advances by one token per call.
    std::vector<size_t> active;
    for (;;) {
      active.clear();
      for (size_t i = 0; i < live.size(); ++i)
        if (!live[i].done) active.push_back(i);
      if (active.empty()) break;
      step_tokens.resize(active.size());
      inputs.clear();
      seq_ids.clear();
      for (size_t a = 0; a < active.size(); ++a) {
        Live& lv = live[active[a]];
        step_tokens[a] = lv.out->tokens.back();
        inputs.push_back({std::span<const int32_t>(&step_tokens[a], 1), lv.cache});
        seq_ids.push_back(
            {lv.out->prompt, lv.out->sample, int64_t(prompts[size_t(lv.out->prompt)].size())});
      }
      ForwardOptions fo;
      fo.logits = LogitsMode::Last;
      fo.hooks = opt.hooks;
      fo.numerics = opt.numerics;
      if (opt.on_batch) opt.on_batch(seq_ids);
      forward(m, inputs, fo, st);
      draw_all(
          live, active.data(), active.size(),
          [&](size_t a) { return st.logits.ptr() + a * size_t(vocab); }, vocab, drawn, drawn_lp);
      for (size_t a = 0; a < active.size(); ++a)
        accept(live[active[a]], drawn[a], drawn_lp[a], m, stops, opt);
    }
    for (Live& lv : live) finish_text(*lv.out, m, opt);
  }
  return out;
}

}  // namespace knowscope
