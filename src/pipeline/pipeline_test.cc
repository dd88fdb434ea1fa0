#include "pipeline/pipeline.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

constexpr const char* kSeedPipeline = R"(language: rust
rust_version: "1.75.0"
cache:
  paths: ["target/", "~/.cargo/"]
steps:
  - name: "test"
    command: "cargo test --all-features"
  - name: "build"
    command: |
      cargo build --release
      strip target/release/app
)";

// The error message of parsing `text` as .raibid.yaml, or "" when it parses.
std::string ErrorOf(const std::string& text) {
  auto p = ParsePipeline(text, ".raibid.yaml");
  if (p.has_value()) return "";
  EXPECT_EQ(p.error().kind, ErrorKind::kInvalidPipeline);
  return p.error().message;
}

TEST(ParsePipeline, ReadsTheSeedPipeline) {
  std::vector<std::string> warnings;
  auto p = ParsePipeline(kSeedPipeline, ".raibid.yaml", &warnings);
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(p->language, "rust");
  EXPECT_EQ(p->rust_version, "1.75.0");
  EXPECT_EQ(p->cache_paths, (std::vector<std::string>{"target/", "~/.cargo/"}));
  ASSERT_EQ(p->steps.size(), 2u);
  EXPECT_EQ(p->steps[0].name, "test");
  EXPECT_EQ(p->steps[0].command, "cargo test --all-features");
  EXPECT_FALSE(p->steps[0].timeout_minutes.has_value());
  EXPECT_EQ(p->steps[1].name, "build");
}

TEST(ParsePipeline, BlockCommandKeepsItsNewlines) {
  auto p = ParsePipeline(kSeedPipeline, ".raibid.yaml");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->steps[1].command, "cargo build --release\nstrip target/release/app\n");
}

TEST(ParsePipeline, ReadsTheExtensions) {
  const char* text = R"(image: "rust:1.75"
env:
  RUST_LOG: debug
  JOBS: 4
  VERBOSE: true
  EMPTY:
artifacts:
  paths: [target/release/app]
steps:
  - name: build
    command: cargo build
    timeout_minutes: 0.5
)";
  auto p = ParsePipeline(text, ".raibid.yaml");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->image, "rust:1.75");
  EXPECT_EQ(p->env, (std::map<std::string, std::string>{
                        {"RUST_LOG", "debug"}, {"JOBS", "4"}, {"VERBOSE", "true"}, {"EMPTY", ""}}));
  EXPECT_EQ(p->artifact_paths, (std::vector<std::string>{"target/release/app"}));
  EXPECT_EQ(p->steps[0].timeout_minutes, 0.5);
}

TEST(ParsePipeline, ReadsNetworkAndResources) {
  auto p = ParsePipeline("network: bridge\nresources:\n  cpu: 500m\n  memory: 2Gi\n"
                         "steps: [{name: a, command: b}]\n", ".raibid.yaml");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->network, "bridge");
  EXPECT_EQ(p->resources.cpu, "500m");
  EXPECT_EQ(p->resources.memory, "2Gi");
  auto plain = ParsePipeline("steps: [{name: a, command: b}]\n", ".raibid.yaml");
  EXPECT_EQ(plain->network, "none");
  EXPECT_EQ(ErrorOf("network: host\nsteps: [{name: a, command: b}]\n"),
            ".raibid.yaml:1:10: network: expected none or bridge, got 'host'");
  EXPECT_EQ(ErrorOf("resources:\n  memory: lots\nsteps: [{name: a, command: b}]\n"),
            ".raibid.yaml:2:11: resources.memory: expected a size like 10Gi, got 'lots'");
  EXPECT_EQ(ErrorOf("resources:\n  cpu: -1\nsteps: [{name: a, command: b}]\n"),
            ".raibid.yaml:2:8: resources.cpu: expected CPUs like 2, 0.5 or 500m, got '-1'");
}

