#include "builder/build_image.h"

#include <fcntl.h>
#include <unistd.h>

#include "builder/commit.h"
#include "builder/say.h"
#include "builder/verity.h"
#include "core/erofs_superblock.h"
#include "core/file_size.h"
#include "core/placement.h"
#include "core/strings.h"
#include "core/sys.h"

namespace iofs {
namespace {

// What the early-boot program will check (fs_uuid) is what is in the
// image, read with the same parser; and it must be the UUID the image's
// name was chosen for.
Result<std::string> read_back_uuid(const std::string& image, const std::string& wanted) {
  UniqueFd fd = TRY(sys::open(image, O_RDONLY));
  std::string head(kErofsSuperblockEnd, '\0');
  ssize_t n = ::pread(fd.get(), head.data(), head.size(), 0);
  if (n < 0) return sys_error("read the superblock of", image);
  head.resize(static_cast<size_t>(n));
  auto sb = parse_erofs_superblock(head);
  if (!sb) return fail(sb.error().op, str(image, ": ", sb.error().detail));
  if (!wanted.empty() && sb->uuid_string() != wanted)
    return fail("mkfs.erofs", str("made ", image, " with UUID ", sb->uuid_string(), ", not ", wanted));
  return sb->uuid_string();
}

}  // namespace

ImageFormat image_format(const BuilderOptions& o, const BootTarget& target) {
  // As config_text.cc: DAX for the pmem placements, unless dm-verity reads.
  return ImageFormat{o.lowerfs, o.image_compression, o.image_level, target.image_uuid,
                     placement_info(target.placement).dax && !o.verity};
}

Result<std::string> check_kernel_for_image(const BuilderOptions& o, const KernelChoice& kernel,
                                           const ImageFormat& fmt) {
  std::string config_used = TRY(check_kernel_reads(kernel.moddir, kernel.kver, fmt));
  Say{o.verbose}(config_used.empty()
                     ? "no kernel config found; not checking that it reads the image"
                     : "kernel config " + config_used + " reads " + fmt.compression + " EROFS");
  return config_used;
}

Result<BuiltImage> build_image(const BuilderOptions& o, const std::string& tree,
                               const ImageFormat& fmt, const std::string& kernel_config,
                               const ScratchDir& scratch, const std::string& image_tmp) {
  Say say{o.verbose};
  if (o.verity && !kernel_config.empty())
    TRY(check_kernel_verity(kernel_config, !o.verity_sign_key.empty()));

  say("making the ", fmt.fs, " image");
  TRY(make_image(tree, image_tmp, fmt, o.verbose));
  BuiltImage image;
  if (fmt.fs == "erofs") image.fs_uuid = TRY(read_back_uuid(image_tmp, fmt.uuid));
  if (o.verity) {
    say("appending the dm-verity hash tree (veritysetup)");
    image.verity = TRY(append_hash_tree(image_tmp, o.verbose));
    if (!o.verity_sign_key.empty()) {
      std::string dir = TRY(scratch.make_dir("sign"));
      image.root_hash_sig = TRY(sign_root_hash(image.verity->root_hash, o.verity_sign_key,
                                               o.verity_sign_cert, dir));
    }
  }
  if (uint64_t a = placement_info(o.placement).size_alignment) {
    uint64_t size = file_size(image_tmp), aligned = (size + a - 1) / a * a;
    if (::truncate(image_tmp.c_str(), static_cast<off_t>(aligned)) != 0)
      return sys_error("truncate", image_tmp);
  }
  TRY(sync_output(image_tmp));
  return image;
}

}  // namespace iofs
