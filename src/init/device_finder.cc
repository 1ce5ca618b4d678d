#include "init/device_finder.h"

#include <blkid/blkid.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <expected>
#include <map>
#include <memory>
#include <optional>

#include "core/strings.h"
#include "core/sys.h"

namespace iofs {
namespace {

struct ProbeResult {
  std::string type, uuid, label, partuuid, partlabel;

  std::string value_of(std::string_view tag) const {
    if (tag == "UUID") return uuid;
    if (tag == "LABEL") return label;
    if (tag == "PART_ENTRY_UUID") return partuuid;
    if (tag == "PART_ENTRY_NAME") return partlabel;
    return {};
  }
  std::string summary() const {
    std::string s = type.empty() ? "no filesystem" : type;
    if (!label.empty()) s += " LABEL=" + label;
    if (!uuid.empty()) s += " UUID=" + uuid;
    if (!partlabel.empty()) s += " PARTLABEL=" + partlabel;
    if (!partuuid.empty()) s += " PARTUUID=" + partuuid;
    return s;
  }
};

struct ProbeDeleter {
  void operator()(blkid_struct_probe* p) const { blkid_free_probe(p); }
};

// Reads the filesystem and partition-entry tags of one device with libblkid's
// low-level probing (no cache file, nothing written).
// On failure returns the errno of the open (an unbound loop device gives
// ENXIO, a device this process may not read EPERM).
std::expected<ProbeResult, int> probe(const std::string& devnode) {
  errno = 0;
  std::unique_ptr<blkid_struct_probe, ProbeDeleter> pr(
      blkid_new_probe_from_filename(devnode.c_str()));
  if (!pr) return std::unexpected(errno ? errno : EIO);
  blkid_probe_enable_superblocks(pr.get(), 1);
  blkid_probe_set_superblocks_flags(
      pr.get(), BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE);
  blkid_probe_enable_partitions(pr.get(), 1);
  blkid_probe_set_partitions_flags(pr.get(), BLKID_PARTS_ENTRY_DETAILS);
  if (blkid_do_safeprobe(pr.get()) < 0) return std::unexpected(EIO);
  ProbeResult r;
  auto get = [&](const char* tag, std::string& into) {
    const char* v = nullptr;
    if (blkid_probe_lookup_value(pr.get(), tag, &v, nullptr) == 0 && v) into = v;
  };
  get("TYPE", r.type);
  get("UUID", r.uuid);
  get("LABEL", r.label);
  get("PART_ENTRY_UUID", r.partuuid);
  get("PART_ENTRY_NAME", r.partlabel);
  return r;
}

bool is_block_device(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode);
}

class DeviceSearch {
 public:
  DeviceSearch(const DeviceSpec& spec) : spec_(spec) {}

  // Checks one device; returns it if it is the one.
  std::optional<FoundDevice> check(const std::string& devnode) {
    if (spec_.key == DeviceKey::path) {
      if (devnode != spec_.value || !is_block_device(devnode)) return std::nullopt;
      auto r = probe(devnode);
      ++probes_;
      return FoundDevice{devnode, r ? r->type : "", probes_};
    }
    auto r = probe(devnode);
    ++probes_;
    std::string name = devnode.substr(devnode.rfind('/') + 1);
    seen_[name] = r ? r->summary() : str("unreadable: ", std::strerror(r.error()));
    if (!r) return std::nullopt;
    std::string value = r->value_of(spec_.blkid_tag());
    if (value.empty() || !spec_.matches(value)) return std::nullopt;
    return FoundDevice{devnode, r->type, probes_};
  }

  std::optional<FoundDevice> scan_sysfs() {
    DIR* dir = ::opendir("/sys/class/block");
    if (!dir) return std::nullopt;
    std::optional<FoundDevice> found;
    while (struct dirent* e = ::readdir(dir)) {
      if (e->d_name[0] == '.') continue;
      std::string name = e->d_name;
      if (spec_.key == DeviceKey::path) seen_[name] = "";
      if ((found = check("/dev/" + name))) break;
    }
    ::closedir(dir);
    return found;
  }

