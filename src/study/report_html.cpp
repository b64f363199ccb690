// Escaping, JSON embedding and checkable numbers for the report page (report_html.h).
#include "study/report_html.h"

#include <cmath>
#include <cstdio>

namespace knowscope::study::report {

std::string esc(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string json_for_script(const json& value) {
  const std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size() + 64);
  for (char c : text) {
    // These three occur only inside JSON strings, where the \u escape means the same character.
    if (c == '<')
      out += "\\u003c";
    else if (c == '>')
      out += "\\u003e";
    else if (c == '&')
      out += "\\u0026";
    else
      out += c;
  }
  return out;
}

std::string js_for_script(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '<' && i + 1 < source.size() && source[i + 1] == '/' &&
        i + 8 <= source.size()) {
      std::string word(source.substr(i + 2, 6));
      for (char& ch : word) ch = char(std::tolower(static_cast<unsigned char>(ch)));
      if (word == "script") {
        out += "<\\/";
        ++i;  // skip the '/'
        continue;
      }
    }
    out += source[i];
  }
  return out;
}

std::string fmt(const json& value, int digits) {
  if (value.is_number_integer() || value.is_number_unsigned()) return value.dump();
  if (value.is_number_float()) {
    const double v = value.get<double>();
    if (!std::isfinite(v)) return "–";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
  }
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (value.is_string()) return value.get<std::string>();
  return "–";
}

const json& at(const json& data, const std::string& pointer) {
  static const json null_value;
  try {
    const json::json_pointer p(pointer);
    if (!data.contains(p)) return null_value;
    return data.at(p);
  } catch (const json::exception&) {
    return null_value;
  }
}

std::string ptr_part(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

namespace {

std::string num_element(const char* tag, const json& data, const std::string& pointer, int digits,
                        double scale, std::string_view suffix) {
  const json& v = at(data, pointer);
  std::string shown;
  if (v.is_number() && scale != 1.0)
    shown = fmt(json(v.get<double>() * scale), digits);
  else
    shown = fmt(v, digits);
  std::string out = std::string("<") + tag + " class=\"num\"";
  if (v.is_number()) {
    char s[32];
    std::snprintf(s, sizeof s, "%g", scale);
    out += " data-path=\"" + esc(pointer) + "\" data-digits=\"" + std::to_string(digits) +
           "\" data-scale=\"" + s + "\"";
  }
  out += ">";  // appended piecewise: GCC 12 warns falsely (-Wrestrict) on ">" + string
  out += esc(shown);
  if (v.is_number()) out += esc(suffix);
  out += "</";
  out += tag;
  out += ">";
  return out;
}

}  // namespace

std::string num_td(const json& data, const std::string& pointer, int digits, double scale,
                   std::string_view suffix) {
  return num_element("td", data, pointer, digits, scale, suffix);
}

std::string num_span(const json& data, const std::string& pointer, int digits, double scale,
                     std::string_view suffix) {
  return num_element("span", data, pointer, digits, scale, suffix);
}

std::string canvas(std::string_view id, std::string_view kind, std::string_view arg, int width,
                   int height) {
  return "<div class=\"chart\"><canvas id=\"" + esc(id) + "\" data-chart=\"" + esc(kind) +
         "\" data-arg=\"" + esc(arg) + "\" width=\"" + std::to_string(width) + "\" height=\"" +
         std::to_string(height) + "\"></canvas></div>\n";
}

std::string missing_note(const json& data, std::string_view stage, std::string_view what) {
  std::string why = "the run has no '" + std::string(stage) + "' stage";
  if (data.contains("stages") && data["stages"].is_array())
    for (const auto& s : data["stages"])
      if (s.value("name", "") == stage) {
        const std::string status = s.value("status", "");
        const std::string reason = s.value("reason", "");
        why = "stage '" + std::string(stage) + "' " + (status.empty() ? "did not run" : status) +
              (reason.empty() ? "" : ": " + reason);
      }
  return "<p class=\"missing\">Not available: " + esc(what) + " (" + esc(why) + ").</p>\n";
}

}  // namespace knowscope::study::report
