// Sizes and lists as people read them, for the builder's messages and
// summary (no system calls here).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace iofs {

// "3.2 MiB", "812.0 KiB": one decimal, MiB from 1 MiB up.
inline std::string human_size(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1u << 20))
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / 1048576.0);
  else
    std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
  return buf;
}

// The words with one space between them.
inline std::string join_words(const std::vector<std::string>& words) {
  std::string s;
  for (const std::string& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

}  // namespace iofs
