// The .npy format itself: magic, version, the Python-literal header dict and the data block.
#include <cctype>
#include <cstring>
#include <limits>

#include "knowscope/core/error.h"
#include "knowscope/io/npy.h"

namespace knowscope {
namespace {

struct TypeRow {
  NpyType type;
  const char* descr;
  size_t size;
};
constexpr TypeRow kTypes[] = {
    {NpyType::F16, "<f2", 2}, {NpyType::F32, "<f4", 4}, {NpyType::F64, "<f8", 8},
    {NpyType::I8, "|i1", 1},  {NpyType::I16, "<i2", 2}, {NpyType::I32, "<i4", 4},
    {NpyType::I64, "<i8", 8}, {NpyType::U8, "|u1", 1},  {NpyType::U16, "<u2", 2},
    {NpyType::U32, "<u4", 4}, {NpyType::U64, "<u8", 8}, {NpyType::Bool, "|b1", 1},
};

// A parser for the header: a Python dict literal with str keys and str / bool / int-tuple values.
struct HeaderParser {
  std::string_view s;
  size_t p = 0;
  const std::string& where;

  [[noreturn]] void error(const std::string& what) const {
    fail(
        where, "npy header",
        what + " at offset " + std::to_string(p) + " in \"" + std::string(s.substr(0, 200)) + "\"");
  }
  void ws() {
    while (p < s.size() && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) ++p;
  }
  bool eat(char c) {
    ws();
    if (p < s.size() && s[p] == c) {
      ++p;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c)) error(std::string("expected '") + c + "'");
  }
  std::string string_lit() {
    ws();
    if (p >= s.size() || (s[p] != '\'' && s[p] != '"')) error("expected a string");
    char q = s[p++];
    std::string out;
    while (p < s.size() && s[p] != q) {
      if (s[p] == '\\') error("escapes in strings are not supported");
      out.push_back(s[p++]);
    }
    if (p >= s.size()) error("unterminated string");
    ++p;
    return out;
  }
  bool starts(std::string_view w) const { return s.substr(p, w.size()) == w; }
  bool bool_lit() {
    ws();
    if (starts("True")) {
      p += 4;
      return true;
    }
    if (starts("False")) {
      p += 5;
      return false;
    }
    error("expected True or False");
  }
  Shape tuple_lit() {
    expect('(');
    Shape out;
    if (eat(')')) return out;
    for (;;) {
      ws();
      if (p >= s.size() || !std::isdigit(static_cast<unsigned char>(s[p])))
        error("expected a non-negative integer in 'shape'");
      int64_t v = 0;
      while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
        int d = s[p++] - '0';
        if (v > (std::numeric_limits<int64_t>::max() - d) / 10) error("dimension overflows int64");
        v = v * 10 + d;
      }
      if (p < s.size() && s[p] == 'L') ++p;  // Python 2 long suffix
      out.push_back(v);
      if (eat(')')) return out;
      expect(',');
      if (eat(')')) return out;
    }
  }
};

// Row-major copy of an array stored in Fortran (column-major) order.
std::vector<unsigned char> fortran_to_c(const unsigned char* src, const Shape& shape, size_t item) {
  int64_t n = shape_numel(shape);
  std::vector<unsigned char> dst(size_t(n) * item);
  size_t nd = shape.size();
  std::vector<int64_t> idx(nd, 0), stride(nd, 1);  // Fortran strides in elements
  for (size_t k = 1; k < nd; ++k) stride[k] = stride[k - 1] * shape[k - 1];
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    for (size_t k = 0; k < nd; ++k) off += idx[k] * stride[k];
    std::memcpy(dst.data() + size_t(i) * item, src + size_t(off) * item, item);
    for (size_t k = nd; k-- > 0;) {  // C-order increment: last index fastest
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return dst;
}

}  // namespace

std::optional<NpyType> npy_type_from_descr(std::string_view d) {
  for (const auto& r : kTypes) {
    if (d == r.descr) return r.type;
    // One-byte types may be written with '<', '>' or '=' too; native '=' means little here.
    if (r.size == 1 && d.size() == 3 && (d[0] == '<' || d[0] == '=' || d[0] == '>') &&
        d.substr(1) == std::string_view(r.descr).substr(1))
      return r.type;
    if (r.size > 1 && d.size() == 3 && d[0] == '=' &&
        d.substr(1) == std::string_view(r.descr).substr(1))
      return r.type;
  }
  return std::nullopt;
}

std::string npy_descr(NpyType t) {
  for (const auto& r : kTypes)
    if (r.type == t) return r.descr;
  return "?";
}

size_t npy_item_size(NpyType t) {
  for (const auto& r : kTypes)
    if (r.type == t) return r.size;
  return 0;
}

std::optional<DType> npy_to_dtype(NpyType t) {
  switch (t) {
    case NpyType::F16:
      return DType::F16;
    case NpyType::F32:
      return DType::F32;
    case NpyType::F64:
      return DType::F64;
    case NpyType::I8:
      return DType::I8;
    case NpyType::I16:
      return DType::I16;
    case NpyType::I32:
      return DType::I32;
    case NpyType::I64:
      return DType::I64;
    default:
      return std::nullopt;
  }
}

