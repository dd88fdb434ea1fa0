#include "job/job.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pipeline/pipeline.h"

namespace raibid {
namespace {

TEST(ParseJob, DesignExample) {
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

TEST(ParseJob, SecretEnvIsKeptApartFromEnvAndCountsTowardsItsLimit) {
  auto job = ParseJob(R"({"job_id": "j1", "repository": "a/b", "branch": "m",
    "env": {"A": "x"}, "secret_env": {"NPM_TOKEN": "npm-secret-value", "N": 7}})");
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->env.size(), 1u);
  EXPECT_EQ(job->secret_env.at("NPM_TOKEN"), "npm-secret-value");
  EXPECT_EQ(job->secret_env.at("N"), "7");

  auto both = ParseJob(R"({"job_id": "j2", "repository": "a/b", "branch": "m",
    "env": {"T": "x"}, "secret_env": {"T": "hidden-value"}})");
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().message, "secret_env.T: also in env; give a variable in one of them");

  auto bad = ParseJob(R"({"job_id": "j3", "repository": "a/b", "branch": "m",
    "secret_env": {"T": ["hidden-value"]}})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "secret_env.T: expected a string, number or boolean, got array");

  InputLimits limits;
  limits.env_bytes = 10;
  auto over = ParseJob(R"({"job_id": "j4", "repository": "a/b", "branch": "m",
    "env": {"A": "12345"}, "secret_env": {"B": "67890"}})",
                       limits);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().message,
            "env and secret_env of 12 bytes is over agent.limits.env_bytes (10 bytes)");
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
  struct Case {
    const char* json;
    const char* field;
  };
  for (auto c :
       {Case{R"({"job_id":"j","commit":"abc"})", "repository"},
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

std::string JobWithPipeline(const std::string& pipeline) {
  return R"({"job_id": "j", "repository": "a/b", "branch": "m", "pipeline": )" + pipeline + "}";
}

// Found by fuzz/job: a well-formed job nested 150,000 levels deep overflowed the stack when its
// pipeline was printed, and 100,000 levels of arrays made a 4 GiB indented text.
TEST(ParseJob, RefusesNestingDeeperThan64Levels) {
  const int n = 100000;
  const std::string deep = std::string(n, '[') + std::string(n, ']');
  auto job = ParseJob(JobWithPipeline(R"({"steps": )" + deep + "}"));
  ASSERT_FALSE(job);
  EXPECT_EQ(job.error().message, "job is nested deeper than agent.limits.json_depth (64 levels)");
  EXPECT_EQ(job.error().job_id, "j");  // failed under its id, not dead-lettered
  const std::string shallow = std::string(60, '[') + std::string(60, ']');
  EXPECT_TRUE(ParseJob(JobWithPipeline(R"({"a": )" + shallow + "}")));
}

TEST(ParseJob, LargeInlinePipelineIsPrintedCompact) {
  std::string steps;
  for (int i = 0; i < 5000; ++i) {
    steps += (i ? "," : "") + std::string(R"({"name": "s)") + std::to_string(i) +
             R"(", "command": "true"})";
  }
  auto job = ParseJob(JobWithPipeline(R"({"steps": [)" + steps + "]}"));
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->pipeline_text->find('\n'), std::string::npos);
  EXPECT_LT(job->pipeline_text->size(), 1u << 20);
}

// A job of exactly `size` bytes (padded with spaces before the closing brace).
std::string JobOfSize(size_t size, const std::string& extra = "") {
  std::string text = R"({"job_id": "big", "repository": "a/b", "branch": "m")" + extra;
  if (text.size() + 1 < size) text += std::string(size - text.size() - 1, ' ');
  return text + "}";
}

TEST(ParseJob, MessageJustPastJobBytesFailsUnderItsId) {
  InputLimits limits;
  limits.job_bytes = 1000;
  EXPECT_TRUE(ParseJob(JobOfSize(1000), limits));
  auto job = ParseJob(JobOfSize(1001), limits);
  ASSERT_FALSE(job);
  EXPECT_EQ(job.error().message,
            "job message of 1001 bytes is over agent.limits.job_bytes (1000 bytes)");
  EXPECT_EQ(job.error().job_id, "big");  // found without parsing the whole message

  // The default: 1 MiB.
  auto huge = ParseJob(JobOfSize((2 << 20) + 5));
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().message, "job message of 2.0 MiB is over agent.limits.job_bytes (1 MiB)");
  EXPECT_EQ(huge.error().job_id, "big");
  auto just_past = ParseJob(JobOfSize((1 << 20) + 1));
  ASSERT_FALSE(just_past);
  EXPECT_EQ(just_past.error().message,
            "job message of 1.0 MiB (1048577 bytes) is over agent.limits.job_bytes (1 MiB)");
}

