// The file service mode leaves for pre-initoverlayfs-switch-root.service.
#include <gtest/gtest.h>

#include "init/switch_root_request.h"

using namespace iofs;

TEST(SwitchRootRequest, ReadsBothLines) {
  auto r = parse_switch_root_request("INITOVERLAYFS_NEW_ROOT=/sysroot\nINITOVERLAYFS_INIT=/init\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->new_root, "/sysroot");
  EXPECT_EQ(r->init, "/init");
  // Order, other lines and a missing final newline do not matter.
  r = parse_switch_root_request("X=1\nINITOVERLAYFS_INIT=/sbin/init\nINITOVERLAYFS_NEW_ROOT=/sysroot");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->init, "/sbin/init");
  EXPECT_EQ(r->new_root, "/sysroot");
}

TEST(SwitchRootRequest, RefusesAnIncompleteFile) {
  EXPECT_FALSE(parse_switch_root_request(""));
  EXPECT_FALSE(parse_switch_root_request("INITOVERLAYFS_NEW_ROOT=/sysroot\n"));
  EXPECT_FALSE(parse_switch_root_request("INITOVERLAYFS_INIT=/init\n"));
  EXPECT_FALSE(parse_switch_root_request("INITOVERLAYFS_NEW_ROOT=\nINITOVERLAYFS_INIT=/init\n"));
}
