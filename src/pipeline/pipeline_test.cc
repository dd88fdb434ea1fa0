#include "pipeline/pipeline.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

constexpr const char* kDesignPipeline = R"(language: rust
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
std::string ErrorOf(const std::string& text, const InputLimits& limits = {}) {
  auto p = ParsePipeline(text, ".raibid.yaml", nullptr, limits);
  if (p.has_value()) return "";
  EXPECT_EQ(p.error().kind, ErrorKind::kInvalidPipeline);
  return p.error().message;
}

TEST(ParsePipeline, ReadsTheDesignPipeline) {
  std::vector<std::string> warnings;
  auto p = ParsePipeline(kDesignPipeline, ".raibid.yaml", &warnings);
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
  auto p = ParsePipeline(kDesignPipeline, ".raibid.yaml");
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
  auto p = ParsePipeline(
      "network: bridge\nresources:\n  cpu: 500m\n  memory: 2Gi\n"
      "steps: [{name: a, command: b}]\n",
      ".raibid.yaml");
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

TEST(ParsePipeline, ReadsPrivilegedAndVolumes) {
  auto p = ParsePipeline(
      "privileged: true\nvolumes: [\"/srv/data:/data:ro\", \"/cache:/c\"]\n"
      "steps: [{name: a, command: b}]\n",
      ".raibid.yaml");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_TRUE(p->privileged);
  EXPECT_EQ(p->volumes, (std::vector<std::string>{"/srv/data:/data:ro", "/cache:/c"}));
  EXPECT_FALSE(ParsePipeline("steps: [{name: a, command: b}]\n", "x")->privileged);
  EXPECT_EQ(ErrorOf("volumes: [\"data:/data\"]\nsteps: [{name: a, command: b}]\n"),
            ".raibid.yaml:1:11: volumes[0]: expected HOST:CONTAINER or HOST:CONTAINER:ro with "
            "absolute paths, got 'data:/data'");
  EXPECT_NE(ErrorOf("privileged: maybe\nsteps: [{name: a, command: b}]\n"), "");
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
  EXPECT_EQ(PipelineImage(Pipeline{}, "raibid/{language}-builder:{version}", "debian:12"),
            "debian:12");
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

TEST(ParsePipeline, AnUnknownKeyNearAKnownOneSuggestsIt) {
  std::vector<std::string> warnings;
  auto p = ParsePipeline("imgae: alpine\nsteps:\n  - name: a\n    comand: make\n", ".raibid.yaml",
                         &warnings);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, ".raibid.yaml:3:5: steps[0].command: required");
  EXPECT_EQ(warnings,
            (std::vector<std::string>{
                "imgae (line 1): unknown key, ignored (did you mean 'image'?)",
                "steps[0].comand (line 4): unknown key, ignored (did you mean 'command'?)"}));
}

TEST(ParsePipeline, UnknownKeysAreWarningsNotErrors) {
  const char* text = R"(language: rust
notifications: [chat]
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
                          "notifications (line 2): unknown key, ignored",
                          "cache.keep (line 4): unknown key, ignored",
                          "steps[0].retries (line 8): unknown key, ignored",
                      }));
  EXPECT_TRUE(ParsePipeline(text, ".raibid.yaml").has_value());
}

TEST(ParsePipeline, CacheKeyFallbacksAndPolicy) {
  auto p = ParsePipeline(
      "cache:\n  paths: [out/]\n  key: v2\n  fallback_keys: [v1, v0]\n"
      "  policy: pull\nsteps:\n  - name: a\n    command: b\n",
      ".raibid.yaml");
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
  EXPECT_TRUE(
      ErrorOf(std::string(10000, '['))
          .ends_with(": document is nested deeper than agent.limits.yaml_depth (64 levels)"))
      << ErrorOf(std::string(10000, '['));
  const std::string deep = std::string(65, '[') + std::string(65, ']');
  EXPECT_EQ(
      ErrorOf(deep),
      ".raibid.yaml:1:65: document is nested deeper than agent.limits.yaml_depth (64 levels)");
  const std::string huge = "steps: [{name: a, command: \"" + std::string(2 << 20, 'x') + "\"}]\n";
  EXPECT_EQ(ErrorOf(huge),
            ".raibid.yaml:1:1: document of 2.0 MiB is over agent.limits.pipeline_bytes (1 MiB)");
  std::string many = "steps: [";
  for (int i = 0; i < 120000; ++i) many += "1,";
  EXPECT_TRUE(ErrorOf(many + "1]")
                  .ends_with("document has more YAML nodes than agent.limits.yaml_nodes (100000)"));
}

