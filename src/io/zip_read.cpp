// Zip reading: end-of-central-directory search, ZIP64 records, central directory entries, local
// headers, inflate and CRC-32. Every offset and size is checked against the image before use.
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include "knowscope/core/error.h"
#include "zip.h"

namespace knowscope::zip {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kEnd64Sig = 0x06064b50;
constexpr uint32_t kEnd64LocatorSig = 0x07064b50;

uint16_t u16(const unsigned char* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t u32(const unsigned char* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
uint64_t u64(const unsigned char* p) { return uint64_t(u32(p)) | (uint64_t(u32(p + 4)) << 32); }

// True when [offset, offset + len) lies inside [0, size), without overflow.
bool fits(uint64_t offset, uint64_t len, size_t size) {
  return offset <= size && len <= size - offset;
}

struct End {
  uint64_t entries = 0;
  uint64_t cd_size = 0;
  uint64_t cd_offset = 0;
};

End find_end(const unsigned char* data, size_t size, const std::string& where) {
  if (size < 22)
    fail(where, "zip", "file of " + std::to_string(size) + " bytes is too small for a zip archive");
  // The end record is 22 bytes plus a comment of up to 65535 bytes; take the last signature
  // whose comment length reaches exactly the end of the file.
  size_t lowest = size >= 22 + 65535 ? size - 22 - 65535 : 0;
  size_t pos = size - 22;
  bool found = false;
  for (;;) {
    if (u32(data + pos) == kEndSig && pos + 22 + u16(data + pos + 20) == size) {
      found = true;
      break;
    }
    if (pos == lowest) break;
    --pos;
  }
  if (!found)
    fail(where, "zip end of central directory", "not found: not a zip archive (or truncated)");
  const unsigned char* e = data + pos;
  if (u16(e + 4) != 0 || u16(e + 6) != 0)
    fail(where, "zip end of central directory", "multi-disk archives are not supported");
  End end;
  end.entries = u16(e + 10);
  end.cd_size = u32(e + 12);
  end.cd_offset = u32(e + 16);
  if (u16(e + 8) != u16(e + 10))
    fail(where, "zip end of central directory", "entries on this disk differ from total entries");

  // ZIP64: a locator sits right before the end record.
  if (pos >= 20 && u32(data + pos - 20) == kEnd64LocatorSig) {
    const unsigned char* loc = data + pos - 20;
    uint64_t off64 = u64(loc + 8);
    if (!fits(off64, 56, size) || off64 > pos - 20)
      fail(where, "zip64 end of central directory",
           "offset " + std::to_string(off64) + " outside the file");
    const unsigned char* e64 = data + off64;
    if (u32(e64) != kEnd64Sig) fail(where, "zip64 end of central directory", "bad signature");
    if (u32(e64 + 16) != 0 || u32(e64 + 20) != 0)
      fail(where, "zip64 end of central directory", "multi-disk archives are not supported");
    end.entries = u64(e64 + 32);
    end.cd_size = u64(e64 + 40);
    end.cd_offset = u64(e64 + 48);
  } else if (end.entries == 0xffff || end.cd_size == 0xffffffffu || end.cd_offset == 0xffffffffu) {
    fail(where, "zip end of central directory", "ZIP64 values announced but no ZIP64 locator");
  }
  if (!fits(end.cd_offset, end.cd_size, size) || end.cd_offset + end.cd_size > pos)
    fail(where, "zip central directory",
         "offset " + std::to_string(end.cd_offset) + " size " + std::to_string(end.cd_size) +
             " does not fit before the end record at " + std::to_string(pos));
  return end;
}

// Applies the ZIP64 extended-information extra field (id 1) to the fields that are maxed out.
void apply_zip64_extra(const unsigned char* extra, size_t len, Entry& e, bool usize_max,
                       bool csize_max, bool offset_max, const std::string& where) {
  size_t p = 0;
  while (p + 4 <= len) {
    uint16_t id = u16(extra + p), n = u16(extra + p + 2);
    if (p + 4 + n > len) fail(where, "zip entry '" + e.name + "' extra field", "runs past its end");
    if (id == 1) {
      const unsigned char* f = extra + p + 4;
      size_t q = 0;
      auto take = [&](uint64_t& v) {
        if (q + 8 > n) fail(where, "zip entry '" + e.name + "' zip64 extra", "too short");
        v = u64(f + q);
        q += 8;
      };
      if (usize_max) take(e.uncompressed_size);
      if (csize_max) take(e.compressed_size);
      if (offset_max) take(e.local_header_offset);
      return;
    }
    p += 4 + n;
  }
  if (usize_max || csize_max || offset_max)
    fail(where, "zip entry '" + e.name + "'", "sizes say ZIP64 but there is no zip64 extra field");
}

// Inflates a raw deflate stream of exactly `in_len` bytes into exactly out.size() bytes. zlib
// counts in uInt, so input and output are fed in chunks (entries over 4 GiB work).
void inflate_exact(const unsigned char* in, uint64_t in_len, std::string& out,
                   const std::string& where, const std::string& field) {
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) fail(where, field, "zlib inflateInit2 failed");
  constexpr uint64_t kChunk = 1u << 30;
  uint64_t in_pos = 0, out_pos = 0;
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  std::string error;
  for (;;) {
    if (zs.avail_in == 0 && in_pos < in_len) {
      zs.next_in = const_cast<unsigned char*>(in + in_pos);
      zs.avail_in = uInt(std::min(in_len - in_pos, kChunk));
      in_pos += zs.avail_in;
    }
    if (zs.avail_out == 0 && out_pos < out.size()) {
      zs.next_out = dst + out_pos;
      zs.avail_out = uInt(std::min<uint64_t>(out.size() - out_pos, kChunk));
      out_pos += zs.avail_out;
    }
    unsigned char probe;
    bool probing = zs.avail_out == 0;  // output full: the stream must end without more output
    if (probing) {
      zs.next_out = &probe;
      zs.avail_out = 1;
    }
    int rc = inflate(&zs, Z_NO_FLUSH);
    if (probing && zs.avail_out == 0) {
      error = "inflates to more than the announced " + std::to_string(out.size()) + " bytes";
      break;
    }
    if (rc == Z_STREAM_END) break;
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && in_pos == in_len) {
      error = "deflate stream is truncated";
    } else {
      error = std::string("corrupt deflate data: ") + (zs.msg ? zs.msg : "zlib error");
    }
    break;
  }
  uint64_t produced = zs.total_out, consumed = zs.total_in;
  inflateEnd(&zs);
  if (!error.empty()) fail(where, field, error);
  if (produced != out.size())
    fail(where, field,
         "inflated to " + std::to_string(produced) + " bytes, expected " +
             std::to_string(out.size()));
  if (consumed != in_len)
    fail(where, field,
         "deflate stream ends after " + std::to_string(consumed) + " of " + std::to_string(in_len) +
             " bytes");
}

}  // namespace

