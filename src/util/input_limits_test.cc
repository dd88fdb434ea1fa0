#include "util/input_limits.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

TEST(InputLimits, DefaultsAreTheDocumentedOnes) {
  const InputLimits l;
  EXPECT_EQ(l.job_bytes, 1u << 20);
  EXPECT_EQ(l.json_depth, 64u);
  EXPECT_EQ(l.pipeline_bytes, 1u << 20);
  EXPECT_EQ(l.yaml_depth, 64u);
  EXPECT_EQ(l.yaml_nodes, 100000u);
  EXPECT_EQ(l.steps, 1000u);
  EXPECT_EQ(l.command_bytes, 64u << 10);
  EXPECT_EQ(l.env_bytes, 64u << 10);
  EXPECT_EQ(l.artifacts, 1000u);
  EXPECT_EQ(l.artifact_bytes, 10ull << 30);
  EXPECT_EQ(l.cache_archive_bytes, 20ull << 30);
  EXPECT_EQ(l.cache_entries, 1000000u);
  EXPECT_EQ(l.http_response_bytes, 4u << 20);
}

TEST(InputLimits, MessagesNameTheKeyAndTheLimit) {
  EXPECT_EQ(LimitKey("steps"), "agent.limits.steps");
  EXPECT_EQ(CountLimitText("steps", 1000), "agent.limits.steps (1000)");
  EXPECT_EQ(SizeLimitText("job_bytes", 1 << 20), "agent.limits.job_bytes (1 MiB)");
  EXPECT_EQ(SizeOverLimit((2 << 20) + 5, "job_bytes", 1 << 20),
            "2.0 MiB is over agent.limits.job_bytes (1 MiB)");
  // Just past the limit the exact count tells the two apart.
  EXPECT_EQ(SizeOverLimit((1 << 20) + 1, "job_bytes", 1 << 20),
            "1.0 MiB (1048577 bytes) is over agent.limits.job_bytes (1 MiB)");
  EXPECT_EQ(SizeOverLimit(101, "command_bytes", 100),
            "101 bytes is over agent.limits.command_bytes (100 bytes)");
}

TEST(InputLimits, EnvBytesCountsNamesAndValues) {
  EXPECT_EQ(EnvBytes({}), 0u);
  EXPECT_EQ(EnvBytes({{"A", "xyz"}, {"LONG", ""}}), 8u);
}

}  // namespace
}  // namespace raibid
