#include "process/user_ids.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

TEST(ResolveUser, TakesUidColonGidAsGiven) {
  EXPECT_EQ(ResolveUser("1000:1001"), (UserIds{.uid = 1000, .gid = 1001}));
  EXPECT_EQ(ResolveUser("65534:65534"), (UserIds{.uid = 65534, .gid = 65534}));
}

TEST(ResolveUser, LooksANameOrANumberUpWithItsPrimaryGroup) {
  EXPECT_EQ(ResolveUser("root"), (UserIds{.uid = 0, .gid = 0}));
  EXPECT_EQ(ResolveUser("0"), (UserIds{.uid = 0, .gid = 0}));
}

TEST(ResolveUser, RefusesWhatItCannotResolve) {
  for (const char* spec : {"", "raibid-no-such-user", "1:", ":1", "a:b", "1:2:3", "4294967296:1"}) {
    auto ids = ResolveUser(spec);
    ASSERT_FALSE(ids) << spec;
    EXPECT_EQ(ids.error().kind, ErrorKind::kConfig);
    EXPECT_NE(ids.error().message.find("neither UID:GID"), std::string::npos);
  }
}

}  // namespace
}  // namespace raibid
