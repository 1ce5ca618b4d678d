#include "builder/boot_target.h"

#include "builder/partition_writer.h"
#include "builder/say.h"
#include "core/device_spec.h"
#include "core/placement.h"
#include "core/strings.h"
#include "core/sys.h"

namespace iofs {
namespace {

Result<BootfsChoice> choose_device(const BuilderOptions& o, std::string& image_uuid) {
  BootfsChoice bootfs;
  switch (placement_info(o.placement).device) {
    case ImageDevice::none:
      bootfs.reason = "none: the image is in the mini initramfs";
      return bootfs;
    case ImageDevice::named_partition:
      bootfs.spec = TRY(parse_device_spec(o.bootfs)).to_string();
      bootfs.reason = "the image is the partition itself";
      return bootfs;
    case ImageDevice::image_uuid: {
      // The pmem device is found by the image's own UUID: libblkid reads
      // the EROFS superblock, so what is mounted is checked to be this image.
      std::string uuid = std::string(trim(TRY(sys::read_file("/proc/sys/kernel/random/uuid"))));
      image_uuid = uuid;
      bootfs.spec = "UUID=" + uuid;
      bootfs.reason = "the UUID given to the image, read from its superblock at boot";
      return bootfs;
    }
    case ImageDevice::boot_filesystem:
      break;
  }
  bootfs = TRY(choose_bootfs(o.output_dir, o.bootfs, o.bootfstype, o.bootfs_path));
  Say{o.verbose}("boot filesystem ", bootfs.spec, " (", bootfs.reason,
                 "), image directory on it: ", bootfs.dir);
  return bootfs;
}

}  // namespace

BuilderOptions with_placement(const BuilderOptions& o, Placement p) {
  BuilderOptions out = o;
  out.placement = p;
  return out;
}

Result<BootTarget> choose_boot_target(const BuilderOptions& o) {
  BootTarget t;
  t.placement = o.placement;
  t.bootfs = TRY(choose_device(o, t.image_uuid));
  if (t.bootfs.reach != BootfsReach::mountable) {
    if (o.placement_given)
      return fail("--placement bootfs:",
                  str(t.bootfs.reach_detail, "; use --placement initrd (the image inside the "
                                             "mini initramfs, the default there)"));
    t.placement = Placement::initrd;
    t.placement_reason = str(t.bootfs.reach_detail, ", so the image goes inside the mini initramfs");
    Say{o.verbose}("placement initrd: ", t.placement_reason);
    std::string unused;
    t.bootfs = TRY(choose_device(with_placement(o, t.placement), unused));
  }
  if (!o.write_partition.empty())
    TRY(check_partition(o.write_partition, t.bootfs.spec, o.lowerfs));
  return t;
}

std::string image_path_on_bootfs(const BootfsChoice& bootfs, const std::string& image_name) {
  std::string dir = bootfs.dir;
  while (dir.starts_with('/')) dir.erase(0, 1);
  return dir.empty() ? image_name : dir + "/" + image_name;
}

}  // namespace iofs
