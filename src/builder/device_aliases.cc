#include "builder/device_aliases.h"

#include "builder/module_index.h"
#include "core/strings.h"

namespace iofs {

static bool is_device_bus(std::string_view pattern) {
  // The loop driver's /dev/loop-control: the program asks for it by this
  // name when it needs a loop device.
  if (pattern == "devname:loop-control") return true;
  size_t colon = pattern.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view bus = pattern.substr(0, colon);
  while (bus.ends_with('*')) bus.remove_suffix(1);
  static constexpr std::string_view kBuses[] = {
      "pci", "virtio", "usb", "scsi", "acpi", "platform", "of", "mmc", "sdio", "pnp",
      "hid", "serio", "i2c", "spi", "vmbus", "xen", "ccw", "mdio", "amba", "ssb", "bcma",
      "nvme", "ieee1394", "mhi", "cxl", "auxiliary", "fsl-mc", "ishtp",
      "nd"};  // nvdimm namespaces: nd:t4*/nd:t5* want nd_pmem
  for (std::string_view b : kBuses)
    if (bus == b) return true;
  return false;
}

std::map<std::string, std::vector<std::string>> device_aliases(
    std::string_view modules_alias, const std::set<std::string>& names) {
  std::map<std::string, std::vector<std::string>> out;
  for (std::string_view line : split_lines(modules_alias)) {
    auto w = split_words(line);
    if (w.size() != 3 || w[0] != "alias" || !is_device_bus(w[1])) continue;
    std::string name = normalize_module_name(w[2]);
    if (names.contains(name)) out[name].emplace_back(w[1]);
  }
  return out;
}

}  // namespace iofs
