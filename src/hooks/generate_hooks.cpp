// Connecting a HookSet to generate().
#include "knowscope/hooks/generate_hooks.h"

#include <memory>

namespace knowscope {

void attach_hooks(HookSet& hs, GenerateOptions& options) {
  options.hooks = hs.forward_hooks();
  auto infos = std::make_shared<std::vector<SeqInfo>>();  // reused: no allocation once warm
  options.on_batch = [&hs, infos](std::span<const GenerateSeq> seqs) {
    infos->resize(seqs.size());
    for (size_t i = 0; i < seqs.size(); ++i)
      (*infos)[i] = {seqs[i].prompt, seqs[i].sample, seqs[i].prompt_tokens};
    hs.set_batch(*infos);
  };
}

}  // namespace knowscope