TEST(ParseJob, OversizedMessageFindsItsIdAnywhereAtTheTopLevel) {
  InputLimits limits;
  limits.job_bytes = 100;
  const std::string text =
      R"({"env": {"PAD": "a \"quoted\" }{ ][, \\"}, "x": [1, {"job_id": "no"}],)"
      R"( "job_id" : "late-id", "pad": ")" +
      std::string(200, 'x') + R"("})";
  auto job = ParseJob(text, limits);
  ASSERT_FALSE(job);
  EXPECT_EQ(job.error().job_id, "late-id");
}

TEST(ParseJob, OversizedMessageWithoutAUsableIdHasNone) {
  InputLimits limits;
  limits.job_bytes = 10;
  for (const char* text : {R"({"a": {"job_id": "nested"}, "b": 1})", R"({"job_id": "bad id!"})",
                           R"([1, 2, 3, 4, 5, 6])", "not json at all", R"({"job_id": 5, "x": 1})",
                           R"({"job_id": "unterminated)", R"({"job_id": ["a"], "x": 1})",
                           R"({"x": 1, "job_id": null})", R"("job_id")"}) {
    auto job = ParseJob(text, limits);
    ASSERT_FALSE(job) << text;
    EXPECT_FALSE(job.error().job_id) << text;
  }
}

TEST(ParseJob, OversizedMessageReadsItsIdAsTheParserDoes) {
  InputLimits limits;
  limits.job_bytes = 10;
  // Escapes decoded, as ParseJob reads a message within the limit.
  auto escaped = ParseJob(R"({"job_id": "esc\u0061ped", "x": 1})", limits);
  ASSERT_FALSE(escaped);
  EXPECT_EQ(escaped.error().job_id, "escaped");
  // The peek stops at the id: what follows it may be broken.
  auto broken = ParseJob(R"({"job_id": "first", "x": [}}}})", limits);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().job_id, "first");
}

TEST(ParseJob, OversizedMessageNestedPastJsonDepthStopsThePeek) {
  InputLimits limits;
  limits.job_bytes = 10;
  limits.json_depth = 4;
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto after = ParseJob(R"({"a": )" + deep + R"(, "job_id": "late"})", limits);
  ASSERT_FALSE(after);
  EXPECT_FALSE(after.error().job_id);
  auto before = ParseJob(R"({"job_id": "early", "a": )" + deep + "}", limits);
  ASSERT_FALSE(before);
  EXPECT_EQ(before.error().job_id, "early");
  auto within = ParseJob(R"({"a": [[[1]]], "job_id": "ok"})", limits);
  ASSERT_FALSE(within);
  EXPECT_EQ(within.error().job_id, "ok");
}

TEST(ParseJob, NestingJustPastJsonDepthNamesTheLimit) {
  InputLimits limits;
  limits.json_depth = 10;
  // The job is level 1 and its pipeline level 2; "a" holds 8 more levels: 10 in all.
  EXPECT_TRUE(ParseJob(JobWithPipeline(R"({"a": [[[[[[[[]]]]]]]]})"), limits));
  auto job = ParseJob(JobWithPipeline(R"({"a": [[[[[[[[[]]]]]]]]]})"), limits);
  ASSERT_FALSE(job);
  EXPECT_EQ(job.error().job_id, "j");
  EXPECT_EQ(job.error().message, "job is nested deeper than agent.limits.json_depth (10 levels)");
}

