// The line PID 1 logs once dm-verity checks the image (boot tests grep it).
#include <gtest/gtest.h>

#include "core/config.h"
#include "init/dm_verity.h"

using namespace iofs;

TEST(VeritySummary, NamesDeviceAlgorithmHashAndPolicy) {
  VerityConfig v;
  v.hash_algorithm = "sha256";
  v.root_hash = "e49a24e347b539d85a5654d39869ef66969ef8cb5e332e711b607c3ff9cae046";
  AttachedImage image{ImageAttach::verity, "/dev/loop0", "/dev/dm-0"};
  EXPECT_EQ(describe_verity("/boot/x.img", v, image),
            "/boot/x.img is checked by dm-verity as /dev/dm-0 (sha256, root hash "
            "e49a24e347b539d8…, on corruption: eio)");
  v.on_corruption = VerityOnCorruption::panic;
  v.root_hash_sig = "/etc/initoverlayfs.roothash.p7s";
  EXPECT_EQ(describe_verity("/dev/vda2", v, image),
            "/dev/vda2 is checked by dm-verity as /dev/dm-0 (sha256, root hash "
            "e49a24e347b539d8…, on corruption: panic, root hash signature accepted by the "
            "kernel)");
}
