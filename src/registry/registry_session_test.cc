#include "registry/registry_session.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

TEST(RegistryErrorDetail, CodeAndMessageOfTheFirstError) {
  EXPECT_EQ(RegistryErrorDetail(
                R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"},{}]})"),
            "MANIFEST_UNKNOWN: manifest unknown");
  EXPECT_EQ(RegistryErrorDetail(R"({"errors":[{"message":"denied"}]})"), "denied");
  EXPECT_EQ(RegistryErrorDetail("<html>502</html>"), "");
}

// Found by fuzzing registry_json: value() threw on these, and the exception ended the agent.
TEST(RegistryErrorDetail, IgnoresErrorsOfTheWrongShape) {
  EXPECT_EQ(RegistryErrorDetail(R"({"errors":[1]})"), "");
  EXPECT_EQ(RegistryErrorDetail(R"({"errors":[{"code":5,"message":["x"]}]})"), "");
  EXPECT_EQ(RegistryErrorDetail(R"({"errors":[{"code":"DENIED","message":null}]})"), "DENIED");
}

}  // namespace
}  // namespace raibid
