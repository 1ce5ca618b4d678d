#include "builder/unpack_limit.h"

#include <algorithm>
#include <cctype>

#include "core/strings.h"

namespace iofs {

Result<uint64_t> parse_size(std::string_view text) {
  auto bad = [&] {
    return fail("size", str("'", text, "': expected a number of bytes with an optional K, M, G "
                            "or T suffix, e.g. 512M"));
  };
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 19) return bad();
  uint64_t value = 0;
  for (char c : text.substr(0, digits)) value = value * 10 + static_cast<uint64_t>(c - '0');
  std::string suffix;
  for (char c : text.substr(digits)) suffix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  int shift = 0;
  if (!suffix.empty()) {
    const std::string_view letters = "KMGT";
    size_t at = letters.find(suffix[0]);
    std::string_view rest = std::string_view(suffix).substr(1);
    if (suffix == "B") {
      rest = "";
    } else if (at == std::string_view::npos || !(rest.empty() || rest == "B" || rest == "IB")) {
      return bad();
    } else {
      shift = 10 * static_cast<int>(at + 1);
    }
  }
  if (value == 0) return fail("size", str("'", text, "': must be more than 0"));
  if (shift > 0 && value > (UINT64_MAX >> shift)) return fail("size", str("'", text, "': too large"));
  return value << shift;
}

std::string format_size(uint64_t bytes) {
  static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  int unit = -1;
  uint64_t v = bytes;
  while (unit < 3 && v >= 1024 && v % 1024 == 0) {
    v /= 1024;
    ++unit;
  }
  if (unit < 0) return str(bytes, bytes == 1 ? " byte" : " bytes");
  return str(v, " ", units[unit]);
}

uint64_t default_max_unpacked(uint64_t scratch_available) {
  return std::min(scratch_available, kMaxUnpackedCeiling);
}

}  // namespace iofs