// `n` steps "- {name: sN, command: true}".
std::string Steps(size_t n) {
  std::string text = "steps:\n";
  for (size_t i = 0; i < n; ++i) {
    text += "  - {name: s" + std::to_string(i) + ", command: 'true'}\n";
  }
  return text;
}

TEST(ParsePipelineLimits, DocumentJustPastPipelineBytes) {
  const std::string text = "steps: [{name: a, command: b}]\n";  // 31 bytes
  InputLimits limits;
  limits.pipeline_bytes = text.size();
  EXPECT_EQ(ErrorOf(text, limits), "");
  limits.pipeline_bytes = text.size() - 1;
  EXPECT_EQ(
      ErrorOf(text, limits),
      ".raibid.yaml:1:1: document of 31 bytes is over agent.limits.pipeline_bytes (30 bytes)");
}

TEST(ParsePipelineLimits, StepsJustPastTheLimit) {
  EXPECT_EQ(ErrorOf(Steps(1000)), "");  // the default: 1000
  EXPECT_EQ(ErrorOf(Steps(1001)),
            ".raibid.yaml:2:3: steps: 1001 steps are more than agent.limits.steps (1000)");
  InputLimits limits;
  limits.steps = 3;
  EXPECT_EQ(ErrorOf(Steps(3), limits), "");
  EXPECT_EQ(ErrorOf(Steps(4), limits),
            ".raibid.yaml:2:3: steps: 4 steps are more than agent.limits.steps (3)");
}

TEST(ParsePipelineLimits, CommandJustPastCommandBytes) {
  auto with_command = [](size_t n) {
    return "steps:\n  - name: a\n    command: " + std::string(n, 'x') + "\n";
  };
  EXPECT_EQ(ErrorOf(with_command(64 << 10)), "");  // the default: 64 KiB
  EXPECT_EQ(ErrorOf(with_command((64 << 10) + 1)),
            ".raibid.yaml:3:14: steps[0].command: 64.0 KiB (65537 bytes) is over "
            "agent.limits.command_bytes (64 KiB)");
  InputLimits limits;
  limits.command_bytes = 10;
  EXPECT_EQ(ErrorOf(with_command(10), limits), "");
  EXPECT_EQ(ErrorOf(with_command(11), limits),
            ".raibid.yaml:3:14: steps[0].command: 11 bytes is over agent.limits.command_bytes "
            "(10 bytes)");
}

TEST(ParsePipelineLimits, EnvJustPastEnvBytes) {
  auto with_env = [](size_t n) {
    return "env:\n  AB: " + std::string(n, 'v') + "\n  C: '1'\nsteps: [{name: a, command: b}]\n";
  };
  InputLimits limits;
  limits.env_bytes = 20;  // "AB" + n + "C" + "1"
  EXPECT_EQ(ErrorOf(with_env(16), limits), "");
  EXPECT_EQ(ErrorOf(with_env(17), limits),
            ".raibid.yaml:2:3: env: 21 bytes is over agent.limits.env_bytes (20 bytes)");
}

