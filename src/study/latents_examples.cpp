// Generalisation (leave-one-type-out, free sentences about real and invented entities) and the
// report's pictures (token-by-token activations, top-activating corpus contexts).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/study/stats.h"
#include "study/latents_internal.h"

namespace knowscope::study {

std::vector<FreeSentence> read_free_sentences(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail(path, "", std::string("not JSON: ") + e.what());
  }
  check(j.is_object() && j.contains("sentences") && j["sentences"].is_array(), path, "sentences",
        "expected {\"sentences\": [...]}");
  std::vector<FreeSentence> out;
  for (size_t i = 0; i < j["sentences"].size(); ++i) {
    const auto& s = j["sentences"][i];
    const std::string where = "sentences[" + std::to_string(i) + "]";
    FreeSentence f;
    try {
      f.text = s.at("text").get<std::string>();
      f.entity = s.at("entity").get<std::string>();
      f.kind = s.at("kind").get<std::string>();
      f.entity_type = s.value("entity_type", std::string());
      f.begin = s.at("begin").get<size_t>();
      f.end = s.at("end").get<size_t>();
    } catch (const nlohmann::json::exception& e) {
      fail(path, where, std::string("expected text, entity, kind, begin, end: ") + e.what());
    }
    check(f.kind == "real" || f.kind == "invented", path, where + ".kind",
          "expected \"real\" or \"invented\", got \"" + f.kind + "\"");
    check(f.begin < f.end && f.end <= f.text.size() &&
              f.text.compare(f.begin, f.end - f.begin, f.entity) == 0,
          path, where + ".begin/end",
          "the byte span does not hold the entity \"" + f.entity + "\"");
    out.push_back(std::move(f));
  }
  return out;
}

