// Write a file so that readers never see it half-written: write to "<path>.tmp.<pid>", fsync,
// rename.
#pragma once

#include <string>
#include <string_view>

namespace knowscope {

void write_file_atomic(const std::string& path, std::string_view bytes);
std::string read_file(const std::string& path);  // throws Error naming the path

}  // namespace knowscope
