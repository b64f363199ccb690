// Minimal zip archive support for .npz: list, extract (stored or deflated, CRC-checked) and build.
// ZIP64 records are read and written when sizes or offsets need them. Private to the io layer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace knowscope::zip {

struct Entry {
  std::string name;
  uint16_t flags = 0;
  uint16_t method = 0;  // 0 stored, 8 deflated
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
};

// Reads the central directory of the archive image [data, data + size). `where` names the file.
std::vector<Entry> list(const unsigned char* data, size_t size, const std::string& where);
// Validates the local header against the central directory entry, inflates if needed and checks
// the size and CRC-32.
std::string extract(const unsigned char* data, size_t size, const Entry& e,
                    const std::string& where);

struct WriteEntry {
  std::string name;
  std::string_view bytes;
  bool deflate = false;
};
// The bytes of a zip archive holding `entries` in order (fixed timestamps: reproducible output).
std::string build(const std::vector<WriteEntry>& entries);

uint32_t crc32_of(std::string_view bytes);

}  // namespace knowscope::zip
