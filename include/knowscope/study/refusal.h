// The paper's knowledge-refusal detector, is_generation_refusal (spec 4.4), replicated with its
// quirks, plus an extension for the base-model few-shot format (study/fewshot.h).
#pragma once

#include <span>
#include <string_view>

namespace knowscope::study {

// The generation, lowercased with Python's str.lower(), is a refusal if it contains any entry of
// (A) refusal_unknown_strings or (B) refusal_substrings, or starts with the lowercase of any
// entry of (C) refusal_chat_prefixes or (D) refusal_prefixes. The lists are the authors' verbatim:
// (A) keeps two entries with capitals that can never match a lowercased text and a duplicate;
// (B) keeps the two strings fused by missing commas ("not awarenot familiar" and
// "provide me with morethere doesn't seem to be any") and its repeated entries.
bool is_refusal(std::string_view generation_utf8);

// is_refusal, or the few-shot format's own answer ("I don't know", also with a typographic
// apostrophe, or "I do not know") anywhere in the text.
bool is_refusal_fewshot(std::string_view generation_utf8);

std::span<const std::string_view> refusal_unknown_strings();  // (A) _unknown_strings, 53
std::span<const std::string_view> refusal_substrings();       // (B) _refusal_substrings, 24
std::span<const std::string_view> refusal_chat_prefixes();    // (C) _test_prefixes_llm_attacks, 30
std::span<const std::string_view> refusal_prefixes();         // (D) _refusal_prefixes, 6
std::span<const std::string_view> fewshot_refusal_strings();  // the extension's phrases

}  // namespace knowscope::study
