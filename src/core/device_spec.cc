#include "core/device_spec.h"

#include <cctype>

#include "core/strings.h"

namespace iofs {

namespace {
struct KeyName {
  DeviceKey key;
  std::string_view prefix;
  std::string_view tag;
};
constexpr KeyName kKeys[] = {
    {DeviceKey::uuid, "UUID=", "UUID"},
    {DeviceKey::label, "LABEL=", "LABEL"},
    {DeviceKey::partuuid, "PARTUUID=", "PART_ENTRY_UUID"},
    {DeviceKey::partlabel, "PARTLABEL=", "PART_ENTRY_NAME"},
};

// The links udev makes for the same tags. fstab often names /boot by them,
// but the early-boot program in init mode runs without udev, so there are
// no such links to look for: the tag is what it can find.
struct LinkDir {
  DeviceKey key;
  std::string_view dir;
};
constexpr LinkDir kLinkDirs[] = {
    {DeviceKey::uuid, "/dev/disk/by-uuid/"},
    {DeviceKey::label, "/dev/disk/by-label/"},
    {DeviceKey::partuuid, "/dev/disk/by-partuuid/"},
    {DeviceKey::partlabel, "/dev/disk/by-partlabel/"},
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// udev writes a tag into a link name with every byte that is unsafe in a
// file name (and the backslash itself) as \xNN (udev_link_names.cc): undone here.
std::string decode_link_name(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x' && hex_digit(s[i + 2]) >= 0 &&
        hex_digit(s[i + 3]) >= 0) {
      out += static_cast<char>(hex_digit(s[i + 2]) * 16 + hex_digit(s[i + 3]));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}
}  // namespace

std::string_view DeviceSpec::blkid_tag() const {
  for (const KeyName& k : kKeys)
    if (k.key == key) return k.tag;
  return "";
}

bool DeviceSpec::matches(std::string_view probed) const {
  if (key != DeviceKey::uuid && key != DeviceKey::partuuid)
    return probed == value;
  if (probed.size() != value.size()) return false;
  for (size_t i = 0; i < probed.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(probed[i])) !=
        std::tolower(static_cast<unsigned char>(value[i])))
      return false;
  return true;
}

std::string DeviceSpec::to_string() const {
  for (const KeyName& k : kKeys)
    if (k.key == key) return str(k.prefix, value);
  return value;
}

Result<DeviceSpec> parse_device_spec(std::string_view text) {
  text = trim(text);
  for (const KeyName& k : kKeys) {
    if (!text.starts_with(k.prefix)) continue;
    std::string_view v = text.substr(k.prefix.size());
    // fstab allows the value in double quotes.
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
      v = v.substr(1, v.size() - 2);
    if (v.empty()) return fail("bad device", str("'", text, "': empty value"));
    return DeviceSpec{k.key, std::string(v)};
  }
  for (const LinkDir& d : kLinkDirs) {
    if (!text.starts_with(d.dir)) continue;
    std::string_view v = text.substr(d.dir.size());
    if (v.empty() || v.find('/') != std::string_view::npos)
      return fail("bad device", str("'", text, "': expected one name after ", d.dir));
    return DeviceSpec{d.key, decode_link_name(v)};
  }
  if (text.starts_with("/dev/") && text.size() > 5)
    return DeviceSpec{DeviceKey::path, std::string(text)};
  return fail("bad device",
              str("'", text, "': expected UUID=, LABEL=, PARTUUID=, PARTLABEL= or /dev/..."));
}

}  // namespace iofs
