#include "builder/commit.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "builder/interrupt.h"
#include "builder/partition_writer.h"
#include "builder/say.h"
#include "core/placement.h"
#include "core/sys.h"

namespace iofs {

Result<OutputPaths> create_outputs(OutputTemps& temps, const BuilderOptions& o,
                                   const KernelChoice& kernel) {
  OutputPaths out;
  out.image_final = o.output_dir + "/" + kernel.image_name;
  out.mini_final = o.output_dir + "/" + kernel.initramfs_name;
  for (const std::string& name : {kernel.image_name, kernel.initramfs_name})
    if (size_t n = OutputTemps::remove_abandoned(o.output_dir, name))
      Say{o.verbose}("removed ", n, " temporary ", name, " files of builders that died");
  out.image_tmp = TRY(temps.create(o.output_dir, kernel.image_name));
  out.mini_tmp = TRY(temps.create(o.output_dir, kernel.initramfs_name));
  return out;
}

Result<void> sync_output(const std::string& path) {
  UniqueFd fd = TRY(sys::open(path, O_RDONLY));
  if (::fsync(fd.get()) != 0) return sys_error("fsync", path);
  return {};
}

Result<void> commit_outputs(OutputTemps& temps, const OutputPaths& out, const BuilderOptions& o,
                            const BootTarget& target) {
  // The image goes first: until the mini initramfs is renamed, the old
  // one (if any) still boots, with an image of the same name. With the
  // image inside the mini initramfs there is no separate file. A signal
  // from here on waits until both names are in place (InterruptsHeld).
  TRY(check_interrupted());
  {
    InterruptsHeld held;
    if (!placement_info(o.placement).appended) {
      if (::rename(out.image_tmp.c_str(), out.image_final.c_str()) != 0)
        return sys_error("rename", out.image_tmp + " to " + out.image_final);
      temps.keep(out.image_tmp);
    }
    if (::rename(out.mini_tmp.c_str(), out.mini_final.c_str()) != 0)
      return sys_error("rename", out.mini_tmp + " to " + out.mini_final);
    temps.keep(out.mini_tmp);
  }
  UniqueFd dirfd = TRY(sys::open(o.output_dir, O_RDONLY | O_DIRECTORY));
  if (::fsync(dirfd.get()) != 0) return sys_error("fsync", o.output_dir);
  if (!o.write_partition.empty()) {
    Say{o.verbose}("writing the image onto ", o.write_partition);
    TRY(write_image_to_partition(out.image_final, o.write_partition, target.bootfs.spec, o.lowerfs));
  }
  return {};
}

}  // namespace iofs