std::vector<Entry> list(const unsigned char* data, size_t size, const std::string& where) {
  End end = find_end(data, size, where);
  std::vector<Entry> out;
  std::set<std::string> names;
  uint64_t p = end.cd_offset, stop = end.cd_offset + end.cd_size;
  for (uint64_t i = 0; i < end.entries; ++i) {
    std::string field = "zip central directory entry " + std::to_string(i);
    if (p + 46 > stop) fail(where, field, "runs past the central directory");
    const unsigned char* h = data + p;
    if (u32(h) != kCentralSig) fail(where, field, "bad signature");
    Entry e;
    e.flags = u16(h + 8);
    e.method = u16(h + 10);
    e.crc32 = u32(h + 16);
    e.compressed_size = u32(h + 20);
    e.uncompressed_size = u32(h + 24);
    uint16_t name_len = u16(h + 28), extra_len = u16(h + 30), comment_len = u16(h + 32);
    e.local_header_offset = u32(h + 42);
    if (p + 46 + name_len + extra_len + comment_len > stop)
      fail(where, field, "name/extra/comment run past the central directory");
    e.name.assign(reinterpret_cast<const char*>(h + 46), name_len);
    field = "zip entry '" + e.name + "'";
    apply_zip64_extra(h + 46 + name_len, extra_len, e, e.uncompressed_size == 0xffffffffu,
                      e.compressed_size == 0xffffffffu, e.local_header_offset == 0xffffffffu,
                      where);
    if (u16(h + 34) != 0 && u16(h + 34) != 0xffff)
      fail(where, field, "multi-disk archives are not supported");
    if (e.flags & 1) fail(where, field, "encrypted entries are not supported");
    if (e.method != 0 && e.method != 8)
      fail(where, field,
           "compression method " + std::to_string(e.method) +
               " not supported (expected 0 stored or 8 deflated)");
    if (e.method == 0 && e.compressed_size != e.uncompressed_size)
      fail(where, field,
           "stored entry with compressed size " + std::to_string(e.compressed_size) +
               " != uncompressed size " + std::to_string(e.uncompressed_size));
    if (!fits(e.local_header_offset, 30, size) || e.local_header_offset >= end.cd_offset)
      fail(where, field,
           "local header offset " + std::to_string(e.local_header_offset) +
               " outside the data area");
    if (!names.insert(e.name).second) fail(where, field, "duplicate entry name");
    out.push_back(std::move(e));
    p += 46 + name_len + extra_len + comment_len;
  }
  if (p != stop)
    fail(where, "zip central directory",
         "size " + std::to_string(end.cd_size) + " does not match its " +
             std::to_string(end.entries) + " entries");
  return out;
}

