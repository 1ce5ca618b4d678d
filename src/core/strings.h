// Small string helpers shared by the parsers (no system calls here).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace iofs {

inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Splits on runs of white space; no empty fields.
inline std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    size_t start = i;
    while (i < s.size() && !is_space(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

inline std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t nl = s.find('\n');
    out.push_back(s.substr(0, nl));
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}

template <class Int>
std::optional<Int> parse_int(std::string_view s) {
  Int v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    return std::nullopt;
  return v;
}

// Concatenates strings, string_views, chars and integers into one string;
// GCC 12 has no <format>.
inline void str_append(std::string& out, std::string_view s) { out += s; }
inline void str_append(std::string& out, const char* s) { out += s; }
inline void str_append(std::string& out, const std::string& s) { out += s; }
inline void str_append(std::string& out, char c) { out += c; }
template <class Int>
  requires std::is_integral_v<Int>
void str_append(std::string& out, Int v) {
  out += std::to_string(v);
}
template <class... Args>
std::string str(const Args&... args) {
  std::string out;
  (str_append(out, args), ...);
  return out;
}

}  // namespace iofs
