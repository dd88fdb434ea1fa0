#include "job/job.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

TEST(ParseJob, SeedExample) {
  auto job = ParseJob(R"({"job_id": "job-abc123", "repository": "raibid/core", "commit": "a1b2c3d4",
    "branch": "main", "pipeline": {"steps": [{"name": "test", "command": "cargo test --all-features"}]},
    "timeout_minutes": 30, "cache_enabled": true})");
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->id, "job-abc123");
  EXPECT_EQ(job->repository, "raibid/core");
  EXPECT_EQ(job->commit, "a1b2c3d4");
  EXPECT_EQ(job->branch, "main");
  ASSERT_TRUE(job->pipeline_text);
  EXPECT_NE(job->pipeline_text->find("cargo test --all-features"), std::string::npos);
  EXPECT_EQ(job->timeout_minutes, 30);
  EXPECT_TRUE(job->cache_enabled);
}

TEST(ParseJob, FractionalTimeoutAndEnv) {
  auto job = ParseJob(R"({"job_id": "j1", "repository": "a/b", "tag": "v1",
    "timeout_minutes": 0.5, "env": {"A": "x", "N": 3, "B": true}})");
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_DOUBLE_EQ(*job->timeout_minutes, 0.5);
  EXPECT_EQ(job->env.at("A"), "x");
  EXPECT_EQ(job->env.at("N"), "3");
  EXPECT_EQ(job->env.at("B"), "true");
}

TEST(ParseJob, NotJsonHasNoJobId) {
  for (const char* text : {"", "not json", "{", "[1,2]", "\"str\"", "{\"job_id\": 5}",
                           "{\"job_id\": \"bad id!\"}", "{\"repository\": \"a/b\"}"}) {
    auto job = ParseJob(text);
    ASSERT_FALSE(job) << text;
    EXPECT_FALSE(job.error().job_id) << text;
  }
}

TEST(ParseJob, InvalidFieldsKeepTheJobIdAndNameTheField) {
  struct Case { const char* json; const char* field; };
  for (auto c : {Case{R"({"job_id":"j","commit":"abc"})", "repository"},
                 Case{R"({"job_id":"j","repository":"a/b"})", "commit, branch or tag"},
                 Case{R"({"job_id":"j","repository":7,"branch":"m"})", "repository"},
                 Case{R"({"job_id":"j","repository":"a/b","branch":"m","timeout_minutes":-1})",
                      "timeout_minutes"},
                 Case{R"({"job_id":"j","repository":"a/b","branch":"m","timeout_minutes":"5"})",
                      "timeout_minutes"},
                 Case{R"({"job_id":"j","repository":"a/b","branch":"m","pipeline":[]})", "pipeline"},
                 Case{R"({"job_id":"j","repository":"a/b","branch":"m","env":{"A":[1]}})", "env.A"},
                 Case{R"({"job_id":"j","repository":"a/b","branch":"m","cache_enabled":1})",
                      "cache_enabled"}}) {
    auto job = ParseJob(c.json);
    ASSERT_FALSE(job) << c.json;
    EXPECT_EQ(job.error().job_id, "j");
    EXPECT_NE(job.error().message.find(c.field), std::string::npos) << job.error().message;
  }
}

TEST(ParseJob, DeepNestingAndHugeInputAreRejectedCleanly) {
  EXPECT_FALSE(ParseJob(std::string(100000, '[')));
  EXPECT_FALSE(ParseJob(std::string(2 << 20, ' ')));
}

TEST(JobId, GeneratedIdsAreValidAndDistinct) {
  auto a = GenerateJobId(), b = GenerateJobId();
  EXPECT_TRUE(IsValidJobId(a));
  EXPECT_NE(a, b);
  EXPECT_FALSE(IsValidJobId(std::string(129, 'a')));
  EXPECT_FALSE(IsValidJobId("a/b"));
}

}  // namespace
}  // namespace raibid