TEST(ParsePipelineLimits, YamlDepthAndNodesJustPastTheLimit) {
  InputLimits limits;
  limits.yaml_depth = 4;  // the top map, steps, a step, and one more
  EXPECT_EQ(ErrorOf("steps: [{name: a, command: b, x: {}}]\n", limits), "");
  EXPECT_EQ(ErrorOf("steps: [{name: a, command: b, x: {y: []}}]\n", limits),
            ".raibid.yaml:1:38: document is nested deeper than agent.limits.yaml_depth (4 levels)");
  limits = {};
  limits.yaml_nodes = 8;  // the top map, "steps", the list, the step map and four values
  EXPECT_EQ(ErrorOf("steps: [{name: a, command: b}]\n", limits), "");
  EXPECT_EQ(ErrorOf("steps: [{name: a, command: b, c: d}]\n", limits),
            ".raibid.yaml:1:31: document has more YAML nodes than agent.limits.yaml_nodes (8)");
}

TEST(ParsePipelineLimits, AHundredThousandStepsAreRefusedBeforeTheyAreRead) {
  const std::string text = Steps(100000);  // 3.6 MB
  EXPECT_EQ(ErrorOf(text),
            ".raibid.yaml:1:1: document of 3.4 MiB is over "
            "agent.limits.pipeline_bytes (1 MiB)");
  InputLimits limits;
  limits.pipeline_bytes = 8 << 20;  // then the node count stops the scan, before a tree is built
  EXPECT_TRUE(ErrorOf(text, limits)
                  .ends_with("document has more YAML nodes than agent.limits.yaml_nodes (100000)"))
      << ErrorOf(text, limits);
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

constexpr const char* kFlowPipeline = R"(steps:
  - name: lint
    depends_on: []
    command: cargo clippy
  - name: test
    depends_on: []
    retry: {max: 2, exit_codes: [101]}
    command: cargo test
  - name: docs
    allow_failure: true
    command: cargo doc
  - name: publish
    when: {branch: [main, "release/*"], tag: v*}
    depends_on: [lint, test]
    retry: 3
    command: ./publish.sh
  - name: notify
    when: {status: [failure]}
    allow_failure: [1, 2]
    command: ./notify.sh
)";

