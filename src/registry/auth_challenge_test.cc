#include "registry/auth_challenge.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

TEST(AuthChallenge, ParsesDistributionBearerChallenge) {
  auto c = ParseAuthChallenges(
      R"(Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].param("realm"), "https://auth.example.com/token");
  EXPECT_EQ(c[0].param("service"), "registry.example.com");
  EXPECT_EQ(c[0].param("scope"), "repository:a/b:pull,push");
}

TEST(AuthChallenge, ParsesGiteaChallengeWithStarScope) {
  auto c = ParseAuthChallenges(
      R"(Bearer realm="https://gitea.example.com/v2/token",service="container_registry",scope="*")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].param("scope"), "*");
}

TEST(AuthChallenge, SplitsSeveralChallengesInOneHeader) {
  auto c =
      ParseAuthChallenges(R"(Basic realm="registry", Bearer realm="https://a/t", service=svc)");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].param("realm"), "registry");
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].param("service"), "svc");
}

TEST(AuthChallenge, UnquotesEscapesAndLowerCasesNames) {
  auto c = ParseAuthChallenges(R"(BASIC Realm="say \"hi\", then go")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].param("realm"), R"(say "hi", then go)");
}

TEST(AuthChallenge, PicksBearerOverBasicAcrossHeaders) {
  auto c = PickChallenge({R"(Basic realm="x")", R"(Bearer realm="https://t/token")"});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->scheme, "bearer");
  EXPECT_FALSE(PickChallenge({R"(Negotiate abc)"}));
  EXPECT_FALSE(PickChallenge({}));
}

}  // namespace
}  // namespace raibid
