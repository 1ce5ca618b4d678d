// The size of a file, for messages and padding: 0 when it cannot be read.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>

namespace iofs {

inline uint64_t file_size(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace iofs
