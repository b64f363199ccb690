// Models known by name. Files live in the cache ($KNOWSCOPE_HOME, default ~/.cache/knowscope),
// fetched by scripts/fetch_models.sh, never in the repository.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace knowscope {

struct KnownModel {
  std::string name;    // "gemma-3-270m"
  std::string file;    // file name under <cache>/models
  std::string sha256;  // of the whole file
  std::string about;
};

const std::vector<KnownModel>& known_models();
std::string cache_dir();  // $KNOWSCOPE_HOME or ~/.cache/knowscope
// A path as given (file or folder) if it exists, else a known model name resolved in the cache.
// Throws Error listing the known names when neither works.
std::string resolve_model_path(const std::string& name_or_path);

}  // namespace knowscope
