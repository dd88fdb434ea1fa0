#include "http/http_url.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

TEST(HttpUrl, SplitsSchemeAuthorityAndPath) {
  auto u = ParseHttpUrl("HTTPS://Gitea.Example.com:8443/");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->authority, "gitea.example.com:8443");
  EXPECT_EQ(u->path, "");
  EXPECT_EQ(u->origin(), "https://gitea.example.com:8443");
}

TEST(HttpUrl, RefusesOtherSchemesAndEmbeddedCredentials) {
  EXPECT_FALSE(ParseHttpUrl("ftp://x"));
  EXPECT_FALSE(ParseHttpUrl("gitea.example.com"));
  auto creds = ParseHttpUrl("https://user:secret@gitea.example.com");
  ASSERT_FALSE(creds);
  EXPECT_EQ(creds.error().message.find("secret"), std::string::npos);
}

TEST(HttpUrl, ResolvesAbsoluteLocationAsIs) {
  EXPECT_EQ(ResolveLocation("http://a:5000/v2/x/blobs/uploads/", "https://b/upload?s=1"),
            "https://b/upload?s=1");
}

TEST(HttpUrl, ResolvesRootRelativeLocationAgainstTheRequestOrigin) {
  EXPECT_EQ(ResolveLocation("http://a:5000/v2/x/blobs/uploads/?mount=1",
                            "/v2/x/blobs/uploads/uuid?_state=abc"),
            "http://a:5000/v2/x/blobs/uploads/uuid?_state=abc");
}

TEST(HttpUrl, ResolvesPathRelativeLocationAgainstTheRequestDirectory) {
  EXPECT_EQ(ResolveLocation("http://a/v2/x/blobs/uploads/?q=1", "uuid?s=2"),
            "http://a/v2/x/blobs/uploads/uuid?s=2");
}

TEST(HttpUrl, AppendsToAnExistingQueryWithAmpersand) {
  EXPECT_EQ(AppendQuery("http://a/u?_state=xy", "digest", "sha256:ab"),
            "http://a/u?_state=xy&digest=sha256%3Aab");
  EXPECT_EQ(AppendQuery("http://a/u", "digest", "sha256:ab"), "http://a/u?digest=sha256%3Aab");
  EXPECT_EQ(AppendQuery("http://a/u?", "k", "v w"), "http://a/u?k=v%20w");
}

TEST(HttpUrl, ComparesOriginsIgnoringCaseAndPath) {
  EXPECT_TRUE(SameOrigin("http://A:5000/v2/", "http://a:5000"));
  EXPECT_FALSE(SameOrigin("http://a:5000/v2/", "http://a:5001/v2/"));
  EXPECT_FALSE(SameOrigin("https://a/v2/", "http://a/v2/"));
}

TEST(HttpUrl, DropsUserInfo) {
  EXPECT_EQ(WithoutUserInfo("https://ci:tok3n@gitea.example.com/a/b.git"),
            "https://gitea.example.com/a/b.git");
  EXPECT_EQ(WithoutUserInfo("https://gitea.example.com/a@b"), "https://gitea.example.com/a@b");
  EXPECT_EQ(WithoutUserInfo("owner/name"), "owner/name");
}

}  // namespace
}  // namespace raibid
