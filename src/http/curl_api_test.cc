#include "http/curl_api.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

TEST(CurlApiTest, AMissingLibcurlIsAnErrorNamingItsPackageAndWhatNeedsIt) {
  auto api = CurlApi::Load("libcurl-raibid-missing.so.4");
  ASSERT_FALSE(api.has_value());
  EXPECT_NE(api.error().message.find("(package libcurl4; needed by registries and the docker "
                                     "executor)"),
            std::string::npos)
      << api.error().message;
}

TEST(CurlApiTest, TheProcessLibcurlResolvesEveryFunctionAndAnswersCalls) {
  auto api = Curl();
  ASSERT_TRUE(api.has_value()) << api.error().message;
  EXPECT_STREQ((*api)->curl_easy_strerror(CURLE_OK), "No error");
  CURL* handle = (*api)->curl_easy_init();
  ASSERT_NE(handle, nullptr);
  (*api)->curl_easy_cleanup(handle);
}

}  // namespace
}  // namespace raibid