TEST(PipelineImage, ImageThenLanguageTemplateThenTheAgentsImage) {
  Pipeline p;
  p.language = "rust";
  p.rust_version = "1.75.0";
  EXPECT_EQ(PipelineImage(p, "raibid/{language}-builder:{version}", "debian:12"),
            "raibid/rust-builder:1.75.0");
  p.rust_version.clear();
  EXPECT_EQ(PipelineImage(p, "raibid/{language}-builder:{version}", "debian:12"),
            "raibid/rust-builder:latest");
  p.language = "node";
  EXPECT_EQ(PipelineImage(p, "reg.local/{language}:{version}", ""), "reg.local/node:latest");
  p.image = "rust:1.80-slim";
  EXPECT_EQ(PipelineImage(p, "raibid/{language}-builder:{version}", "debian:12"), "rust:1.80-slim");
  EXPECT_EQ(PipelineImage(Pipeline{}, "raibid/{language}-builder:{version}", "debian:12"), "debian:12");
  EXPECT_EQ(PipelineImage(Pipeline{}, "raibid/{language}-builder:{version}", ""), "");
}

TEST(ParsePipeline, ReadsTheJsonOfAnInlinePipeline) {
  const char* json =
      R"({"steps": [{"name": "test", "command": "cargo test --all-features", "timeout_minutes": 2},)"
      R"( {"name": "multi", "command": "echo a\necho \"b\""}], "env": {"N": 1.50}})";
  auto p = ParsePipeline(json, "pipeline");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  ASSERT_EQ(p->steps.size(), 2u);
  EXPECT_EQ(p->steps[0].command, "cargo test --all-features");
  EXPECT_EQ(p->steps[0].timeout_minutes, 2);
  EXPECT_EQ(p->steps[1].command, "echo a\necho \"b\"");
  EXPECT_EQ(p->env.at("N"), "1.50");
}

TEST(ParsePipeline, JsonErrorsPointIntoTheJsonText) {
  auto p = ParsePipeline(R"({"steps": [{"name": "a"}]})", "job-1.pipeline");
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().message, "job-1.pipeline:1:12: steps[0].command: required");
}

TEST(ParsePipeline, StepsAreRequired) {
  EXPECT_EQ(
      ErrorOf(""),
      ".raibid.yaml:1:1: steps: required: a non-empty list of steps, each with name and command");
  EXPECT_EQ(
      ErrorOf("language: rust\n"),
      ".raibid.yaml:1:1: steps: required: a non-empty list of steps, each with name and command");
}

TEST(ParsePipeline, StepsMustBeANonEmptyList) {
  EXPECT_EQ(ErrorOf("language: rust\nsteps: []\n"),
            ".raibid.yaml:2:8: steps: must be a non-empty list, got an empty list");
  EXPECT_EQ(ErrorOf("language: rust\nsteps:\n"),
            ".raibid.yaml:2:1: steps: must be a non-empty list, got nothing");
  EXPECT_EQ(ErrorOf("steps: cargo test\n"),
            ".raibid.yaml:1:8: steps: must be a non-empty list, got a value");
}

TEST(ParsePipeline, EachStepNeedsANameAndACommand) {
  EXPECT_EQ(ErrorOf("steps:\n  - name: a\n    command: x\n  - name: b\n"),
            ".raibid.yaml:4:5: steps[1].command: required");
  EXPECT_EQ(ErrorOf("steps:\n  - command: x\n"), ".raibid.yaml:2:5: steps[0].name: required");
  EXPECT_EQ(ErrorOf("steps:\n  - name: \"\"\n    command: x\n"),
            ".raibid.yaml:2:5: steps[0].name: required");
  EXPECT_EQ(ErrorOf("steps:\n  - name: a\n    command: \"  \"\n"),
            ".raibid.yaml:3:14: steps[0].command: required");
  EXPECT_EQ(ErrorOf("steps:\n  - name: a\n    command:\n"),
            ".raibid.yaml:3:5: steps[0].command: required");
  EXPECT_EQ(ErrorOf("steps:\n  - cargo test\n"),
            ".raibid.yaml:2:5: steps[0]: expected a map with name and command, got a value");
}

