// The paper's latent scores (paper-method.md 3.2, 3.3) on firing counts: per layer, how many
// known and unknown entities of each type each latent fires on; from them the frequencies, the
// separation scores s_known = f_known - f_unknown (s_unknown = -s_known), the per-layer MaxMin
// and per-type top-5 bands (Fig. 2), the global min-over-types selection with the generic-text
// frequency filter, and the random-latent controls. Pure functions of counts, so that they are
// tested on synthetic activations.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace knowscope::study {

enum class Side { known, unknown };
const char* side_name(Side s);  // "known" / "unknown"

// One layer: per entity type and label, the number of entities and, per latent, on how many of
// them the latent fires (activation > threshold).
struct FiringCounts {
  int64_t d_sae = 0;
  int n_types = 0;
  std::vector<int> n_known, n_unknown;              // [type]
  std::vector<int32_t> fires_known, fires_unknown;  // [type * d_sae + latent]

  FiringCounts() = default;
  FiringCounts(int types, int64_t latents);
  // One entity: the latents that fire on it.
  void add(int type, bool known, std::span<const int32_t> firing);
  // One entity from dense activations: fires where act > threshold.
  void add_dense(int type, bool known, const float* acts, double threshold = 1e-6);
  double freq(Side label, int type, int64_t latent) const;  // 0 when the group is empty
  int n(Side label, int type) const;
};

// s for `side` of latent j on type t: f_side - f_other.
double separation(const FiringCounts& c, Side side, int type, int64_t latent);

// Types with at least `min_entities` known and as many unknown entities: the ones a min over
// types ranges over.
std::vector<int> scorable_types(const FiringCounts& c, int min_entities = 1);

// Per latent, min (and mean) over `types` of s. Empty `types` gives all zeros.
std::vector<double> min_over_types(const FiringCounts& c, Side side, std::span<const int> types);
std::vector<double> mean_over_types(const FiringCounts& c, Side side, std::span<const int> types);

// MaxMin(l) = max_j min_t s[l, j, t]; `latent` the first j reaching it (-1 when d_sae == 0).
struct MaxMin {
  double value = 0;
  int64_t latent = -1;
};
MaxMin max_min(const FiringCounts& c, Side side, std::span<const int> types);

// Fig. 2's bands: the k largest s[l, :, t] of one type, their mean, min and max.
struct Band {
  double mean = 0, min = 0, max = 0;
};
Band top_band(const FiringCounts& c, Side side, int type, int k = 5);

// One layer as the global selection sees it.
struct LayerFiring {
  int layer = 0;  // paper layer l
  const FiringCounts* counts = nullptr;
  std::span<const double> generic_freq;  // [d_sae], firing frequency on generic text
};

struct SelectedLatent {
  int layer = 0;
  int64_t latent = 0;
  double score = 0;       // min over types of s
  double mean_score = 0;  // mean over types of s
  double generic_freq = 0;
};

// Eq. 7: every latent of every layer by min-over-types score, descending (ties: higher mean
// score, then lower generic frequency, then lower layer, then lower latent), dropping latents with
// generic frequency >= cap, the first `top_n` kept.
std::vector<SelectedLatent> select_latents(std::span<const LayerFiring> layers, Side side,
                                           std::span<const int> types, double generic_freq_cap,
                                           int top_n);

// The controls of 3.3: latents of this layer whose min-over-types score is exactly 0, in
// ascending order, sampled as random.seed(seed); random.sample(candidates, n) (all of them,
// shuffled the same way, when there are fewer than n). `candidates` receives their number.
std::vector<int64_t> random_control_latents(const FiringCounts& c, Side side,
                                            std::span<const int> types, int n, uint64_t seed,
                                            int64_t* candidates = nullptr);

// The paper's name: "L13F7957".
std::string latent_id(int layer, int64_t latent);

}  // namespace knowscope::study