// A job's env reaches the same steps as a pipeline's: a name one refuses, the other refuses too.
TEST(ParseJob, EnvNamesFollowTheRuleOfAPipeline) {
  for (const std::string name :
       {"A", "_x", "CARGO_HOME", "X1", "1X", "A-B", "A.B", "BAD NAME", "\xc3\x89T\xc3\x89", ""}) {
    const std::string job_text = nlohmann::json{
        {"job_id", "j"},
        {"repository", "a/b"},
        {"branch", "m"},
        {"env", {{name, "v"}}}}.dump();
    const auto job = ParseJob(job_text);
    const std::string pipeline_text =
        nlohmann::json{{"env", {{name, "v"}}}, {"steps", {{{"name", "a"}, {"command", "b"}}}}}
            .dump();
    const auto pipeline = ParsePipeline(pipeline_text, "p.yaml", nullptr);
    EXPECT_EQ(job.has_value(), pipeline.has_value()) << "'" << name << "'";
    if (!job) {
      EXPECT_EQ(job.error().job_id, "j");
      EXPECT_EQ(job.error().message,
                "env." + name +
                    ": a variable name is letters, digits and _, not starting with a "
                    "digit");
    }
  }
  auto secret =
      ParseJob(R"({"job_id":"j","repository":"a/b","branch":"m","secret_env":{"A-B":"v"}})");
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.error().message,
            "secret_env.A-B: a variable name is letters, digits and _, not starting with a digit");
}

TEST(ParseJob, EnvJustPastEnvBytesNamesTheLimit) {
  InputLimits limits;
  limits.env_bytes = 100;
  const std::string base = R"({"job_id": "j", "repository": "a/b", "branch": "m", "env": )";
  // Names and values: "A" + 95 bytes + "BC" + "12" = 100.
  const std::string at = base + R"({"A": ")" + std::string(95, 'x') + R"(", "BC": 12}})";
  EXPECT_TRUE(ParseJob(at, limits));
  const std::string past = base + R"({"A": ")" + std::string(96, 'x') + R"(", "BC": 12}})";
  auto job = ParseJob(past, limits);
  ASSERT_FALSE(job);
  EXPECT_EQ(job.error().job_id, "j");
  EXPECT_EQ(job.error().message, "env of 101 bytes is over agent.limits.env_bytes (100 bytes)");
  // The default is 64 KiB.
  const std::string big = base + R"({"A": ")" + std::string(64 << 10, 'x') + R"("}})";
  auto over = ParseJob(big);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().message,
            "env of 64.0 KiB (65537 bytes) is over agent.limits.env_bytes (64 KiB)");
}

TEST(ParseJob, UnknownKeysAreNotedWithTheNearKnownName) {
  auto job = ParseJob(
      R"({"job_id": "j", "repository": "a/b", "branch": "m", "timout_minutes": 0.05,
          "priority": 3})");
  ASSERT_TRUE(job) << job.error().message;  // it still runs, with the default timeout
  EXPECT_FALSE(job->timeout_minutes);
  EXPECT_EQ(job->unknown_keys,
            (std::vector<std::string>{"unknown key 'priority'",
                                      "unknown key 'timout_minutes' (did you mean "
                                      "'timeout_minutes'?)"}));
}

TEST(ParseJob, AMissingRequiredKeyAlsoNamesTheUnknownKey) {
  auto job = ParseJob(R"({"job_id": "j", "repository": "a/b", "brnach": "main"})");
  ASSERT_FALSE(job);
  EXPECT_EQ(job.error().job_id, "j");
  EXPECT_EQ(job.error().message,
            "commit, branch or tag: at least one is required; unknown key 'brnach' (did you "
            "mean 'branch'?)");
  auto no_id = ParseJob(R"({"jobid": "j", "repository": "a/b", "branch": "m"})");
  ASSERT_FALSE(no_id);
  EXPECT_NE(no_id.error().message.find("unknown key 'jobid' (did you mean 'job_id'?)"),
            std::string::npos)
      << no_id.error().message;
}

TEST(ParseJob, UnknownKeyNotesAreCappedAndEscaped) {
  std::string extra;
  for (int i = 0; i < 25; ++i) extra += R"(, "x)" + std::to_string(100 + i) + R"(": 1)";
  auto job = ParseJob(R"({"job_id": "j", "repository": "a/b", "branch": "m")" + extra +
                      R"(, "bad\nkey": 1})");
  ASSERT_TRUE(job) << job.error().message;
  ASSERT_EQ(job->unknown_keys.size(), kMaxUnknownKeyNotes + 1);
  EXPECT_EQ(job->unknown_keys.front(), "unknown key 'bad\\nkey'");
  EXPECT_EQ(job->unknown_keys.back(), "and 16 more unknown keys");
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