NpyArray parse_npy(std::string_view bytes, const std::string& where) {
  static constexpr char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0)
    fail(where, "npy magic", "missing \\x93NUMPY: not a .npy file");
  auto b = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  int major = b(6), minor = b(7);
  size_t header_len, header_start;
  if (major == 1) {
    header_len = b(8) | (size_t(b(9)) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail(where, "npy header length", "file too short");
    header_len = b(8) | (size_t(b(9)) << 8) | (size_t(b(10)) << 16) | (size_t(b(11)) << 24);
    header_start = 12;
  } else {
    fail(where, "npy version",
         std::to_string(major) + "." + std::to_string(minor) +
             " not supported (expected 1.0, 2.0 or 3.0)");
  }
  if (minor != 0)
    fail(where, "npy version",
         std::to_string(major) + "." + std::to_string(minor) + " not supported");
  if (header_len > bytes.size() - header_start)
    fail(where, "npy header length",
         std::to_string(header_len) + " bytes runs past the end (" + std::to_string(bytes.size()) +
             " bytes)");
  std::string_view header = bytes.substr(header_start, header_len);
  if (major < 3)
    for (char c : header)
      if (static_cast<unsigned char>(c) >= 0x80)
        fail(where, "npy header", "non-ASCII byte in a version 1/2 header");

  HeaderParser hp{header, 0, where};
  std::optional<std::string> descr;
  std::optional<bool> fortran;
  std::optional<Shape> shape;
  hp.expect('{');
  if (!hp.eat('}')) {
    for (;;) {
      std::string key = hp.string_lit();
      hp.expect(':');
      if (key == "descr" && !descr) {
        hp.ws();
        if (hp.p < header.size() && (header[hp.p] == '[' || header[hp.p] == '{'))
          fail(where, "npy header 'descr'", "structured dtypes are not supported");
        descr = hp.string_lit();
      } else if (key == "fortran_order" && !fortran) {
        fortran = hp.bool_lit();
      } else if (key == "shape" && !shape) {
        shape = hp.tuple_lit();
      } else {
        fail(where, "npy header", "unexpected or repeated key '" + key + "'");
      }
      if (hp.eat('}')) break;
      hp.expect(',');
      if (hp.eat('}')) break;
    }
  }
  hp.ws();
  if (hp.p != header.size()) hp.error("trailing characters after the dict");
  if (!descr) fail(where, "npy header 'descr'", "missing");
  if (!fortran) fail(where, "npy header 'fortran_order'", "missing");
  if (!shape) fail(where, "npy header 'shape'", "missing");

  auto type = npy_type_from_descr(*descr);
  if (!type) {
    std::string why =
        "'" + *descr +
        "' not supported (expected one of <f2 <f4 <f8 |i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1)";
    if (!descr->empty() && descr->front() == '>')
      why = "'" + *descr + "' is big-endian; only little-endian is supported";
    fail(where, "npy header 'descr'", why);
  }
  NpyArray a;
  a.type = *type;
  a.shape = *shape;
  size_t item = npy_item_size(a.type);
  // numel * item without overflow
  uint64_t total = item;
  for (int64_t d : a.shape) {
    if (d != 0 && total > std::numeric_limits<uint64_t>::max() / uint64_t(d))
      fail(where, "npy header 'shape'", shape_str(a.shape) + " overflows");
    total *= uint64_t(d);
  }
  size_t data_start = header_start + header_len;
  size_t have = bytes.size() - data_start;
  if (total != have)
    fail(where, "npy data",
         "shape " + shape_str(a.shape) + " of " + *descr + " needs " + std::to_string(total) +
             " bytes, found " + std::to_string(have));
  const auto* src = reinterpret_cast<const unsigned char*>(bytes.data() + data_start);
  if (*fortran && a.shape.size() > 1)
    a.data = fortran_to_c(src, a.shape, item);
  else
    a.data.assign(src, src + total);
  return a;
}

std::string npy_bytes(const NpyArray& a) {
  size_t item = npy_item_size(a.type);
  if (a.data.size() != size_t(a.numel()) * item)
    fail("", "npy data",
         "holds " + std::to_string(a.data.size()) + " bytes, shape " + shape_str(a.shape) +
             " needs " + std::to_string(a.numel() * item));
  std::string dict = "{'descr': '" + a.descr() + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < a.shape.size(); ++i) {
    dict += std::to_string(a.shape[i]);
    if (a.shape.size() == 1 || i + 1 < a.shape.size()) dict += ",";
    if (i + 1 < a.shape.size()) dict += " ";
  }
  dict += "), }";
  // Pad with spaces and a final newline so that the data starts at a multiple of 64 bytes.
  bool v2 = dict.size() + 1 + 10 > 65535;
  size_t prefix = v2 ? 12 : 10;
  size_t total = prefix + dict.size() + 1;
  size_t pad = (64 - total % 64) % 64;
  dict.append(pad, ' ');
  dict.push_back('\n');
  std::string out = "\x93NUMPY";
  out.push_back(char(v2 ? 2 : 1));
  out.push_back(0);
  size_t hl = dict.size();
  out.push_back(char(hl & 0xff));
  out.push_back(char((hl >> 8) & 0xff));
  if (v2) {
    out.push_back(char((hl >> 16) & 0xff));
    out.push_back(char((hl >> 24) & 0xff));
  }
  out += dict;
  out.append(reinterpret_cast<const char*>(a.data.data()), a.data.size());
  return out;
}

}  // namespace knowscope
