#include "core/erofs_superblock.h"

#include "core/strings.h"

namespace iofs {
namespace {

uint64_t le(std::string_view bytes, size_t offset, size_t width) {
  uint64_t v = 0;
  for (size_t i = width; i-- > 0;)
    v = (v << 8) | static_cast<uint8_t>(bytes[offset + i]);
  return v;
}

// The kernel takes 512 bytes up to the page size; past 64 KiB no
// architecture has pages, so such a value is garbage, not a new format.
constexpr uint8_t kMinBlkszbits = 9, kMaxBlkszbits = 16;

constexpr char kHex[] = "0123456789abcdef";

std::string hex32(uint64_t v) {
  std::string s(8, '0');
  for (size_t i = 8; i-- > 0; v >>= 4) s[i] = kHex[v & 0xf];
  return s;
}

}  // namespace

std::string format_uuid(const std::array<uint8_t, 16>& bytes) {
  std::string s;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += kHex[bytes[i] >> 4];
    s += kHex[bytes[i] & 0xf];
  }
  return s;
}

std::string ErofsSuperblock::uuid_string() const { return format_uuid(uuid); }

Result<ErofsSuperblock> parse_erofs_superblock(std::string_view image_start) {
  if (image_start.size() < kErofsSuperblockEnd)
    return fail("read EROFS superblock",
                str("only ", image_start.size(), " bytes, it ends at byte ", kErofsSuperblockEnd));
  std::string_view sb = image_start.substr(kErofsSuperblockOffset, 128);
  if (uint64_t magic = le(sb, 0, 4); magic != kErofsMagic)
    return fail("read EROFS superblock",
                str("no EROFS magic at byte ", kErofsSuperblockOffset, " (found 0x", hex32(magic),
                    ")"));
  ErofsSuperblock s;
  s.feature_compat = static_cast<uint32_t>(le(sb, 8, 4));
  s.blkszbits = static_cast<uint8_t>(sb[12]);
  s.feature_incompat = static_cast<uint32_t>(le(sb, 80, 4));
  if (s.blkszbits < kMinBlkszbits || s.blkszbits > kMaxBlkszbits)
    return fail("read EROFS superblock",
                str("block size 2^", unsigned{s.blkszbits}, " is not one EROFS uses (2^",
                    unsigned{kMinBlkszbits}, " to 2^", unsigned{kMaxBlkszbits}, ")"));
  s.blocks = le(sb, 36, 4);
  if (s.feature_incompat & kErofsIncompat48Bit) s.blocks |= le(sb, 14, 2) << 32;
  for (size_t i = 0; i < s.uuid.size(); ++i) s.uuid[i] = static_cast<uint8_t>(sb[48 + i]);
  return s;
}

std::optional<std::string> canonical_uuid(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return std::nullopt;
    } else {
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
    }
    out += c;
  }
  return out;
}

}  // namespace iofs
