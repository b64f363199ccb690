// A read-only memory map of a whole file.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace knowscope {

class MappedFile {
 public:
  // Throws Error naming the path if the file cannot be opened or mapped. Empty files map to size 0.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  const unsigned char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  std::string path_;
  const unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace knowscope