TEST(ParsePipeline, ReadsConditionsRetriesAllowedFailuresAndDependencies) {
  std::vector<std::string> warnings;
  auto p = ParsePipeline(kFlowPipeline, ".raibid.yaml", &warnings);
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_TRUE(warnings.empty());
  const auto& s = p->steps;
  EXPECT_TRUE(s[0].depends_on.empty());
  EXPECT_TRUE(s[1].depends_on.empty());
  EXPECT_EQ(s[2].depends_on, std::vector<size_t>{1});  // the step above
  EXPECT_EQ(s[3].depends_on, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(s[1].retries, 2);
  EXPECT_TRUE(s[1].retry_on.Matches(101));
  EXPECT_FALSE(s[1].retry_on.Matches(1));
  EXPECT_EQ(s[3].retries, 3);
  EXPECT_TRUE(s[3].retry_on.Matches(1));
  EXPECT_TRUE(s[2].allow_failure.Matches(7));
  EXPECT_TRUE(s[4].allow_failure.Matches(2));
  EXPECT_FALSE(s[4].allow_failure.Matches(3));
  EXPECT_FALSE(s[0].allow_failure.Matches(1));
  EXPECT_TRUE(s[3].when.Matches("release/1.2", ""));
  EXPECT_TRUE(s[3].when.Matches("", "v1.0"));
  EXPECT_FALSE(s[3].when.Matches("feature/x", ""));
  EXPECT_FALSE(s[3].when.Matches("", ""));  // a bare commit has no ref to match
  EXPECT_TRUE(s[0].when.Matches("", ""));
  EXPECT_TRUE(s[3].when.on_success && !s[3].when.on_failure);
  EXPECT_TRUE(!s[4].when.on_success && s[4].when.on_failure);
}

TEST(ParsePipeline, BadFlowKeysNameTheStepKeyAndLine) {
  const std::string head = "steps:\n  - name: a\n    command: x\n  - name: b\n    command: y\n";
  EXPECT_EQ(ErrorOf(head + "    depends_on: [c]\n"),
            ".raibid.yaml:6:18: steps[1].depends_on[0]: no step is named 'c'");
  EXPECT_EQ(ErrorOf(head + "    depends_on: [b]\n"),
            ".raibid.yaml:6:18: steps[1].depends_on[0]: a step cannot depend on itself");
  EXPECT_EQ(ErrorOf(head + "    depends_on: [a, a]\n"),
            ".raibid.yaml:6:21: steps[1].depends_on[1]: 'a' is named twice");
  EXPECT_EQ(ErrorOf("steps:\n  - name: a\n    depends_on: [b]\n    command: x\n"
                    "  - name: b\n    command: y\n"),
            ".raibid.yaml:3:17: steps[0].depends_on: a cycle: a -> b -> a (each waits for the "
            "next)");
  EXPECT_EQ(ErrorOf(head + "    when: {branch: 'release/[0-9'}\n"),
            ".raibid.yaml:6:20: steps[1].when.branch: the glob 'release/[0-9': `[` at byte 8 has "
            "no closing `]`");
  EXPECT_EQ(ErrorOf(head + "    when: {status: sometimes}\n"),
            ".raibid.yaml:6:20: steps[1].when.status: expected success, failure or always, got "
            "'sometimes'");
  EXPECT_EQ(ErrorOf(head + "    retry: 6\n"),
            ".raibid.yaml:6:12: steps[1].retry: expected a number of retries from 1 to 5, got '6'");
  EXPECT_EQ(ErrorOf(head + "    allow_failure: [0]\n"),
            ".raibid.yaml:6:21: steps[1].allow_failure[0]: expected an exit code from 1 to 255, "
            "got '0'");
}

TEST(ParsePipeline, ReadsServicesAndStepImages) {
  auto p = ParsePipeline(R"(services:
  - name: db
    image: postgres:16
    env: {POSTGRES_PASSWORD: test}
    command: [postgres, -c, fsync=off]
    ready: {port: 5432, timeout_seconds: 90}
  - name: cache
    image: redis:7
    ready: {command: redis-cli ping}
steps:
  - {name: lint, image: "localhost/tools/clippy:latest", command: cargo clippy}
  - {name: test, command: cargo test}
)",
                         ".raibid.yaml");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  ASSERT_EQ(p->services.size(), 2u);
  EXPECT_EQ(p->services[0].name, "db");
  EXPECT_EQ(p->services[0].env.at("POSTGRES_PASSWORD"), "test");
  EXPECT_EQ(p->services[0].command, (std::vector<std::string>{"postgres", "-c", "fsync=off"}));
  EXPECT_EQ(p->services[0].ready_port, 5432);
  EXPECT_EQ(p->services[0].ready_timeout_seconds, 90);
  EXPECT_EQ(p->services[1].ready_command, "redis-cli ping");
  EXPECT_EQ(p->services[1].ready_timeout_seconds, 60);
  EXPECT_EQ(p->steps[0].image, "localhost/tools/clippy:latest");
  EXPECT_EQ(p->steps[1].image, "");
}

TEST(ParsePipeline, BadServicesNameTheKeyAndLine) {
  EXPECT_EQ(ErrorOf("services:\n  - {name: db, image: x, ready: {port: 70000}}\nsteps: [{name: a, "
                    "command: b}]\n"),
            ".raibid.yaml:2:40: services[0].ready.port: expected a port from 1 to 65535, got "
            "'70000'");
  EXPECT_EQ(ErrorOf("services:\n  - {name: Db_1, image: x}\nsteps: [{name: a, command: b}]\n"),
            ".raibid.yaml:2:12: services[0].name: expected a host name (a-z, 0-9 and inner '-', "
            "at most 63 bytes), got 'Db_1'");
  EXPECT_EQ(ErrorOf("services:\n  - {name: db}\nsteps: [{name: a, command: b}]\n"),
            ".raibid.yaml:2:5: services[0].image: required");
  std::string many = "services:\n";
  for (int i = 0; i < 1000; ++i) many += "  - {name: s" + std::to_string(i) + ", image: x}\n";
  EXPECT_EQ(ErrorOf(many + "steps: [{name: a, command: b}]\n"),
            ".raibid.yaml:2:3: services: 1000 services are more than agent.limits.services (10)");
}

}  // namespace
}  // namespace raibid
