#include "util/openssl_api.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

TEST(OpenSslApiTest, AMissingLibraryNamesItsPackage) {
  auto api = OpenSslApi::Load("libssl-raibid-missing.so.3");
  ASSERT_FALSE(api.has_value());
  EXPECT_NE(api.error().message.find("(package libssl3; needed by rediss:// connections"),
            std::string::npos)
      << api.error().message;
}

TEST(OpenSslApiTest, TheProcesssOpenSslHashesThroughItsTable) {
  auto api = OpenSsl();
  ASSERT_TRUE(api.has_value()) << api.error().message;
  const OpenSslApi& s = **api;
  EVP_MD_CTX* ctx = s.EVP_MD_CTX_new();
  ASSERT_NE(ctx, nullptr);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ASSERT_EQ(s.EVP_DigestInit_ex(ctx, s.EVP_sha256(), nullptr), 1);
  s.EVP_DigestUpdate(ctx, "abc", 3);
  s.EVP_DigestFinal_ex(ctx, md, &len);
  s.EVP_MD_CTX_free(ctx);
  ASSERT_EQ(len, 32u);
  EXPECT_EQ(md[0], 0xba);  // SHA-256("abc") = ba7816bf...
  EXPECT_EQ(md[31], 0xad);
  EXPECT_EQ(OpenSsl().value(), &s);  // loaded once
}

}  // namespace
}  // namespace raibid