TEST(ParsePipeline, StepFieldsMustHaveTheRightShape) {
  EXPECT_EQ(ErrorOf("steps:\n  - name: a\n    command: [cargo, test]\n"),
            ".raibid.yaml:3:14: steps[0].command: expected a value, got a list");
  EXPECT_EQ(ErrorOf("steps:\n  - name: {x: 1}\n    command: x\n"),
            ".raibid.yaml:2:11: steps[0].name: expected a value, got a map");
  EXPECT_EQ(ErrorOf("steps:\n  - name: \"a\\nb\"\n    command: x\n"),
            ".raibid.yaml:2:11: steps[0].name: expected a one-line name of at most 100 bytes, "
            "got 'a\\nb'");
  EXPECT_EQ(ErrorOf("steps:\n  - name: a\n    command: \"x\\0y\"\n"),
            ".raibid.yaml:3:14: steps[0].command: must not contain NUL bytes");
}

TEST(ParsePipeline, StepTimeoutMustBeAPositiveNumber) {
  EXPECT_EQ(
      ErrorOf("steps:\n  - name: a\n    command: x\n    timeout_minutes: 0\n"),
      ".raibid.yaml:4:22: steps[0].timeout_minutes: expected a number greater than 0, got '0'");
  EXPECT_EQ(ErrorOf("steps:\n  - name: a\n    command: x\n    timeout_minutes: soon\n"),
            ".raibid.yaml:4:22: steps[0].timeout_minutes: expected a number greater than 0, "
            "got 'soon'");
}

TEST(ParsePipeline, DuplicateStepNamesAreAnError) {
  EXPECT_EQ(ErrorOf("steps:\n  - {name: test, command: a}\n  - {name: lint, command: b}\n"
                    "  - {name: test, command: c}\n"),
            ".raibid.yaml:4:12: steps[2].name: 'test' is already the name of steps[0]");
}

TEST(ParsePipeline, OtherSectionsAreChecked) {
  EXPECT_EQ(ErrorOf("cache: [target/]\nsteps: [{name: a, command: b}]\n"),
            ".raibid.yaml:1:8: cache: expected a map with `paths`, got a list");
  EXPECT_EQ(ErrorOf("cache: {paths: target/}\nsteps: [{name: a, command: b}]\n"),
            ".raibid.yaml:1:16: cache.paths: expected a list, got a value");
  EXPECT_EQ(ErrorOf("artifacts: {paths: [a, {b: 1}]}\nsteps: [{name: a, command: b}]\n"),
            ".raibid.yaml:1:24: artifacts.paths[1]: expected a path, got a map");
  EXPECT_EQ(ErrorOf("artifacts: {paths: [a, \"\"]}\nsteps: [{name: a, command: b}]\n"),
            ".raibid.yaml:1:24: artifacts.paths[1]: must not be empty");
  EXPECT_EQ(ErrorOf("env: {\"BAD NAME\": 1}\nsteps: [{name: a, command: b}]\n"),
            ".raibid.yaml:1:7: env.BAD NAME: a variable name is letters, digits and _, "
            "not starting with a digit");
  EXPECT_EQ(ErrorOf("env: {A: [1]}\nsteps: [{name: a, command: b}]\n"),
            ".raibid.yaml:1:10: env.A: expected a value, got a list");
  EXPECT_EQ(ErrorOf("language: [rust]\nsteps: [{name: a, command: b}]\n"),
            ".raibid.yaml:1:11: language: expected a value, got a list");
  EXPECT_EQ(ErrorOf("- name: a\n  command: b\n"),
            ".raibid.yaml:1:1: expected a map with `steps:`, got a list");
}

