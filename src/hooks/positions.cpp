// Position specs and the two substring rules (byte spans, and the paper's decode search).
#include "knowscope/hooks/positions.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "knowscope/core/error.h"

namespace knowscope {
namespace {

const char* kForms =
    "valid forms: all, last, a comma list like 0,3,-1 (negative: from the end), "
    "substring:TEXT (the last token of TEXT)";

bool parse_int64(const std::string& s, int64_t& out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size()) return false;
  out = v;
  return true;
}

}  // namespace

PositionSpec parse_position_spec(const std::string& text) {
  PositionSpec spec;
  if (text == "all") {
    spec.kind = PositionSpec::Kind::All;
    return spec;
  }
  if (text == "last") {
    spec.kind = PositionSpec::Kind::Last;
    return spec;
  }
  const std::string sub = "substring:";
  if (text.compare(0, sub.size(), sub) == 0) {
    spec.kind = PositionSpec::Kind::Substring;
    spec.substring = text.substr(sub.size());
    if (spec.substring.empty()) fail("positions", "'" + text + "'", "empty substring");
    return spec;
  }
  spec.kind = PositionSpec::Kind::List;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    int64_t v = 0;
    if (!parse_int64(text.substr(start, comma - start), v))
      fail("positions", "'" + text + "'", std::string("not a position list; ") + kForms);
    spec.list.push_back(v);
    start = comma + 1;
  }
  return spec;
}

std::string position_spec_str(const PositionSpec& spec) {
  switch (spec.kind) {
    case PositionSpec::Kind::All:
      return "all";
    case PositionSpec::Kind::Last:
      return "last";
    case PositionSpec::Kind::Substring:
      return "substring:" + spec.substring;
    case PositionSpec::Kind::List: {
      std::string s;
      for (size_t i = 0; i < spec.list.size(); ++i) {
        if (i) s += ',';
        s += std::to_string(spec.list[i]);
      }
      return s;
    }
  }
  return "?";
}

std::optional<TokenSlice> substring_tokens_by_bytes(const std::vector<TokenSpan>& spans,
                                                    std::string_view text,
                                                    std::string_view substring) {
  if (substring.empty()) return std::nullopt;
  const size_t b = text.find(substring);
  if (b == std::string_view::npos) return std::nullopt;
  const size_t e = b + substring.size();
  // Tokens overlapping [b, e): the first and the last one (empty spans cover nothing).
  int64_t first = -1, last = -1;
  for (size_t t = 0; t < spans.size(); ++t) {
    const TokenSpan& s = spans[t];
    if (s.begin >= s.end) continue;
    if (s.begin < e && s.end > b) {
      if (first < 0) first = int64_t(t);
      last = int64_t(t);
    }
  }
  if (last < 0) return std::nullopt;
  return TokenSlice{first, last + 1};
}

std::optional<TokenSlice> substring_tokens_by_decode(const Tokenizer& tok,
                                                     const std::vector<int32_t>& ids,
                                                     std::string_view substring) {
  if (substring.empty()) return std::nullopt;
  std::vector<int32_t> part;
  int64_t end = -1;
  for (size_t e = 1; e <= ids.size(); ++e) {
    part.assign(ids.begin(), ids.begin() + int64_t(e));
    if (tok.decode(part).find(substring) != std::string::npos) {
      end = int64_t(e);
      break;
    }
  }
  if (end < 0) return std::nullopt;
  int64_t begin = 0;
  for (int64_t s = end - 1; s >= 0; --s) {
    part.assign(ids.begin() + s, ids.begin() + end);
    if (tok.decode(part).find(substring) != std::string::npos) {
      begin = s;
      break;
    }
  }
  return TokenSlice{begin, end};
}

std::vector<int64_t> resolve_positions(const PositionSpec& spec, const PositionContext& ctx,
                                       const std::string& where) {
  const int64_t n = ctx.n_tokens;
  if (n <= 0) fail(where, "positions", "the prompt has no tokens");
  std::vector<int64_t> out;
  switch (spec.kind) {
    case PositionSpec::Kind::All:
      for (int64_t i = 0; i < n; ++i) out.push_back(i);
      return out;
    case PositionSpec::Kind::Last:
      return {n - 1};
    case PositionSpec::Kind::List:
      for (int64_t p : spec.list) {
        const int64_t r = p < 0 ? n + p : p;
        if (r < 0 || r >= n)
          fail(where, "position " + std::to_string(p),
               "outside the prompt's " + std::to_string(n) +
                   " tokens (valid: " + std::to_string(-n) + ".." + std::to_string(n - 1) + ")");
        out.push_back(r);
      }
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
      return out;
    case PositionSpec::Kind::Substring: {
      std::optional<TokenSlice> s;
      if (ctx.rule == SubstringRule::ByteOffsets) {
        if (!ctx.spans) fail(where, "positions", "substring positions need the token spans");
        s = substring_tokens_by_bytes(*ctx.spans, ctx.text, spec.substring);
      } else {
        if (!ctx.tok || !ctx.ids) fail(where, "positions", "substring positions need a tokenizer");
        s = substring_tokens_by_decode(*ctx.tok, *ctx.ids, spec.substring);
      }
      if (!s) fail(where, "substring '" + spec.substring + "'", "not found in the prompt");
      if (s->end - 1 >= n)
        fail(where, "substring '" + spec.substring + "'", "lies past the prompt's tokens");
      return {s->end - 1};
    }
  }
  return out;
}

}  // namespace knowscope
