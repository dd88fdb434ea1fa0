#include "source/ref_name.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

TEST(RefNameTest, CommitAcceptsFullAndAbbreviatedHex) {
  EXPECT_TRUE(ValidateCommit("a1b2"));
  EXPECT_TRUE(ValidateCommit("A1B2C3D4"));
  EXPECT_TRUE(ValidateCommit(std::string(40, 'f')));
}

TEST(RefNameTest, CommitRefusesWrongLengthOrNonHex) {
  for (const std::string& bad : std::vector<std::string>{"", "abc", std::string(41, 'a'), "a1b2g3",
                                                         "--all", "HEAD", "a1b2 "}) {
    auto r = ValidateCommit(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidJob);
    EXPECT_TRUE(r.error().message.starts_with("commit")) << r.error().message;
  }
}

TEST(RefNameTest, RefAcceptsOrdinaryNames) {
  for (std::string_view ok :
       {"main", "feature/x-1", "release-1.2", "v1.0.0", "user@host", "a.b/c_d"}) {
    EXPECT_TRUE(ValidateRefName("branch", ok)) << ok;
  }
}

TEST(RefNameTest, RefRefusesWhatCheckRefFormatRefuses) {
  for (std::string_view bad : {"",       "-x",       "--upload-pack=touch /tmp/x",
                               "a..b",   "a b",      "a~1",
                               "a^",     "a:b",      "a?",
                               "a*",     "a[",       "a\\b",
                               "/a",     "a/",       "a//b",
                               "a.",     ".a",       "a/.b",
                               "a.lock", "a.lock/b", "@",
                               "a@{1}",  "a\x01",    "a\x7f"}) {
    auto r = ValidateRefName("branch", bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidJob);
    EXPECT_TRUE(r.error().message.starts_with("branch")) << r.error().message;
  }
}

TEST(RefNameTest, ErrorNamesTheGivenField) {
  EXPECT_TRUE(ValidateRefName("tag", "-v1").error().message.starts_with("tag"));
}

TEST(RefNameTest, RefsNeedOneAndCheckEachGiven) {
  EXPECT_EQ(ValidateRefs("", "", "").error().message,
            "commit, branch or tag: at least one is required");
  EXPECT_TRUE(ValidateRefs("a1b2c3d4", "main", "v1.0"));
  EXPECT_TRUE(ValidateRefs("", "", "v1.0"));
  EXPECT_TRUE(ValidateRefs("xyz!", "main", "").error().message.starts_with("commit"));
  EXPECT_TRUE(ValidateRefs("", "main", "-v1").error().message.starts_with("tag"));
  EXPECT_TRUE(ValidateRefs("a1b2", "a..b", "").error().message.starts_with("branch"));
  EXPECT_EQ(ValidateRefs("", "", "v1~").error().kind, ErrorKind::kInvalidJob);
}

}  // namespace
}  // namespace raibid