std::string extract(const unsigned char* data, size_t size, const Entry& e,
                    const std::string& where) {
  std::string field = "zip entry '" + e.name + "'";
  const unsigned char* h = data + e.local_header_offset;  // list() checked 30 bytes fit
  if (u32(h) != kLocalSig) fail(where, field, "bad local header signature");
  uint16_t name_len = u16(h + 26), extra_len = u16(h + 28);
  uint64_t start = e.local_header_offset + 30 + name_len + extra_len;
  if (!fits(e.local_header_offset + 30, uint64_t(name_len) + extra_len, size))
    fail(where, field, "local header name/extra run past the end of the file");
  if (std::string_view(reinterpret_cast<const char*>(h + 30), name_len) != e.name)
    fail(where, field, "local header name differs from the central directory");
  if (u16(h + 8) != e.method)
    fail(where, field, "local header method differs from the central directory");
  // Without a data descriptor (flag bit 3) the local header repeats the CRC.
  if (!(u16(h + 6) & 8) && u32(h + 14) != e.crc32)
    fail(where, field, "local header CRC-32 differs from the central directory");
  if (!fits(start, e.compressed_size, size))
    fail(where, field,
         "data at offset " + std::to_string(start) + " with " + std::to_string(e.compressed_size) +
             " bytes runs past the end of the file (size " + std::to_string(size) + ")");
  // Deflate expands at most ~1032:1; a larger claim is corrupt (and would allocate for nothing).
  if (e.method == 8 && e.uncompressed_size / 1100 > e.compressed_size + 1)
    fail(where, field,
         "uncompressed size " + std::to_string(e.uncompressed_size) + " is impossible for " +
             std::to_string(e.compressed_size) + " deflated bytes");
  const unsigned char* src = data + start;
  std::string out;
  if (e.method == 0) {
    out.assign(reinterpret_cast<const char*>(src), e.compressed_size);
  } else {
    out.resize(e.uncompressed_size);
    inflate_exact(src, e.compressed_size, out, where, field);
  }
  uint32_t crc = crc32_of(out);
  if (crc != e.crc32)
    fail(where, field,
         "CRC-32 mismatch (stored " + std::to_string(e.crc32) + ", computed " +
             std::to_string(crc) + "): the data is corrupt");
  return out;
}

uint32_t crc32_of(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = reinterpret_cast<const Bytef*>(bytes.data());
  size_t left = bytes.size();
  while (left > 0) {
    uInt n = uInt(std::min<size_t>(left, 1u << 30));
    crc = crc32(crc, p, n);
    p += n;
    left -= n;
  }
  return uint32_t(crc);
}

}  // namespace knowscope::zip
