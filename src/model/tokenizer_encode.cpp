// Encoding: special tokens, normalization, pre-tokenization, then BPE merges on each word, keeping
// the byte range of the input that every token covers.
#include <algorithm>
#include <queue>

#include "knowscope/core/error.h"
#include "model/tokenizer_impl.h"
#include "model/unicode.h"

namespace knowscope {
namespace {

struct Symbol {
  uint32_t b, e;  // byte range in the normalized text; b == e: merged into its left neighbour
  int32_t id;     // token (or past-vocabulary merge text); -1: not a token
  int32_t prev, next;
};

struct Candidate {
  float score;  // higher merges first
  int32_t left, right;
  uint32_t end;    // right symbol's end when queued, to detect stale candidates
  int32_t result;  // id of the merged symbol
};

struct CandidateOrder {
  bool operator()(const Candidate& a, const Candidate& b) const {
    // priority_queue pops the largest: best score, then leftmost.
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

uint64_t pair_key(int32_t a, int32_t b) {
  return (uint64_t(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

}  // namespace

std::vector<int32_t> Tokenizer::encode(std::string_view text, const EncodeOptions& opt) const {
  auto spans = encode_spans(text, opt);
  std::vector<int32_t> ids(spans.size());
  for (size_t i = 0; i < spans.size(); ++i) ids[i] = spans[i].id;
  return ids;
}

Normalized BpeTokenizer::normalize(std::string_view text, size_t begin, size_t end) const {
  Normalized n;
  n.text.assign(text.substr(begin, end - begin));
  n.lo.resize(n.text.size());
  n.hi.resize(n.text.size());
  for (size_t i = 0; i < n.text.size(); ++i) {
    n.lo[i] = static_cast<uint32_t>(begin + i);
    n.hi[i] = static_cast<uint32_t>(begin + i + 1);
  }
  for (const NormStep& step : spec.normalize) {
    if (n.text.empty()) break;
    Normalized m;
    switch (step.kind) {
      case NormKind::Replace: {
        if (step.from.empty() || n.text.find(step.from) == std::string::npos) continue;
        m.text.reserve(n.text.size() + n.text.size() / 2);
        size_t pos = 0;
        while (pos < n.text.size()) {
          if (n.text.compare(pos, step.from.size(), step.from) == 0) {
            m.push(step.to, n.lo[pos], n.hi[pos + step.from.size() - 1]);
            pos += step.from.size();
          } else {
            m.text += n.text[pos];
            m.lo.push_back(n.lo[pos]);
            m.hi.push_back(n.hi[pos]);
            ++pos;
          }
        }
        break;
      }
      case NormKind::Prepend:
      case NormKind::PrependUnless:
      case NormKind::PrependFirst: {
        bool starts = n.text.compare(0, step.to.size(), step.to) == 0;
        if (step.kind != NormKind::Prepend && starts) continue;
        if (step.kind == NormKind::PrependFirst && begin != 0) continue;
        m.push(step.to, n.lo[0], n.lo[0]);  // covers no input byte
        m.text += n.text;
        m.lo.insert(m.lo.end(), n.lo.begin(), n.lo.end());
        m.hi.insert(m.hi.end(), n.hi.begin(), n.hi.end());
        break;
      }
      case NormKind::ValidUtf8: {
        bool valid = true;
        for (size_t pos = 0; valid && pos < n.text.size();) {
          size_t at = pos;
          valid = decode_utf8(n.text, pos) != 0xFFFD || n.text.compare(at, 3, "\xEF\xBF\xBD") == 0;
        }
        if (valid) continue;
        for (size_t pos = 0; pos < n.text.size();) {
          size_t at = pos;
          if (decode_utf8(n.text, pos) == 0xFFFD && n.text.compare(at, 3, "\xEF\xBF\xBD") != 0) {
            m.push("\xEF\xBF\xBD", n.lo[at], n.hi[at]);
            continue;
          }
          for (size_t k = at; k < pos; ++k) {
            m.text += n.text[k];
            m.lo.push_back(n.lo[k]);
            m.hi.push_back(n.hi[k]);
          }
        }
        break;
      }
      case NormKind::Nfc: {
        std::vector<std::pair<uint32_t, uint32_t>> src;
        std::string composed = nfc(n.text, &src);
        for (size_t i = 0; i < composed.size();) {
          size_t len =
              std::min(utf8_len(static_cast<unsigned char>(composed[i])), composed.size() - i);
          auto [a, b] = src[i];
          if (b - a == 1 && len > 1 && src[i + len - 1].second - src[i + len - 1].first == 1) {
            for (size_t k = 0; k < len; ++k) {  // unchanged character: byte for byte
              m.text += composed[i + k];
              m.lo.push_back(n.lo[src[i + k].first]);
              m.hi.push_back(n.hi[src[i + k].first]);
            }
          } else if (i > 0 && src[i - 1] == src[i]) {
            // Later characters of a run that composition or reordering made share one source
            // range: the run's first byte covers it.
            m.push(std::string_view(composed).substr(i, len), n.hi[b - 1], n.hi[b - 1]);
          } else {
            m.push(std::string_view(composed).substr(i, len), n.lo[a], n.hi[b - 1]);
          }
          i += len;
        }
        break;
      }
    }
    n = std::move(m);
  }
  return n;
}

void BpeTokenizer::push_bytes(const Normalized& n, uint32_t begin, uint32_t end,
                              std::vector<TokenSpan>& out) const {
  for (uint32_t i = begin; i < end; ++i) {
    unsigned char byte = static_cast<unsigned char>(n.text[i]);
    if (spec.byte_level) {
      // llama.cpp: a merged text that is not a token is emitted as the one-byte tokens of its
      // characters' encoding; bytes that are not tokens are dropped.
      for (char c : byte_chars[byte]) {
        int32_t id = index.find(std::string_view(&c, 1));
        if (id >= 0 && id < vocab_size()) out.push_back({id, n.lo[i], n.hi[i]});
      }
      continue;
    }
    int32_t id = byte_tokens[byte];
    if (id < 0 || id >= vocab_size()) {
      id = unk_id;
      if (id < 0)
        fail(source, "encode",
             "byte " + std::to_string(byte) +
                 " has no <0xXX> token and the vocabulary has no unknown token");
    }
    out.push_back({id, n.lo[i], n.hi[i]});
  }
}

void BpeTokenizer::encode_word(const Normalized& n, uint32_t begin, uint32_t end,
                               std::vector<TokenSpan>& out) const {
  if (begin >= end) return;
  const int32_t nvocab = vocab_size();
  const std::string& text = n.text;

  if (spec.ignore_merges) {
    int32_t id;
    if (spec.byte_level) {
      std::string encoded;
      for (uint32_t i = begin; i < end; ++i)
        encoded += byte_chars[static_cast<unsigned char>(text[i])];
      id = index.find(encoded);
    } else {
      id = index.find(std::string_view(text).substr(begin, end - begin));
    }
    if (id >= 0 && id < nvocab) {
      out.push_back({id, n.lo[begin], n.hi[end - 1]});
      return;
    }
  }

  std::vector<Symbol> sym;
  sym.reserve(end - begin);
  auto add = [&](uint32_t b, uint32_t e, int32_t id) {
    int32_t k = static_cast<int32_t>(sym.size());
    sym.push_back({b, e, id, k - 1, k + 1});
  };
  if (spec.byte_level) {
    for (uint32_t i = begin; i < end; ++i)
      add(i, i + 1, byte_tokens[static_cast<unsigned char>(text[i])]);
  } else {
    for (uint32_t i = begin; i < end;) {
      uint32_t len = std::min<uint32_t>(utf8_len(static_cast<unsigned char>(text[i])), end - i);
      int32_t id = index.find(std::string_view(text).substr(i, len));
      if (id >= nvocab) id = -1;
      if (id < 0 && spec.merge_rule == MergeRule::Ranks) {
        // Hugging Face BPE: a character outside the vocabulary becomes its bytes' <0xXX> tokens,
        // or <unk> (consecutive ones fused when fuse_unk).
        bool bytes_ok = spec.byte_fallback;
        for (uint32_t k = i; bytes_ok && k < i + len; ++k)
          bytes_ok = byte_tokens[static_cast<unsigned char>(text[k])] >= 0;
        if (bytes_ok) {
          for (uint32_t k = i; k < i + len; ++k)
            add(k, k + 1, byte_tokens[static_cast<unsigned char>(text[k])]);
        } else if (unk_id >= 0) {
          if (spec.fuse_unk && !sym.empty() && sym.back().id == unk_id && sym.back().e == i)
            sym.back().e = i + len;
          else
            add(i, i + len, unk_id);
        }
        i += len;
        continue;
      }
      add(i, i + len, id);
      i += len;
    }
  }
  if (sym.empty()) return;
  sym.back().next = -1;

  std::priority_queue<Candidate, std::vector<Candidate>, CandidateOrder> queue;
  auto try_pair = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    const Symbol& L = sym[l];
    const Symbol& R = sym[r];
    if (spec.merge_rule == MergeRule::Scores) {
      int32_t id = index.find(std::string_view(text).substr(L.b, R.e - L.b));
      if (id < 0 || id >= nvocab) return;
      queue.push({scores[id], l, r, R.e, id});
    } else {
      if (L.id < 0 || R.id < 0) return;
      auto it = merges.find(pair_key(L.id, R.id));
      if (it == merges.end()) return;
      queue.push({-static_cast<float>(it->second.rank), l, r, R.e, it->second.result});
    }
  };
  for (int32_t i = 1; i < static_cast<int32_t>(sym.size()); ++i) try_pair(i - 1, i);
  while (!queue.empty()) {
    Candidate c = queue.top();
    queue.pop();
    Symbol& L = sym[c.left];
    Symbol& R = sym[c.right];
    if (L.b == L.e || R.b == R.e || L.next != c.right || R.e != c.end) continue;  // stale
    L.e = R.e;
    L.id = c.result;
    L.next = R.next;
    R.b = R.e;
    if (R.next >= 0) sym[R.next].prev = c.left;
    try_pair(L.prev, c.left);
    try_pair(c.left, L.next);
  }

  for (int32_t i = 0; i >= 0; i = sym[i].next) {
    const Symbol& s = sym[i];
    if (s.id >= 0 && s.id < nvocab)
      out.push_back({s.id, n.lo[s.b], n.hi[s.e - 1]});
    else
      push_bytes(n, s.b, s.e, out);
  }
}

void BpeTokenizer::encode_normalized(const Normalized& n, size_t begin, size_t end,
                                     std::vector<TokenSpan>& out) const {
  std::string_view piece = std::string_view(n.text).substr(begin, end - begin);
  if (spec.pre_split.empty()) {
    encode_word(n, static_cast<uint32_t>(begin), static_cast<uint32_t>(end), out);
    return;
  }
  for (auto [wb, we] : pre_split(piece))
    encode_word(n, static_cast<uint32_t>(begin + wb), static_cast<uint32_t>(begin + we), out);
}

void BpeTokenizer::encode_raw(std::string_view text, size_t begin, size_t end,
                              std::vector<TokenSpan>& out) const {
  Normalized n = normalize(text, begin, end);
  if (normalized_trie.empty()) {
    encode_normalized(n, 0, n.text.size(), out);
    return;
  }
  // Added tokens that match the normalized text (Hugging Face "normalized": true).
  size_t start = 0, pos = 0;
  auto any = [](int) { return true; };
  while (pos < n.text.size()) {
    int t = normalized_trie.longest_at(n.text, pos, any);
    if (t < 0) {
      ++pos;
      continue;
    }
    size_t me = pos + added[t].text.size();
    if (pos > start) encode_normalized(n, start, pos, out);
    out.push_back({added[t].id, n.lo[pos], n.hi[me - 1]});
    start = pos = me;
  }
  if (start < n.text.size()) encode_normalized(n, start, n.text.size(), out);
}

std::vector<TokenSpan> BpeTokenizer::encode_spans(std::string_view text,
                                                  const EncodeOptions& opt) const {
  std::vector<TokenSpan> out;
  out.reserve(text.size() / 3 + 4);
  // llama.cpp's add_special: BOS when the tokenizer asks for it (bos_auto), EOS likewise.
  bool special_ends = opt.add_bos && opt.bos_auto;
  bool bos = opt.add_bos && (!opt.bos_auto || add_bos);
  if (bos && bos_id >= 0) out.push_back({bos_id, 0, 0});
  for (const Fragment& f : split_special(text, opt.parse_special)) {
    if (f.id >= 0)
      out.push_back({f.id, f.begin, f.end});
    else
      encode_raw(text, f.begin, f.end, out);
  }
  if (special_ends && add_eos && eos_id >= 0) out.push_back({eos_id, text.size(), text.size()});
  return out;
}

}  // namespace knowscope
