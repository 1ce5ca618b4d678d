#include "builder/verity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/image.h"
#include "builder/spawn.h"
#include "core/strings.h"
#include "core/sys.h"

namespace iofs {

namespace {
constexpr uint32_t kBlock = 4096;  // data and hash blocks: the page size
}

Result<VerityConfig> parse_veritysetup_format(std::string_view output) {
  // Each value is checked as the config file's key would be.
  Config c;
  c.verity.salt.clear();
  std::optional<uint64_t> blocks;
  for (std::string_view line : split_lines(output)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
    std::optional<std::string> warning;
    if (key == "Root hash") warning = apply_setting(c, "verity_root_hash", value);
    else if (key == "Salt") warning = apply_setting(c, "verity_salt", value.empty() ? "-" : value);
    else if (key == "Data block size") warning = apply_setting(c, "verity_data_block_size", value);
    else if (key == "Hash block size") warning = apply_setting(c, "verity_hash_block_size", value);
    else if (key == "Hash algorithm") warning = apply_setting(c, "verity_hash_algorithm", value);
    else if (key == "Data blocks") {
      blocks = parse_int<uint64_t>(value);
      if (!blocks) warning = str("bad data block count '", value, "'");
    }
    if (warning) return fail("read veritysetup output", *warning);
  }
  if (c.verity.root_hash.empty() || c.verity.salt.empty() || !blocks)
    return fail("read veritysetup output", "no root hash, salt or data block count in it");
  c.verity.enabled = true;
  c.verity.data_blocks = *blocks;
  return c.verity;
}

Result<void> check_kernel_verity(const std::string& config_path, bool signed_root_hash) {
  const std::string text = TRY(sys::read_file(config_path));
  for (const char* option : {"CONFIG_DM_VERITY", "CONFIG_DM_VERITY_VERIFY_ROOTHASH_SIG"}) {
    if (!signed_root_hash && std::string_view(option).ends_with("_SIG")) continue;
    if (kernel_config_value(text, option).empty())
      return fail("kernel config", str(config_path, " does not set ", option, " (needed by --verity",
                                       signed_root_hash ? "-sign" : "", ")"));
  }
  return {};
}

Result<VerityConfig> append_hash_tree(const std::string& image, bool verbose) {
  if (!program_exists("veritysetup"))
    return fail("--verity", "veritysetup not found (install cryptsetup-bin)");
  struct stat st;
  if (::stat(image.c_str(), &st) != 0) return sys_error("stat", image);
  // Zeros past the filesystem's end are never read by it; they only make
  // the data a whole number of blocks.
  const uint64_t data_bytes = (static_cast<uint64_t>(st.st_size) + kBlock - 1) / kBlock * kBlock;
  if (::truncate(image.c_str(), static_cast<off_t>(data_bytes)) != 0)
    return sys_error("truncate", image);
  // Its report through a pipe: no side file next to the image.
  std::string text;
  auto ran = run_program({"veritysetup", "format", "--no-superblock",
                          str("--hash-offset=", data_bytes), str("--data-blocks=", data_bytes / kBlock),
                          str("--data-block-size=", kBlock), str("--hash-block-size=", kBlock),
                          "--hash=sha256", image, image},
                         {.quiet_stderr = !verbose, .stdout_capture = &text});
  if (!ran) return fail("veritysetup format", str(image, ": ", ran.error().message()));
  VerityConfig v = TRY(parse_veritysetup_format(text));
  v.hash_offset = data_bytes;
  if (auto problem = verity_config_problem(v)) return fail("veritysetup format", *problem);
  return v;
}

Result<std::string> sign_root_hash(const std::string& root_hash, const std::string& key,
                                   const std::string& cert, const std::string& workdir) {
  if (!program_exists("openssl")) return fail("--verity-sign", "openssl not found");
  const std::string text = workdir + "/roothash.txt", sig = workdir + "/roothash.p7s";
  {
    // workdir is private (scratch.h); still, never through a planted name.
    UniqueFd fd = TRY(sys::open(text, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
    TRY(sys::write_all(fd.get(), root_hash, text));  // no newline: the signed bytes are the hex
  }
  auto ran = run_program({"openssl", "smime", "-sign", "-nocerts", "-noattr", "-binary", "-in",
                          text, "-inkey", key, "-signer", cert, "-outform", "der", "-out", sig});
  auto der = sys::read_file(sig, 1 << 20);
  ::unlink(text.c_str());
  ::unlink(sig.c_str());
  if (!ran) return fail("sign root hash with", str(key, " and ", cert, ": ", ran.error().message()));
  return der;
}

}  // namespace iofs