  std::string seen_list() const {
    if (seen_.empty()) return "none";
    std::string s;
    for (const auto& [name, what] : seen_) {
      if (!s.empty()) s += ", ";
      s += name;
      if (!what.empty()) s += " (" + what + ")";
    }
    return s;
  }

 private:
  const DeviceSpec& spec_;
  std::map<std::string, std::string> seen_;
  int probes_ = 0;
};

}  // namespace

Uevent parse_uevent(std::string_view msg) {
  Uevent e;
  size_t pos = 0;
  while (pos < msg.size()) {
    size_t end = msg.find('\0', pos);
    if (end == std::string_view::npos) end = msg.size();
    std::string_view field = msg.substr(pos, end - pos);
    if (field.starts_with("ACTION=")) e.action = field.substr(7);
    else if (field.starts_with("SUBSYSTEM=")) e.subsystem = field.substr(10);
    else if (field.starts_with("DEVNAME=")) e.devname = field.substr(8);
    else if (field.starts_with("MODALIAS=")) e.modalias = field.substr(9);
    pos = end + 1;
  }
  return e;
}

std::string probe_filesystem_type(const std::string& devnode) {
  auto r = probe(devnode);
  return r ? r->type : std::string();
}

std::vector<std::string> present_modaliases() {
  // /sys/bus/*/devices/* links every device on a bus once; a device's
  // modalias file says which drivers it wants (file2alias in the kernel).
  std::vector<std::string> out;
  DIR* buses = ::opendir("/sys/bus");
  if (!buses) return out;
  while (struct dirent* b = ::readdir(buses)) {
    // Memory blocks have no modalias, and a large machine has thousands.
    if (b->d_name[0] == '.' || std::strcmp(b->d_name, "memory") == 0) continue;
    std::string devices = str("/sys/bus/", b->d_name, "/devices");
    DIR* dir = ::opendir(devices.c_str());
    if (!dir) continue;
    while (struct dirent* d = ::readdir(dir)) {
      if (d->d_name[0] == '.') continue;
      auto alias = sys::read_file(str(devices, "/", d->d_name, "/modalias"), 4096);
      if (alias && !alias->empty()) out.emplace_back(trim(*alias));
    }
    ::closedir(dir);
  }
  ::closedir(buses);
  return out;
}

Result<FoundDevice> wait_for_device(const DeviceSpec& spec,
                                    const std::string& hint,
                                    std::chrono::milliseconds timeout,
                                    UniqueFd uevents,
                                    const ModaliasFn& on_modalias) {
  DeviceSearch search(spec);
  const int64_t deadline = sys::boottime_ns() + timeout.count() * 1000000;

  // Without the socket the sysfs scan still runs.
  if (on_modalias)
    for (const std::string& alias : present_modaliases()) on_modalias(alias);

  if (!hint.empty() && sys::exists(hint))
    if (auto f = search.check(hint)) return *f;
  if (auto f = search.scan_sysfs()) return *f;

  char buf[8192];
  while (uevents.valid()) {
    int64_t left_ms = (deadline - sys::boottime_ns()) / 1000000;
    if (left_ms <= 0) break;
    struct pollfd p {uevents.get(), POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left_ms));
    if (n < 0 && errno != EINTR) return sys_error("poll", "uevent netlink socket");
    if (n <= 0) continue;
    for (;;) {
      ssize_t len = ::recv(uevents.get(), buf, sizeof buf, 0);
      if (len < 0) {
        // Overflowed: events were lost, so look at everything again.
        if (errno == ENOBUFS) {
          if (on_modalias)
            for (const std::string& alias : present_modaliases()) on_modalias(alias);
          if (auto f = search.scan_sysfs()) return *f;
          continue;
        }
        break;  // EAGAIN: drained
      }
      Uevent e = parse_uevent(std::string_view(buf, static_cast<size_t>(len)));
      if (e.action != "add" && e.action != "change") continue;
      if (on_modalias && !e.modalias.empty() && e.action == "add") on_modalias(e.modalias);
      if (e.subsystem == "block" && !e.devname.empty())
        if (auto f = search.check(str("/dev/", e.devname))) return *f;
    }
  }
  return fail("boot filesystem",
              str(spec.to_string(), " not found within ", timeout.count(),
                  " ms; block devices seen: ", search.seen_list()));
}

}  // namespace iofs