namespace latents_detail {

namespace {

size_t index_of_layer(const std::vector<ScoredLayer>& layers, int layer) {
  for (size_t k = 0; k < layers.size(); ++k)
    if (layers[k].layer == layer) return k;
  throw Error("latents: no layer " + std::to_string(layer));
}

void leave_one_type_out(const std::vector<ScoredLayer>& layers,
                        const std::vector<EntityRow>& entities,
                        const std::vector<FiringCounts>& sel, const std::vector<FiringCounts>& all,
                        const std::vector<int>& types, LatentsResult& R) {
  for (int held : scorable_types(all.front())) {
    std::vector<int> train;
    for (int t : types)
      if (t != held) train.push_back(t);
    if (train.empty()) continue;
    LotoEntry e;
    e.held_out_type = R.types[held];
    for (int t : train) e.train_types.push_back(R.types[t]);
    std::vector<LayerFiring> lf;
    for (size_t k = 0; k < layers.size(); ++k)
      lf.push_back({layers[k].layer, &sel[k], layers[k].generic_freq});
    for (Side side : {Side::known, Side::unknown}) {
      LotoSide& out = side == Side::known ? e.known : e.unknown;
      const auto best = select_latents(lf, side, train, R.config.generic_freq_cap, 1);
      if (best.empty()) continue;
      const size_t k = index_of_layer(layers, best[0].layer);
      out.present = true;
      out.latent = make_latent_info(layers[k], sel[k], best[0].latent, side, train, R.types, 0);
      const FiringCounts& c = all[k];
      out.held_out.score = separation(c, side, held, best[0].latent);
      out.held_out.freq_known = c.freq(Side::known, held, best[0].latent);
      out.held_out.freq_unknown = c.freq(Side::unknown, held, best[0].latent);
      out.held_out.n_known = c.n_known[held];
      out.held_out.n_unknown = c.n_unknown[held];
      std::vector<double> acts;
      std::vector<int> labels;
      for (size_t i = 0; i < entities.size(); ++i) {
        if (entities[i].type_index != held) continue;
        acts.push_back(layers[k].entity_codes.get(int64_t(i), int32_t(best[0].latent)));
        labels.push_back(((side == Side::known) == entities[i].known) ? 1 : 0);
      }
      out.held_out.auroc = auroc(acts, labels);
    }
    R.leave_one_type_out.push_back(std::move(e));
  }
}

struct Wanted {  // one latent whose activations are computed on texts
  std::string id, side;
  size_t layer_k = 0;
  int64_t latent = 0;
  bool example = false;  // token by token on the sentences
};

// The latents of each layer that the texts need, and each Wanted's column in its layer's list.
struct LayerLatents {
  std::vector<int32_t> latents;
  const Sae* sae = nullptr;
};

int column_of(const LayerLatents& ll, int64_t latent) {
  return int(std::find(ll.latents.begin(), ll.latents.end(), int32_t(latent)) - ll.latents.begin());
}

void sentences_pass(const Model& model, std::vector<ScoredLayer>& layers,
                    std::map<size_t, LayerLatents>& by_layer, const std::vector<Wanted>& wanted,
                    LatentsResult& R) {
  const LatentsConfig& cfg = R.config;
  const std::vector<FreeSentence> sentences = read_free_sentences(cfg.sentences);
  R.sentences_file = cfg.sentences;
  const Tokenizer& tok = *model.tokenizer;
  std::vector<CapturePrompt> prompts;
  std::vector<int64_t> entity_pos;
  for (const auto& s : sentences) {
    const auto spans = tok.encode_spans(s.text);
    CapturePrompt p;
    int64_t pos = -1;
    for (size_t i = 0; i < spans.size(); ++i) {
      p.tokens.push_back(spans[i].id);
      p.positions.push_back(int64_t(i));
      if (pos < 0 && spans[i].begin <= s.end - 1 && s.end - 1 < spans[i].end) pos = int64_t(i);
    }
    check(pos >= 0, cfg.sentences, s.text, "no token covers the entity's last byte");
    prompts.push_back(std::move(p));
    entity_pos.push_back(pos);
    (s.kind == "real" ? R.n_real : R.n_invented)++;
  }
  std::vector<std::string> hooks;
  std::vector<size_t> hook_layer;
  for (const auto& [k, ll] : by_layer) {
    hooks.push_back(layers[k].sae_hook);
    hook_layer.push_back(k);
  }
  // acts[sentence][wanted] over positions
  std::vector<std::vector<std::vector<float>>> acts(sentences.size(),
                                                    std::vector<std::vector<float>>(wanted.size()));
  capture_in_chunks(model, prompts, hooks, cfg.max_batch_tokens, 64, "",
                    [&](size_t off, const CaptureResult& r) {
                      for (size_t h = 0; h < hooks.size(); ++h) {
                        const LayerLatents& ll = by_layer.at(hook_layer[h]);
                        const CapturedHook& ch = r.hook(hooks[h]);
                        const auto a = encode_latents(*ll.sae, ch.data.ptr(), r.rows(), ll.latents);
                        for (size_t w = 0; w < wanted.size(); ++w) {
                          if (wanted[w].layer_k != hook_layer[h] || !wanted[w].example) continue;
                          const int col = column_of(ll, wanted[w].latent);
                          for (int64_t row = 0; row < r.rows(); ++row)
                            acts[off + size_t(r.prompt[row])][w].push_back(
                                a[size_t(row) * ll.latents.size() + size_t(col)]);
                        }
                      }
                    });
  for (size_t w = 0; w < wanted.size(); ++w) {
    if (!wanted[w].example) continue;
    SentenceLatentStat st;
    st.id = wanted[w].id;
    st.side = wanted[w].side;
    st.hook = layers[wanted[w].layer_k].hook;
    st.n_real = R.n_real;
    st.n_invented = R.n_invented;
    for (size_t s = 0; s < sentences.size(); ++s) {
      const bool fires = double(acts[s][w][size_t(entity_pos[s])]) > cfg.fire_threshold;
      (sentences[s].kind == "real" ? st.fires_real : st.fires_invented) += fires;
    }
    R.sentence_stats.push_back(st);
  }
  for (size_t s = 0; s < sentences.size(); ++s) {
    ExampleText ex;
    ex.text = sentences[s].text;
    ex.kind = sentences[s].kind;
    ex.entity = sentences[s].entity;
    // Tokens after BOS (the SAEs are not trained on BOS, whose activations can dwarf the rest).
    const size_t first = !prompts[s].tokens.empty() && prompts[s].tokens[0] == tok.bos_id ? 1 : 0;
    ex.entity_token = entity_pos[s] - int64_t(first);
    for (size_t t = first; t < prompts[s].tokens.size(); ++t)
      ex.tokens.push_back(token_display(tok, prompts[s].tokens[t]));
    for (size_t w = 0; w < wanted.size(); ++w)
      if (wanted[w].example)
        ex.latents.push_back(
            {wanted[w].id, wanted[w].side,
             std::vector<float>(acts[s][w].begin() + int64_t(first), acts[s][w].end())});
    R.examples.push_back(std::move(ex));
  }
}

void contexts_pass(const Model& model, std::vector<ScoredLayer>& layers,
                   std::map<size_t, LayerLatents>& by_layer, const std::vector<Wanted>& wanted,
                   const std::vector<CorpusDoc>& docs, LatentsResult& R) {
  const LatentsConfig& cfg = R.config;
  const Tokenizer& tok = *model.tokenizer;
  const size_t n_docs = std::min(docs.size(), size_t(std::max(cfg.context_docs, 0)));
  std::vector<CapturePrompt> prompts;
  for (size_t i = 0; i < n_docs; ++i) {
    std::string_view text = docs[i].text;
    if (text.size() > 8192) {
      size_t n = 8192;
      while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
      text = text.substr(0, n);
    }
    CapturePrompt p;
    p.tokens = tok.encode(text);
    if (p.tokens.size() > size_t(cfg.generic_seq_len)) p.tokens.resize(size_t(cfg.generic_seq_len));
    for (size_t t = 0; t < p.tokens.size(); ++t) p.positions.push_back(int64_t(t));
    prompts.push_back(std::move(p));
  }
  std::vector<std::string> hooks;
  std::vector<size_t> hook_layer;
  for (const auto& [k, ll] : by_layer) {
    hooks.push_back(layers[k].sae_hook);
    hook_layer.push_back(k);
  }
  std::vector<std::vector<TopContext>> best(wanted.size());
  const size_t keep = size_t(std::max(cfg.top_contexts, 0));
  capture_in_chunks(
      model, prompts, hooks, cfg.max_batch_tokens, 32, cfg.progress ? "latents: top contexts" : "",
      [&](size_t off, const CaptureResult& r) {
        for (size_t h = 0; h < hooks.size(); ++h) {
          const LayerLatents& ll = by_layer.at(hook_layer[h]);
          const auto a = encode_latents(*ll.sae, r.hook(hooks[h]).data.ptr(), r.rows(), ll.latents);
          const size_t L = ll.latents.size();
          // Rows of one prompt are contiguous and in position order.
          int64_t row = 0;
          while (row < r.rows()) {
            const int32_t p = r.prompt[row];
            int64_t end = row;
            while (end < r.rows() && r.prompt[end] == p) ++end;
            const size_t doc = off + size_t(p);
            for (size_t w = 0; w < wanted.size(); ++w) {
              if (wanted[w].layer_k != hook_layer[h]) continue;
              const size_t col = size_t(column_of(ll, wanted[w].latent));
              int64_t arg = -1;  // BOS excluded: the SAEs are not trained on it
              for (int64_t q = row; q < end; ++q)
                if (r.token[q] != tok.bos_id &&
                    (arg < 0 || a[size_t(q) * L + col] > a[size_t(arg) * L + col]))
                  arg = q;
              if (arg < 0) continue;
              const double mx = a[size_t(arg) * L + col];
              if (!(mx > cfg.fire_threshold)) continue;
              auto& list = best[w];
              if (list.size() >= keep && keep > 0 && mx <= list.back().max_act) continue;
              if (keep == 0) continue;
              TopContext c;
              c.doc = int64_t(doc);
              c.source = docs[doc].source;
              c.max_act = mx;
              c.doc_pos = r.position[arg];
              const int64_t b = std::max<int64_t>(row, arg - cfg.context_before);
              const int64_t e = std::min<int64_t>(end, arg + cfg.context_after + 1);
              for (int64_t q = b; q < e; ++q) {
                c.tokens.push_back(token_display(tok, r.token[q]));
                c.acts.push_back(a[size_t(q) * L + col]);
              }
              c.max_pos = arg - b;
              list.push_back(std::move(c));
              std::stable_sort(list.begin(), list.end(),
                               [](const auto& x, const auto& y) { return x.max_act > y.max_act; });
              if (list.size() > keep) list.pop_back();
            }
            row = end;
          }
        }
      });
  for (size_t w = 0; w < wanted.size(); ++w)
    R.top_contexts.push_back(
        {wanted[w].id, wanted[w].side, layers[wanted[w].layer_k].hook, std::move(best[w])});
}

}  // namespace

void run_generalisation_and_pictures(const Model& model, std::vector<ScoredLayer>& layers,
                                     const std::vector<EntityRow>& entities,
                                     const std::vector<FiringCounts>& selection_counts,
                                     const std::vector<FiringCounts>& all_counts,
                                     const std::vector<int>& types,
                                     const std::vector<CorpusDoc>& docs, LatentsResult& R) {
  leave_one_type_out(layers, entities, selection_counts, all_counts, types, R);
  // The latents the texts need: every top latent for the contexts, the first few token by token.
  std::vector<Wanted> wanted;
  std::map<size_t, LayerLatents> by_layer;
  for (Side side : {Side::known, Side::unknown}) {
    const auto& list = side == Side::known ? R.known : R.unknown;
    for (size_t i = 0; i < list.size(); ++i) {
      Wanted w;
      w.id = list[i].id;
      w.side = side_name(side);
      w.layer_k = index_of_layer(layers, list[i].layer);
      w.latent = list[i].latent;
      w.example = int(i) < R.config.example_latents;
      wanted.push_back(w);
      auto& ll = by_layer[w.layer_k].latents;
      if (std::find(ll.begin(), ll.end(), int32_t(w.latent)) == ll.end())
        ll.push_back(int32_t(w.latent));
    }
  }
  if (wanted.empty()) return;
  for (auto& [k, ll] : by_layer) ll.sae = &load_layer_sae(*layers[k].set_layer);
  if (!R.config.sentences.empty()) {
    std::map<size_t, LayerLatents> example_layers;
    for (const auto& w : wanted)
      if (w.example) example_layers[w.layer_k] = by_layer[w.layer_k];
    sentences_pass(model, layers, example_layers, wanted, R);
  }
  if (!docs.empty() && R.config.context_docs > 0 && R.config.top_contexts > 0)
    contexts_pass(model, layers, by_layer, wanted, docs, R);
  for (auto& [k, ll] : by_layer) layers[k].set_layer->sae.reset();
}

}  // namespace latents_detail
}  // namespace knowscope::study
