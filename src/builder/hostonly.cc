// Finding the drivers of a block device in sysfs; see hostonly.h.
#include "builder/hostonly.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>

#include "core/strings.h"
#include "core/sys.h"

namespace iofs {

namespace fs = std::filesystem;

namespace {

class DeviceWalker {
 public:
  explicit DeviceWalker(fs::path devices_root)
      : devices_root_(std::move(devices_root)) {}

  // `dev` is canonical. Walks it and its ancestors up to /sys/devices.
  Result<void> walk(const fs::path& dev) {
    if (!visited_.insert(dev).second) return {};  // a device reached twice
    for (fs::path p = dev; inside_devices(p); p = p.parent_path()) {
      add_driver_module(p);
      add_stacking_modules(p);
      TRY(walk_slaves(p));
    }
    return {};
  }

  std::vector<std::string> take_modules() { return std::move(modules_); }

 private:
  bool inside_devices(const fs::path& p) const {
    const std::string& root = devices_root_.native();
    const std::string& s = p.native();
    return s.size() > root.size() + 1 && s.starts_with(root) &&
           s[root.size()] == '/';
  }

  void add(std::string name) {
    if (std::find(modules_.begin(), modules_.end(), name) == modules_.end())
      modules_.push_back(std::move(name));
  }

  // driver/module -> ../../../../module/NAME; a built-in driver has no
  // "module" link, an unbound device no "driver" link.
  void add_driver_module(const fs::path& dir) {
    std::error_code ec;
    fs::path target = fs::read_symlink(dir / "driver" / "module", ec);
    if (!ec && !target.filename().empty()) add(target.filename().string());
  }

  // A device-mapper device has a "dm" directory, an md array an "md" one.
  void add_stacking_modules(const fs::path& dir) {
    std::error_code ec;
    if (fs::is_directory(dir / "dm", ec)) {
      add("dm_mod");
      // cryptsetup names its devices' uuids "CRYPT-<type>-...".
      auto uuid = sys::read_file((dir / "dm" / "uuid").string(), 4096);
      if (uuid && uuid->starts_with("CRYPT-")) add("dm_crypt");
    }
    if (fs::is_directory(dir / "md", ec)) {
      add("md_mod");
      auto level = sys::read_file((dir / "md" / "level").string(), 4096);
      if (level) {
        std::string_view l = trim(*level);
        if (l == "raid4" || l == "raid5" || l == "raid6")
          add("raid456");
        else if (l == "raid0" || l == "raid1" || l == "raid10")
          add(std::string(l));
      }
    }
  }

  Result<void> walk_slaves(const fs::path& dir) {
    std::error_code ec;
    fs::directory_iterator it(dir / "slaves", ec);
    if (ec) return {};  // not a stacked device
    std::vector<fs::path> slaves;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      slaves.push_back(it->path());
    }
    if (ec)
      return fail("read directory", (dir / "slaves").string(), ec.value());
    std::sort(slaves.begin(), slaves.end());
    for (const fs::path& slave : slaves) {
      fs::path real = fs::canonical(slave, ec);
      if (ec) return fail("resolve", slave.string(), ec.value());
      TRY(walk(real));
    }
    return {};
  }

  fs::path devices_root_;
  std::set<fs::path> visited_;
  std::vector<std::string> modules_;
};

}  // namespace

Result<std::vector<std::string>> modules_for_block_device(
    const std::string& sysfs_root, unsigned major, unsigned minor) {
  std::error_code ec;
  fs::path devices = fs::canonical(fs::path(sysfs_root) / "devices", ec);
  if (ec) return fail("resolve", sysfs_root + "/devices", ec.value());
  std::string link = str(sysfs_root, "/dev/block/", major, ':', minor);
  fs::path dev = fs::canonical(link, ec);
  if (ec)
    return fail("find block device", str(major, ':', minor, " (", link, ")"),
                ec.value());
  DeviceWalker walker(std::move(devices));
  TRY(walker.walk(dev));
  return walker.take_modules();
}

}  // namespace iofs
