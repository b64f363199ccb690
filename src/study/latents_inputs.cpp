// The latents stage's inputs: which SAEs are scored, which entities, which generic tokens, and
// captures in bounded chunks.
#include <algorithm>
#include <cstring>
#include <set>

#include "knowscope/core/error.h"
#include "knowscope/core/progress.h"
#include "knowscope/hooks/hook_names.h"
#include "knowscope/study/latents_pyrandom.h"
#include "study/latents_internal.h"

namespace knowscope::study::latents_detail {

std::vector<ScoredLayer> plan_layers(SaeSet& set, int n_layers, std::vector<SkippedSae>& skipped) {
  std::vector<ScoredLayer> out;
  std::set<int> seen;
  for (SaeSetLayer& sl : set.layers) {
    const auto skip = [&](const std::string& why) { skipped.push_back({sl.path, sl.hook, why}); };
    HookName h;
    try {
      h = parse_hook_name(sl.hook, n_layers);
    } catch (const Error& e) {
      skip(std::string("hook not in this model: ") + e.what());
      continue;
    }
    int l = -1;
    if (h.point == HookPoint::ResidPost) l = h.layer + 1;
    if (h.point == HookPoint::ResidPre) l = h.layer;
    if (h.point == HookPoint::Embed) l = 0;
    if (l < 0) {
      skip("not on the residual stream (the paper scores resid_pre / resid_post SAEs)");
      continue;
    }
    if (l == 0) {
      skip("layer 0 (embeddings) is never scored (paper-method.md 0.1)");
      continue;
    }
    if (l >= n_layers) {
      skip("the last block's output has no blocks." + std::to_string(l) +
           ".hook_resid_pre; the paper scores layers 1.." + std::to_string(n_layers - 1));
      continue;
    }
    if (!seen.insert(l).second) {
      skip("a second SAE for layer " + std::to_string(l) + " (the first one is scored)");
      continue;
    }
    ScoredLayer s;
    s.set_layer = &sl;
    s.layer = l;
    s.hook = hook_name(HookPoint::ResidPre, l);
    s.sae_hook = sl.hook;
    s.d_sae = sl.d_sae;
    s.arch = sl.arch;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const ScoredLayer& a, const ScoredLayer& b) { return a.layer < b.layer; });
  return out;
}

std::vector<EntityRow> labelled_entities(const LabelsFile& labels,
                                         std::vector<std::string>& types) {
  std::vector<EntityRow> out;
  for (const LabelledEntity& e : labels.entities) {
    if (e.label == Knowledge::other) continue;
    auto it = std::find(types.begin(), types.end(), e.entity_type);
    if (it == types.end()) it = types.insert(types.end(), e.entity_type);
    EntityRow r;
    r.entity = e.entity;
    r.entity_type = e.entity_type;
    r.type_index = int(it - types.begin());
    r.known = e.label == Knowledge::known;
    r.split = e.split;
    out.push_back(std::move(r));
  }
  return out;
}

void capture_in_chunks(const Model& model, const std::vector<CapturePrompt>& prompts,
                       const std::vector<std::string>& hooks, int64_t max_batch_tokens,
                       int chunk_prompts, const std::string& progress_label,
                       const std::function<void(size_t, const CaptureResult&)>& consume) {
  CaptureOptions opt;
  for (const auto& h : hooks) opt.hooks.push_back({h, {}});
  opt.max_batch_tokens = max_batch_tokens;
  std::unique_ptr<Progress> progress;
  if (!progress_label.empty())
    progress = std::make_unique<Progress>(progress_label, int64_t(prompts.size()), "prompts");
  const size_t step = size_t(std::max(chunk_prompts, 1));
  for (size_t begin = 0; begin < prompts.size(); begin += step) {
    const size_t end = std::min(prompts.size(), begin + step);
    const CaptureResult r =
        capture(model, std::span<const CapturePrompt>(prompts.data() + begin, end - begin), opt);
    consume(begin, r);
    if (progress) progress->advance(int64_t(end - begin));
  }
  if (progress) progress->finish();
}

namespace {

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_ascii_space(text[i])) ++i;
    const size_t b = i;
    while (i < text.size() && !is_ascii_space(text[i])) ++i;
    if (i > b) words.push_back(text.substr(b, i - b));
  }
  return words;
}

// The longest prefix of at most `max_bytes` that does not cut a UTF-8 character.
std::string_view utf8_prefix(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace

GenericTokens generic_tokens(const Tokenizer& tok, const std::vector<CorpusDoc>& docs,
                             uint64_t seed, int seq_len) {
  constexpr size_t kPrefixBytes = 8192;  // far more than seq_len tokens of text
  GenericTokens out;
  PyRandom rng(seed);
  for (size_t d = 0; d < docs.size(); ++d) {
    ++out.docs_read;
    const auto words = split_words(docs[d].text);
    if (words.empty()) continue;  // random.choices raises on an empty list; no draw is made
    const std::string_view word = words[rng.choice_index(words.size())];
    const std::string_view text = utf8_prefix(docs[d].text, kPrefixBytes);
    const size_t at = text.find(word);
    if (at == std::string_view::npos) continue;
    const size_t last_byte = at + word.size() - 1;
    const std::vector<TokenSpan> spans = tok.encode_spans(text);
    int64_t pos = -1;
    for (size_t i = 0; i < spans.size() && i < size_t(seq_len); ++i)
      if (spans[i].begin <= last_byte && last_byte < spans[i].end) {
        pos = int64_t(i);
        break;
      }
    if (pos < 0) continue;  // beyond the first seq_len tokens
    CapturePrompt p;
    for (int64_t i = 0; i <= pos; ++i) p.tokens.push_back(spans[size_t(i)].id);
    p.positions = {pos};
    out.prompts.push_back(std::move(p));
    out.doc_index.push_back(d);
  }
  return out;
}

std::vector<float> encode_latents(const Sae& sae, const float* x, int64_t n,
                                  const std::vector<int32_t>& latents) {
  std::vector<float> out(size_t(n) * latents.size());
  if (n == 0 || latents.empty()) return out;
  if (sae.arch != SaeArch::TopK) {
    sae_encode_latents(sae, x, n, latents, out.data());
    return out;
  }
  constexpr int64_t kChunk = 256;  // bounded dense buffer
  std::vector<float> dense;
  SaeWorkspace ws;
  for (int64_t b = 0; b < n; b += kChunk) {
    const int64_t m = std::min(kChunk, n - b);
    dense.resize(size_t(m * sae.d_sae));
    sae_encode_dense(sae, x + b * sae.d_in, m, dense.data(), &ws);
    for (int64_t r = 0; r < m; ++r)
      for (size_t k = 0; k < latents.size(); ++k)
        out[size_t(b + r) * latents.size() + k] = dense[size_t(r * sae.d_sae + latents[k])];
  }
  return out;
}

std::string token_display(const Tokenizer& tok, int32_t id) { return tok.decode({id}, false); }

}  // namespace knowscope::study::latents_detail
