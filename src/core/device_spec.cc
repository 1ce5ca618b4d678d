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
  if (text.starts_with("/dev/") && text.size() > 5)
    return DeviceSpec{DeviceKey::path, std::string(text)};
  return fail("bad device",
              str("'", text, "': expected UUID=, LABEL=, PARTUUID=, PARTLABEL= or /dev/..."));
}

}  // namespace iofs
