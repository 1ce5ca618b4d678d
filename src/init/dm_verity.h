// Authenticating the image with dm-verity: a read-only device-mapper device
// whose every block the kernel checks against a hash tree before handing it
// out, the tree's root hash coming from the (trusted) mini initramfs.
//
// The table of the "verity" target, from the kernel's
// Documentation/admin-guide/device-mapper/verity.rst:
//   <version> <dev> <hash_dev> <data_block_size> <hash_block_size>
//   <num_data_blocks> <hash_start_block> <algorithm> <digest> <salt>
//   [<#opt_params> <opt_params>]
// version 1 (salt prepended, digests padded to a power of two: what
// veritysetup writes); hash_start_block counts hash blocks; salt "-" is
// none. Optional parameters used here: restart_on_corruption,
// panic_on_corruption, root_hash_sig_key_desc <key description>.
//
// The device is made through the device-mapper ioctls (linux/dm-ioctl.h) on
// /dev/mapper/control: DM_DEV_CREATE, DM_TABLE_LOAD (read-only) and
// DM_DEV_SUSPEND without DM_SUSPEND_FLAG, which resumes the device with the
// loaded table; devtmpfs then shows it as /dev/dm-N.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/config.h"
#include "core/error.h"
#include "init/mounts.h"

namespace iofs {

struct VerityTable {
  uint64_t sectors = 0;  // length of the target, in 512-byte sectors
  std::string params;    // what follows "verity" in a dmsetup table line
};

// The verity target over `data_dev` ("MAJOR:MINOR" or a path), whose hash
// tree is on the same device at v.hash_offset. `sig_key_desc` names the
// kernel key holding the root hash signature ("" for none). Pure: no
// system calls.
Result<VerityTable> verity_table(const VerityConfig& v, std::string_view data_dev,
                                 std::string_view sig_key_desc = {});

// Bytes the data and the hash tree take from the start of the image
// (dm-verity's own level computation), or nullopt for a hash algorithm
// whose digest size is not known here.
std::optional<uint64_t> verity_image_bytes(const VerityConfig& v);

// Sets up a dm-verity device over `image` and mounts it read-only at
// paths::kLower. A regular file goes through a loop device first
// (`need_loop` is called if /dev/loop-control is missing, to load the
// driver); a block device (partition, pmem) is used directly. Errors name
// the image as `shown_as` and say it was through dm-verity. Logs nothing
// above debug: describe_verity() is the line for the caller to log.
Result<AttachedImage> mount_verified_image(const std::string& image,
                                           const std::string& shown_as, const Config& cfg,
                                           const std::function<void()>& need_loop = {});

// "/boot/x.img is checked by dm-verity as /dev/dm-0 (sha256, root hash
// 0123456789abcdef…, on corruption: eio)", for an image mount_verified_image()
// attached as `image`.
std::string describe_verity(const std::string& shown_as, const VerityConfig& v,
                            const AttachedImage& image);

}  // namespace iofs
