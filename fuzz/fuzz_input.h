// Hands a fuzzer's bytes to the path-taking readers through an in-memory file (memfd), so that
// no disk I/O slows the fuzzer down.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace knowscope::fuzz {

inline const std::string& input_path(const uint8_t* data, size_t size) {
  static int fd = ::memfd_create("knowscope_fuzz", MFD_CLOEXEC);
  static std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != ssize_t(size)) __builtin_trap();
  return path;
}

}  // namespace knowscope::fuzz
