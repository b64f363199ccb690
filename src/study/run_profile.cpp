// The profiles of `knowscope run` (run.h). Sizes were chosen from the measured speeds of each
// stage on the 2-core machine; docs/run.md has the arithmetic.
#include "knowscope/core/error.h"
#include "knowscope/study/run.h"

namespace knowscope::study {

RunProfile run_profile(const std::string& name) {
  RunProfile p;
  p.name = name;
  if (name == "quick") {
    // Movies only: the type where gemma-3-270m knows a few entities (docs/labelling.md), so the
    // known side exists; the default profile's labels of them (greedy + 10) are reused.
    p.label_types = {"movie"};
    p.label_per_type = 20;
    p.label_samples = 10;
    p.sae_profile = "quick";
    p.latents_generic_docs = 300;
    p.steer_n_per_type = 4;
    p.steer_n_random = 2;
    p.patch_pairs = 4;
    p.attention_n = 6;
    p.uncertainty_per_type = 5;
    p.budget_minutes = 10;
  } else if (name == "default") {
    // the defaults of the struct
  } else if (name == "full") {
    p.label_per_type = 0;
    p.label_samples = 10;
    p.label_early_stop = false;
    p.label_min_known_attributes = 2;  // the paper's rule
    p.sae_profile = "full";
    p.latents_generic_docs = 10000;
    p.latents_min_type_entities = 1;  // the paper's
    p.steer_n_per_type = 100;
    p.steer_n_random = 10;
    p.patch_pairs = 32;
    p.attention_n = 100;
    p.uncertainty_per_type = 0;
    p.budget_minutes = 0;  // paper-sized: hours
  } else {
    fail("--profile", "", "unknown profile '" + name + "' (quick, default, full)");
  }
  return p;
}

}  // namespace knowscope::study
