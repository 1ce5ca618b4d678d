#include "builder/partition_writer.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "builder/bootfs.h"
#include "core/device_spec.h"
#include "core/strings.h"
#include "core/sys.h"

namespace iofs {

namespace {

bool is_mounted(dev_t rdev) {
  auto text = sys::read_file("/proc/self/mountinfo");
  if (!text) return false;
  const std::string wanted = str(major(rdev), ":", minor(rdev));
  for (std::string_view line : split_lines(*text)) {
    auto f = split_words(line);
    if (f.size() > 2 && f[2] == wanted) return true;
  }
  return false;
}

}  // namespace

Result<void> check_partition(const std::string& dev, const std::string& expected,
                             const std::string& image_fstype) {
  struct stat st;
  if (::stat(dev.c_str(), &st) != 0) return sys_error("write partition", dev);
  if (!S_ISBLK(st.st_mode)) return fail("write partition", dev + ": not a block device");
  if (is_mounted(st.st_rdev)) return fail("write partition", dev + ": mounted; refusing to overwrite it");

  DeviceSpec spec = TRY(parse_device_spec(expected));
  if (spec.key == DeviceKey::path ? spec.value != dev
                                  : !spec.matches(blkid_tag(dev, std::string(spec.blkid_tag()))))
    return fail("write partition",
                str(dev, " is not ", spec.to_string(), ", which the mini initramfs will look for"));
  std::string type = blkid_tag(dev, "TYPE");
  if (!type.empty() && type != image_fstype)
    return fail("write partition",
                str(dev, " holds a filesystem (", type, "), not an image; refusing to overwrite it "
                         "(wipe it first with wipefs -a if it is really unused)"));
  return {};
}

Result<void> write_image_to_partition(const std::string& image, const std::string& dev,
                                      const std::string& expected,
                                      const std::string& image_fstype) {
  TRY(check_partition(dev, expected, image_fstype));
  UniqueFd in = TRY(sys::open(image, O_RDONLY));
  struct stat st;
  if (::fstat(in.get(), &st) != 0) return sys_error("stat", image);
  // O_EXCL on a block device: fails with EBUSY while anything has it open
  // exclusively (a mount, device-mapper, md).
  UniqueFd fd = TRY(sys::open(dev, O_WRONLY | O_EXCL));
  uint64_t size = 0;
  if (::ioctl(fd.get(), BLKGETSIZE64, &size) != 0) return sys_error("get size of", dev);
  if (size < static_cast<uint64_t>(st.st_size))
    return fail("write partition", str(dev, " holds ", size, " bytes; the image needs ", st.st_size));
  TRY(sys::copy_fd(in.get(), fd.get(), dev));
  if (::fsync(fd.get()) != 0) return sys_error("fsync", dev);
  return {};
}

}  // namespace iofs
