#include "init/dm_verity.h"

#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <linux/fs.h>
#include <linux/keyctl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "core/log.h"
#include "core/strings.h"
#include "core/sys.h"

namespace iofs {

namespace {

// The name of the device-mapper device, and the description of the kernel
// key that carries the root hash signature while the table is loaded.
constexpr const char* kDmName = "initoverlayfs-verity";
constexpr const char* kSigKeyDesc = "initoverlayfs:verity-root-hash-sig";

// Digest size as dm-verity stores it (version 1 pads each digest to a
// power of two), for the algorithms veritysetup offers.
std::optional<uint32_t> stored_digest_size(std::string_view algorithm) {
  if (algorithm == "sha1" || algorithm == "sha256" || algorithm == "blake2s-256" ||
      algorithm == "blake2b-256")
    return 32;
  if (algorithm == "sha384" || algorithm == "sha512" || algorithm == "blake2b-512") return 64;
  return std::nullopt;
}

}  // namespace

std::optional<uint64_t> verity_image_bytes(const VerityConfig& v) {
  auto digest = stored_digest_size(v.hash_algorithm);
  if (!digest || v.hash_block_size < *digest) return std::nullopt;
  // dm-verity-target.c verity_ctr(): the number of levels is what it takes
  // for (data_blocks - 1) to fit, each level holding the digests of the
  // one below; levels are stored top first from the hash start.
  unsigned bits = 0;
  for (uint32_t per_block = v.hash_block_size / *digest; per_block > 1; per_block >>= 1) ++bits;
  uint64_t tree_blocks = 0;
  for (unsigned level = 0; bits * level < 64 && ((v.data_blocks - 1) >> (bits * level)); ++level) {
    unsigned shift = bits * (level + 1);
    tree_blocks += shift >= 64 ? 1 : (v.data_blocks + (uint64_t{1} << shift) - 1) >> shift;
  }
  return v.hash_offset + tree_blocks * v.hash_block_size;
}

Result<VerityTable> verity_table(const VerityConfig& v, std::string_view data_dev,
                                 std::string_view sig_key_desc) {
  if (auto problem = verity_config_problem(v)) return fail("verity table", *problem, EINVAL);
  if (v.data_block_size < 512 || v.data_block_size % 512 != 0)
    return fail("verity table", str("data block size ", v.data_block_size), EINVAL);
  VerityTable t;
  t.sectors = v.data_blocks * (v.data_block_size / 512);
  std::vector<std::string> opts;
  if (v.on_corruption == VerityOnCorruption::restart) opts.emplace_back("restart_on_corruption");
  if (v.on_corruption == VerityOnCorruption::panic) opts.emplace_back("panic_on_corruption");
  if (!sig_key_desc.empty()) {
    opts.emplace_back("root_hash_sig_key_desc");
    opts.emplace_back(sig_key_desc);
  }
  t.params = str("1 ", data_dev, ' ', data_dev, ' ', v.data_block_size, ' ', v.hash_block_size,
                 ' ', v.data_blocks, ' ', v.hash_offset / v.hash_block_size, ' ',
                 v.hash_algorithm, ' ', v.root_hash, ' ', v.salt.empty() ? "-" : v.salt);
  if (!opts.empty()) {
    t.params += str(' ', opts.size());
    for (const std::string& o : opts) t.params += ' ' + o;
  }
  return t;
}

namespace {

// One device-mapper ioctl: a struct dm_ioctl, then (for DM_TABLE_LOAD) the
// target spec and its parameter string. The kernel writes the header back.
class DmControl {
 public:
  static Result<DmControl> open() {
    return DmControl(TRY(sys::open("/dev/mapper/control", O_RDWR)));
  }

  Result<dm_ioctl> call(unsigned long request, const char* op, uint32_t flags,
                        const VerityTable* table = nullptr) {
    std::string payload;
    if (table) {
      dm_target_spec spec{};
      spec.sector_start = 0;
      spec.length = table->sectors;
      std::snprintf(spec.target_type, sizeof spec.target_type, "verity");
      size_t len = sizeof spec + table->params.size() + 1;
      len = (len + 7) / 8 * 8;
      spec.next = static_cast<uint32_t>(len);
      payload.assign(reinterpret_cast<const char*>(&spec), sizeof spec);
      payload += table->params;
      payload.resize(len, '\0');
    }
    // 8-byte aligned storage, with room for what the kernel writes back.
    std::vector<uint64_t> buf((sizeof(dm_ioctl) + payload.size() + 16384 + 7) / 8);
    auto* io = reinterpret_cast<dm_ioctl*>(buf.data());
    io->version[0] = DM_VERSION_MAJOR;
    io->version[1] = 0;
    io->version[2] = 0;
    io->data_size = static_cast<uint32_t>(buf.size() * 8);
    io->data_start = sizeof(dm_ioctl);
    io->flags = flags;
    io->target_count = table ? 1 : 0;
    std::snprintf(io->name, sizeof io->name, "%s", kDmName);
    std::memcpy(reinterpret_cast<char*>(io) + sizeof(dm_ioctl), payload.data(), payload.size());
    if (::ioctl(fd_.get(), request, io) != 0) return sys_error(op, kDmName);
    return *io;
  }

  // Best effort, after a failure: the device must not keep the loop
  // device (and so the boot filesystem) busy.
  void remove() { (void)call(DM_DEV_REMOVE, "remove device-mapper device", 0); }

