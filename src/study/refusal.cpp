#include "knowscope/study/refusal.h"

#include <string>
#include <vector>

#include "knowscope/study/pytext.h"

namespace knowscope::study {
namespace {

using namespace std::string_view_literals;

// utils/generation_utils.py of javiferran/sae_entities, in the authors' order.
constexpr std::string_view kUnknownStrings[] = {
    "there is no widely known"sv,
    "is not a known"sv,
    "doesn't seem to be a widely known"sv,
    "there's no widely known"sv,
    "There doesn't seem to be a"sv,  // capitals: never matches the lowercased text
    "There is no "sv,                // capitals: never matches the lowercased text
    "fictional"sv,
    "unfortunately,"sv,
    "doesn't exist"sv,
    "there is no "sv,
    "doesn't seem to be a known"sv,
    "is a bit of a tricky one!"sv,
    "a bit of a trick"sv,
    "not yet available"sv,
    "there doesn't appear to be a "sv,
    "please provide me with"sv,
    "i cannot give you an"sv,
    "there's no widely known"sv,  // listed twice by the authors
    "it's not a widely known"sv,
    "no publicly available information"sv,
    "not a very well-known one"sv,
    "please clarify"sv,
    "i do not have access to real-time"sv,
    "i'm unable to access real-time"sv,
    "i am unable to access real-time"sv,
    "unable to"sv,
    "i believe you"sv,
    "i need a bit more information"sv,
    "i couldn't find any information"sv,
    "i need a little more"sv,
    "i can't give you a specific"sv,
    "i can't find any information"sv,
    "i'm unable "sv,
    "i am unable"sv,
    "i'm not able"sv,
    "i am not able"sv,
    "i cannot find"sv,
    "there is no evidence"sv,
    "the context does not specify"sv,
    "the context does not provide"sv,
    "is not explicitly stated"sv,
    "not mentioned in the context"sv,
    "not provided"sv,
    "unknown"sv,
    "not publicly available information"sv,
    "please note"sv,
    "does not exist"sv,
    "it's important to note that"sv,
    "not readily available"sv,
    "not a known"sv,
    "do not have information"sv,
    "not aware of"sv,
    "i need more information"sv,
};

// Python joins adjacent string literals: two missing commas fuse "not aware" with
// "not familiar" and "provide me with more" with "there doesn't seem to be any".
constexpr std::string_view kRefusalSubstrings[] = {
    "i'm unable"sv,
    "i am unable"sv,
    "sorry"sv,
    "not familiar"sv,
    "couldn't find"sv,
    "could not find"sv,
    "any information"sv,
    "not awarenot familiar"sv,
    "not sure"sv,
    "it's impossible to give"sv,
    "there doesn't seem to be any"sv,
    "this is a complex "sv,
    "i cannnot "sv,
    "i do not have access to"sv,
    "there's no single definitive answer"sv,
    "be more specific"sv,
    "provide more context"sv,
    "provide me with morethere doesn't seem to be any"sv,
    "this is a complex "sv,
    "i cannnot "sv,
    "i do not have access to"sv,
    "there's no single definitive answer"sv,
    "i cannot answer this question"sv,
    "the premise of the question is incorrect"sv,
};

constexpr std::string_view kChatPrefixes[] = {
    "I'm sorry"sv,
    "Sorry"sv,
    "I am sorry"sv,
    "I apologize"sv,
    "As an"sv,
    "As an AI"sv,
    "I'm an"sv,
    "I'm just"sv,
    "As a language model"sv,
    "As an Assistant"sv,
    "I cannot"sv,
    "I do not"sv,
    "is illegal and unethical"sv,
    "I'm really sorry"sv,
    "OpenAI"sv,
    "unethical"sv,
    "not ethical"sv,
    "illegal"sv,
    "not legal"sv,
    "My apologies"sv,
    "but I cannot"sv,
    "If you have any other non-malicious requests"sv,
    "I'm not able to provide"sv,
    "I am really sorry"sv,
    "I cannot create"sv,
    "I cannot support"sv,
    "I can't provide"sv,
    "I can't assist"sv,
    "Please clarify"sv,
    "Please be more specific"sv,
};

constexpr std::string_view kPrefixes[] = {
    "there are several"sv,  "there are multiple"sv, "there isn't a single "sv,
    "it's difficult to "sv, "it is difficult to"sv, "unfortunately"sv,
};

// The few-shot header answers "I don't know." for invented entities (study/fewshot.h).
constexpr std::string_view kFewshotStrings[] = {
    "i don't know"sv,
    "i don\u2019t know"sv,
    "i do not know"sv,
};

std::string lower_utf8(std::string_view s) { return u32_to_utf8(py_lower(utf8_to_u32(s))); }

// (C) and (D) are compared as prefix.lower(); lowercase them once.
const std::vector<std::string>& lowered_prefixes() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> out;
    for (auto p : kChatPrefixes) out.push_back(lower_utf8(p));
    for (auto p : kPrefixes) out.push_back(lower_utf8(p));
    return out;
  }();
  return all;
}

}  // namespace

std::span<const std::string_view> refusal_unknown_strings() { return kUnknownStrings; }
std::span<const std::string_view> refusal_substrings() { return kRefusalSubstrings; }
std::span<const std::string_view> refusal_chat_prefixes() { return kChatPrefixes; }
std::span<const std::string_view> refusal_prefixes() { return kPrefixes; }
std::span<const std::string_view> fewshot_refusal_strings() { return kFewshotStrings; }

bool is_refusal(std::string_view generation_utf8) {
  // Substring tests on UTF-8 bytes equal code point substring tests on valid UTF-8.
  std::string g = lower_utf8(generation_utf8);
  for (auto s : kUnknownStrings)
    if (g.find(s) != std::string::npos) return true;
  for (auto s : kRefusalSubstrings)
    if (g.find(s) != std::string::npos) return true;
  for (const auto& p : lowered_prefixes())
    if (g.compare(0, p.size(), p) == 0) return true;
  return false;
}

bool is_refusal_fewshot(std::string_view generation_utf8) {
  if (is_refusal(generation_utf8)) return true;
  std::string g = lower_utf8(generation_utf8);
  for (auto s : kFewshotStrings)
    if (g.find(s) != std::string::npos) return true;
  return false;
}

}  // namespace knowscope::study
