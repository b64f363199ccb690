// Choosing the next token from logits: greedy, or sampled with temperature, top-k, top-p and
// min-p, from a seeded std::mt19937_64 so that results are reproducible.
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace knowscope {

struct SamplingParams {
  float temperature = 0.0f;  // <= 0: greedy (argmax, lowest id on ties)
  int top_k = 0;             // keep the k most likely tokens; 0: off
  float top_p = 1.0f;        // keep the smallest set whose probability reaches top_p; 1: off
  float min_p = 0.0f;        // drop tokens below min_p * p(most likely); 0: off
  bool greedy() const { return temperature <= 0.0f; }
};

// Index of the largest value (the first one on ties).
int32_t argmax(const float* logits, int64_t n);

// log softmax(logits)[id]: max-subtracted, exponentials in float, their sum in double.
double log_softmax_at(const float* logits, int64_t n, int32_t id);

// A seeded sampler. Filters apply in the order of Hugging Face's generate: temperature, then
// top-k, top-p and min-p on the tempered distribution; then one draw.
class Sampler {
 public:
  explicit Sampler(SamplingParams params = {}, uint64_t seed = 0);
  int32_t sample(const float* logits, int64_t n);
  const SamplingParams& params() const { return params_; }
  // A uniform double in [0, 1) from 53 bits of the generator (the same on every platform).
  double uniform();

 private:
  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<std::pair<float, int32_t>> cand_;  // reused between calls
  std::vector<float> probs_;
};

// A well-mixed seed for (base seed, prompt, sample), so each completion's draws do not depend on
// which others run beside it.
uint64_t derive_seed(uint64_t seed, uint64_t prompt, uint64_t sample);

}  // namespace knowscope
