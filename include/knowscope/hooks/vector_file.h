// Reading a steering or ablation direction from a file: "dir.npy" (1-D, or [1, n]; f16/f32/f64)
// or "file.safetensors[:tensor]" (the tensor may be omitted when the file holds exactly one; a 2-D
// tensor with a row index "file.safetensors:W_dec[7957]" selects that row).
#pragma once

#include <string>
#include <vector>

namespace knowscope {

std::vector<float> load_vector(const std::string& spec);

}  // namespace knowscope
