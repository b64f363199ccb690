// An in-memory file with a path (memfd, /proc/self/fd/N), rewritten in place: lets the malformed
// input and fuzz tests feed thousands of variants to path-taking readers without disk I/O.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace knowscope::test {

class MemFile {
 public:
  MemFile() : fd_(::memfd_create("knowscope_test", MFD_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error("memfd_create failed");
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  const std::string& path() const { return path_; }
  void set(const std::string& bytes) {
    if (::ftruncate(fd_, 0) != 0 ||
        ::pwrite(fd_, bytes.data(), bytes.size(), 0) != ssize_t(bytes.size()))
      throw std::runtime_error("memfd write failed");
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace knowscope::test
