#include "registry/registry_auth.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

TEST(RegistryAuth, TokenLifetimeKeepsAMarginBeforeExpiry) {
  EXPECT_EQ(TrustedLifetime(60), std::chrono::seconds(54));
  EXPECT_EQ(TrustedLifetime(0), std::chrono::seconds(54));         // missing: the spec's 60 s
  EXPECT_EQ(TrustedLifetime(86400), std::chrono::seconds(86370));  // Gitea's 24 h, 30 s early
  // A token server's "expires_in": 1e18 must not overflow the clock's time points.
  EXPECT_EQ(TrustedLifetime(1'000'000'000'000'000'000), std::chrono::seconds(7 * 86400 - 30));
}

}  // namespace
}  // namespace raibid
