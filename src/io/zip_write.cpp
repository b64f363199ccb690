// Zip writing: local headers, stored or raw-deflated data, central directory, end records (ZIP64
// records only when a size, offset or count needs them).
#include <zlib.h>

#include <algorithm>

#include "knowscope/core/error.h"
#include "zip.h"

namespace knowscope::zip {
namespace {

constexpr uint32_t kMax32 = 0xffffffffu;

void put16(std::string& s, uint16_t v) {
  s.push_back(char(v & 0xff));
  s.push_back(char(v >> 8));
}
void put32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(char((v >> (8 * i)) & 0xff));
}
void put64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s.push_back(char((v >> (8 * i)) & 0xff));
}

std::string deflate_raw(std::string_view in) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK)
    fail("", "zip", "zlib deflateInit2 failed");
  std::string out;
  constexpr size_t kChunk = size_t(1) << 20;
  size_t in_pos = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.avail_in == 0 && in_pos < in.size()) {
      size_t n = std::min(in.size() - in_pos, size_t(1) << 30);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + in_pos));
      zs.avail_in = uInt(n);
      in_pos += n;
    }
    size_t old = out.size();
    out.resize(old + kChunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    zs.avail_out = uInt(kChunk);
    rc = deflate(&zs, in_pos == in.size() && zs.avail_in == 0 ? Z_FINISH : Z_NO_FLUSH);
    out.resize(old + kChunk - zs.avail_out);
    if (rc == Z_STREAM_ERROR) {
      deflateEnd(&zs);
      fail("", "zip", "zlib deflate failed");
    }
  }
  deflateEnd(&zs);
  return out;
}

}  // namespace

std::string build(const std::vector<WriteEntry>& entries) {
  struct Placed {
    uint64_t offset, csize, usize;
    uint32_t crc;
    uint16_t method;
  };
  std::string out, central;
  std::vector<Placed> placed;
  // DOS date 1980-01-01 00:00 keeps archives reproducible.
  const uint16_t dos_time = 0, dos_date = (0 << 9) | (1 << 5) | 1;
  for (const auto& e : entries) {
    if (e.name.size() > 0xffff) fail(e.name, "zip", "entry name too long");
    std::string compressed;
    std::string_view payload = e.bytes;
    uint16_t method = 0;
    if (e.deflate) {
      compressed = deflate_raw(e.bytes);
      payload = compressed;
      method = 8;
    }
    Placed p{out.size(), payload.size(), e.bytes.size(), crc32_of(e.bytes), method};
    bool big = p.usize >= kMax32 || p.csize >= kMax32;
    put32(out, 0x04034b50);
    put16(out, big ? 45 : 20);
    put16(out, 0);  // flags
    put16(out, method);
    put16(out, dos_time);
    put16(out, dos_date);
    put32(out, p.crc);
    put32(out, big ? kMax32 : uint32_t(p.csize));
    put32(out, big ? kMax32 : uint32_t(p.usize));
    put16(out, uint16_t(e.name.size()));
    put16(out, big ? 20 : 0);
    out += e.name;
    if (big) {
      put16(out, 1);
      put16(out, 16);
      put64(out, p.usize);
      put64(out, p.csize);
    }
    out.append(payload.data(), payload.size());
    placed.push_back(p);
  }
  uint64_t cd_offset = out.size();
  for (size_t i = 0; i < entries.size(); ++i) {
    const Placed& p = placed[i];
    bool usize_big = p.usize >= kMax32, csize_big = p.csize >= kMax32,
         offset_big = p.offset >= kMax32;
    std::string extra;
    if (usize_big) put64(extra, p.usize);
    if (csize_big) put64(extra, p.csize);
    if (offset_big) put64(extra, p.offset);
    bool any = !extra.empty();
    put32(central, 0x02014b50);
    put16(central, (3 << 8) | 45);  // made by: Unix, spec 4.5
    put16(central, any ? 45 : 20);
    put16(central, 0);
    put16(central, p.method);
    put16(central, dos_time);
    put16(central, dos_date);
    put32(central, p.crc);
    put32(central, csize_big ? kMax32 : uint32_t(p.csize));
    put32(central, usize_big ? kMax32 : uint32_t(p.usize));
    put16(central, uint16_t(entries[i].name.size()));
    put16(central, any ? uint16_t(4 + extra.size()) : 0);
    put16(central, 0);  // comment
    put16(central, 0);  // disk
    put16(central, 0);  // internal attributes
    put32(central, 0644u << 16);
    put32(central, offset_big ? kMax32 : uint32_t(p.offset));
    central += entries[i].name;
    if (any) {
      put16(central, 1);
      put16(central, uint16_t(extra.size()));
      central += extra;
    }
  }
  out += central;
  uint64_t cd_size = central.size(), n = entries.size();
  bool need64 = n >= 0xffff || cd_size >= kMax32 || cd_offset >= kMax32;
  if (need64) {
    uint64_t end64 = out.size();
    put32(out, 0x06064b50);
    put64(out, 44);
    put16(out, (3 << 8) | 45);
    put16(out, 45);
    put32(out, 0);
    put32(out, 0);
    put64(out, n);
    put64(out, n);
    put64(out, cd_size);
    put64(out, cd_offset);
    put32(out, 0x07064b50);
    put32(out, 0);
    put64(out, end64);
    put32(out, 1);
  }
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, need64 ? 0xffff : uint16_t(n));
  put16(out, need64 ? 0xffff : uint16_t(n));
  put32(out, need64 ? kMax32 : uint32_t(cd_size));
  put32(out, need64 ? kMax32 : uint32_t(cd_offset));
  put16(out, 0);
  return out;
}

}  // namespace knowscope::zip