TEST(ParsePipeline, UnknownKeysAreWarningsNotErrors) {
  const char* text = R"(language: rust
services: [postgres]
cache:
  keep: abc
steps:
  - name: test
    command: cargo test
    retries: 2
)";
  std::vector<std::string> warnings;
  auto p = ParsePipeline(text, ".raibid.yaml", &warnings);
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          "services (line 2): unknown key, ignored",
                          "cache.keep (line 4): unknown key, ignored",
                          "steps[0].retries (line 8): unknown key, ignored",
                      }));
  EXPECT_TRUE(ParsePipeline(text, ".raibid.yaml").has_value());
}

TEST(ParsePipeline, CacheKeyFallbacksAndPolicy) {
  auto p = ParsePipeline("cache:\n  paths: [out/]\n  key: v2\n  fallback_keys: [v1, v0]\n"
                         "  policy: pull\nsteps:\n  - name: a\n    command: b\n", ".raibid.yaml");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->cache_key, "v2");
  EXPECT_EQ(p->cache_fallback_keys, (std::vector<std::string>{"v1", "v0"}));
  EXPECT_EQ(p->cache_policy, "pull");
  EXPECT_EQ(ErrorOf("cache:\n  policy: sometimes\nsteps:\n  - name: a\n    command: b\n"),
            ".raibid.yaml:2:11: cache.policy: expected pull-push, pull or push");
}

TEST(ParsePipeline, MalformedYamlGivesLineAndColumn) {
  EXPECT_EQ(ErrorOf("steps:\n\t- name: x\n"),
            ".raibid.yaml:2:2: illegal block entry (YAML does not allow tabs for indentation; "
            "use spaces)");
  EXPECT_EQ(ErrorOf("steps:\n  - name: test\n    command: \"cargo test\n"),
            ".raibid.yaml:3:14: quoted string is never closed");
  EXPECT_EQ(ErrorOf("steps:\n  - name: 'test\n    command: x\n"),
            ".raibid.yaml:2:11: quoted string is never closed");
  EXPECT_EQ(ErrorOf("steps: [{name: a, command: b}\n"),
            ".raibid.yaml:2:1: end of sequence flow not found (a `[` is never closed by `]`)");
}

TEST(ParsePipeline, HostileInputIsRefusedClearly) {
  EXPECT_EQ(ErrorOf(std::string(10000, '[')), ".raibid.yaml:1:1: document is nested too deeply");
  const std::string huge = "steps: [{name: a, command: \"" + std::string(2 << 20, 'x') + "\"}]\n";
  EXPECT_EQ(ErrorOf(huge),
            ".raibid.yaml:1:1: document is 2097184 bytes, larger than the limit "
            "of 1048576 bytes");
  std::string many = "steps: [";
  for (int i = 0; i < 120000; ++i) many += "1,";
  EXPECT_TRUE(ErrorOf(many + "1]").ends_with("document has more than 100000 YAML nodes"));
}

TEST(ParsePipeline, BinaryJunkNeverCrashes) {
  uint32_t x = 99;
  for (int round = 0; round < 300; ++round) {
    std::string junk;
    for (int i = 0; i < 300; ++i) {
      x = x * 1664525 + 1013904223;
      junk += static_cast<char>(x >> 24);
    }
    if (round % 2 == 1) junk = "steps:\n  - name: a\n    command: " + junk;
    auto p = ParsePipeline(junk, ".raibid.yaml");
    if (p.has_value()) {
      EXPECT_FALSE(p->steps.at(0).command.empty());
    } else {
      EXPECT_TRUE(p.error().message.starts_with(".raibid.yaml:")) << p.error().message;
    }
  }
}

TEST(ParsePipeline, SelfReferencingAliasDoesNotHang) {
  const std::string message = ErrorOf("steps: &s [*s]\n");
  EXPECT_EQ(message,
            ".raibid.yaml:1:8: steps[0]: expected a map with name and command, got a list");
}

}  // namespace
}  // namespace raibid
