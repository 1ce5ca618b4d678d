// dm-verity for the image: the hash tree appended to the image file by
// veritysetup (cryptsetup-bin), its parameters for the mini initramfs's
// config, and an optional PKCS#7 signature of the root hash.
//
// Layout of a verity image (veritysetup format --no-superblock
// --hash-offset=DATA_BYTES IMG IMG): the filesystem, padded with zeros to
// a whole number of 4 KiB data blocks, then the hash tree (hash blocks of
// 4 KiB, top level first, as dm-verity reads it). There is no verity
// superblock: the parameters live only in the config, which the mini
// initramfs carries (and a signed UKI authenticates).
#pragma once

#include <string>
#include <string_view>

#include "core/config.h"
#include "core/error.h"

namespace iofs {

// Reads what `veritysetup format` prints: "Root hash:" and "Salt:" (hex),
// "Data blocks:", "Data block size:", "Hash block size:", "Hash algorithm:".
// Returns them in a VerityConfig (enabled, hash_offset left to the caller).
Result<VerityConfig> parse_veritysetup_format(std::string_view output);

// Refuses a kernel whose config (text of CONFIG_PATH) lacks dm-verity, or,
// when `signed_root_hash`, its root hash signature check.
Result<void> check_kernel_verity(const std::string& config_path, bool signed_root_hash);

// Pads IMAGE to whole 4 KiB blocks and appends its hash tree; returns the
// parameters (enabled, hash_offset set).
Result<VerityConfig> append_hash_tree(const std::string& image, bool verbose);

// The detached PKCS#7 (DER) signature of the root hash's hex text, as
// dm-verity's root_hash_sig_key_desc and veritysetup --root-hash-signature
// take it: openssl smime -sign -nocerts -noattr -binary. Files are made in
// `workdir`.
Result<std::string> sign_root_hash(const std::string& root_hash, const std::string& key,
                                   const std::string& cert, const std::string& workdir);

}  // namespace iofs