 private:
  explicit DmControl(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// The root hash signature as a "user" key in this thread's keyring, where
// dm-verity looks it up (request_key) while the table is loaded; it is
// invalidated once the table is in, and the keyring goes with exec anyway.
class SignatureKey {
 public:
  ~SignatureKey() {
    if (serial_ > 0) (void)::syscall(SYS_keyctl, KEYCTL_INVALIDATE, serial_);
  }
  Result<void> add(const std::string& path) {
    std::string sig = TRY(sys::read_file(path, 1 << 20));
    long serial = ::syscall(SYS_add_key, "user", kSigKeyDesc, sig.data(), sig.size(),
                            KEY_SPEC_THREAD_KEYRING);
    if (serial < 0) return sys_error("add root hash signature key from", path);
    serial_ = serial;
    return {};
  }

 private:
  long serial_ = 0;
};

}  // namespace

Result<AttachedImage> mount_verified_image(const std::string& image,
                                           const std::string& shown_as, const Config& cfg,
                                           const std::function<void()>& need_loop) {
  const VerityConfig& v = cfg.verity;
  UniqueFd img = TRY(sys::open(image, O_RDONLY));
  struct stat st;
  if (::fstat(img.get(), &st) != 0) return sys_error("find image", shown_as);
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
    return fail("find image", str(shown_as, ": neither a file nor a block device"));

  // A short image would be refused by the kernel with a bare EINVAL or
  // E2BIG ("Hash device is too small"); say what is wrong instead.
  const uint64_t have = TRY(image_bytes(img.get(), st, shown_as));
  if (auto need = verity_image_bytes(v); need && have < *need)
    return fail("dm-verity",
                str("for ", shown_as, ": the image has ", have, " bytes, fewer than the ", *need,
                    " its data and hash tree take (truncated?)"),
                EINVAL);

  AttachedImage attached{ImageAttach::verity, {}, {}};
  // dm needs a block device: a file always goes through a loop device,
  // even on a kernel that mounts EROFS files directly. `loop` keeps it
  // attached until the table holds it (autoclear).
  UniqueFd loop;
  dev_t data_dev = st.st_rdev;
  if (S_ISREG(st.st_mode)) {
    if (need_loop && !sys::exists("/dev/loop-control")) need_loop();
    auto l = attach_loop(image);
    if (!l) return fail(l.error().op, str(shown_as, ": ", l.error().detail), l.error().err);
    attached.loop_device = l->first;
    loop = std::move(l->second);
    struct stat lst;
    if (::fstat(loop.get(), &lst) != 0) return sys_error("stat", attached.loop_device);
    data_dev = lst.st_rdev;
  }
  img = UniqueFd();

  SignatureKey key;
  if (!v.root_hash_sig.empty()) TRY(key.add(v.root_hash_sig));
  VerityTable table = TRY(verity_table(v, str(major(data_dev), ':', minor(data_dev)),
                                       v.root_hash_sig.empty() ? "" : kSigKeyDesc));
  log::debug("dm-verity table: 0 ", table.sectors, " verity ", table.params);

  DmControl dm = TRY(DmControl::open());
  dm_ioctl created = TRY(dm.call(DM_DEV_CREATE, "create device-mapper device", 0));
  auto loaded = dm.call(DM_TABLE_LOAD, "load table", DM_READONLY_FLAG, &table);
  if (!loaded) {
    dm.remove();
    int err = loaded.error().err;
    if (!v.root_hash_sig.empty() && (err == ENOKEY || err == EKEYREJECTED || err == EBADMSG))
      return fail("dm-verity table for",
                  str(shown_as, ": the kernel did not accept the root hash signature ",
                      v.root_hash_sig, " (is its signer in the kernel's trusted keyrings?)"),
                  err);
    return fail("dm-verity table for", shown_as, err);
  }
  if (auto resumed = dm.call(DM_DEV_SUSPEND, "resume device-mapper device", 0); !resumed) {
    dm.remove();
    return fail("dm-verity device for", str(shown_as, ": ", resumed.error().op), resumed.error().err);
  }
  loop = UniqueFd();  // the table holds the loop device now

  const dev_t dm_dev = static_cast<dev_t>(created.dev);
  attached.verity_device = str("/dev/dm-", minor(dm_dev));
  // devtmpfs makes the node when the disk appears; make it if it did not.
  if (!sys::exists(attached.verity_device) &&
      ::mknod(attached.verity_device.c_str(), S_IFBLK | 0600, dm_dev) != 0) {
    dm.remove();
    return sys_error("make device node", attached.verity_device);
  }
  TRY(sys::make_dirs(paths::kLower));
  auto mounted = sys::mount(attached.verity_device, paths::kLower, cfg.fstype, MS_RDONLY,
                            lower_mount_data(cfg.fstype, cfg.fs_options));
  if (!mounted) {
    dm.remove();
    return fail("cannot mount", str(shown_as, " through dm-verity (", cfg.fstype, ")"),
                mounted.error().err);
  }
  // The mount is the device's only user now. Deferred removal (Linux >=
  // 3.13) removes the device when that user goes, as autoclear does for
  // the loop device below it, so once the initrd's overlay is gone nothing
  // keeps the image open or the boot filesystem mounted.
  if (auto r = dm.call(DM_DEV_REMOVE, "schedule removal of device-mapper device",
                       DM_DEFERRED_REMOVE);
      !r)
    attached.deferred_removal_refused = r.error();
  return attached;
}

std::string describe_verity(const std::string& shown_as, const VerityConfig& v,
                            const AttachedImage& image) {
  return str(shown_as, " is checked by dm-verity as ", image.verity_device, " (",
             v.hash_algorithm, ", root hash ", v.root_hash.substr(0, 16), "…, on corruption: ",
             to_string(v.on_corruption),
             v.root_hash_sig.empty() ? "" : ", root hash signature accepted by the kernel", ")");
}

}  // namespace iofs
