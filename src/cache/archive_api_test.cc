#include "cache/archive_api.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

TEST(ArchiveApiTest, AMissingLibarchiveIsAnErrorNamingItsPackageAndWhatNeedsIt) {
  auto api = ArchiveApi::Load("libarchive-raibid-missing.so.13");
  ASSERT_FALSE(api.has_value());
  EXPECT_TRUE(api.error().local);
  EXPECT_NE(api.error().message.find("(package libarchive13; needed by caches)"), std::string::npos)
      << api.error().message;
}

TEST(ArchiveApiTest, TheProcessLibarchiveResolvesEveryFunction) {
  auto api = Archive();
  ASSERT_TRUE(api.has_value()) << api.error().message;
  archive* a = (*api)->archive_read_new();
  ASSERT_NE(a, nullptr);
  EXPECT_EQ((*api)->archive_read_free(a), ARCHIVE_OK);
}

}  // namespace
}  // namespace raibid
