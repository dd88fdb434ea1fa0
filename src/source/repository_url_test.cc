#include "source/repository_url.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

constexpr std::string_view kBase = "http://127.0.0.1:3000";

std::string ErrorOf(std::string_view repository, std::string_view base = kBase) {
  auto r = ResolveRepositoryUrl(repository, base);
  if (r) return "resolved to " + *r;
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidJob);
  return r.error().message;
}

TEST(RepositoryUrlTest, OwnerNameResolvesAgainstBaseUrl) {
  EXPECT_EQ(ResolveRepositoryUrl("raibid/core", kBase).value(),
            "http://127.0.0.1:3000/raibid/core.git");
  EXPECT_EQ(ResolveRepositoryUrl("raibid/core.git", "http://h/git/").value(),
            "http://h/git/raibid/core.git");
}

TEST(RepositoryUrlTest, FullUrlsPassThrough) {
  for (std::string_view url :
       {"https://gitea.example.com/a/b.git", "http://h:8080/a/b",
        "ssh://git@gitea.example.com:2222/a/b.git", "file:///srv/git/a.git"}) {
    EXPECT_EQ(ResolveRepositoryUrl(url, kBase).value(), url);
  }
}

TEST(RepositoryUrlTest, RefusesMalformedInputNamingTheField) {
  for (std::string_view bad :
       {"", "..", "../x", "a/../b", "owner/name/extra", "-oops/x", "owner name/x", "owner/na me",
        "ext::sh -c touch% /tmp/x", "git@host:owner/name", "ftp://h/a/b", "http://h/a/../b",
        "https://h/a b", "--upload-pack=touch/x", "file:///", "http://"}) {
    EXPECT_NE(ErrorOf(bad).find("repository"), std::string::npos) << bad;
  }
}

TEST(RepositoryUrlTest, RefusesEmbeddedCredentialsWithoutEchoingThem) {
  std::string message = ErrorOf("https://user:s3cr3t-token@gitea.example.com/a/b.git");
  EXPECT_NE(message.find("credentials"), std::string::npos);
  EXPECT_EQ(message.find("s3cr3t-token"), std::string::npos);
}

TEST(RepositoryUrlTest, OwnerNameNeedsABaseUrl) {
  EXPECT_NE(ErrorOf("raibid/core", "").find("git.base_url"), std::string::npos);
}

TEST(RepositoryUrlTest, MirrorDirNameIsReadableAndDistinct) {
  std::string a = MirrorDirName("http://127.0.0.1:3000/Raibid/Core.git");
  EXPECT_TRUE(a.starts_with("raibid-core-")) << a;
  EXPECT_TRUE(a.ends_with(".git")) << a;
  EXPECT_EQ(a, MirrorDirName("http://127.0.0.1:3000/Raibid/Core.git"));
  EXPECT_NE(a, MirrorDirName("http://127.0.0.1:3001/Raibid/Core.git"));
  EXPECT_EQ(MirrorDirName("file:///x").find('/'), std::string::npos);
}

}  // namespace
}  // namespace raibid
