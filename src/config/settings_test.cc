#include "config/settings.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <climits>
#include <map>

#include "support/temp_dir.h"

namespace raibid {
namespace {

EnvLookup Vars(std::map<std::string, std::string> vars) { return MapEnvLookup(std::move(vars)); }

std::string HostName() {
  char name[HOST_NAME_MAX + 1] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

// A file of the source tree (the build passes its root).
std::filesystem::path SourceFile(const char* relative) {
  return std::filesystem::path(RAIBID_SOURCE_DIR) / relative;
}

// The error message of parsing `yaml` as agent.yaml with `vars`, or "" when it parses.
std::string ErrorOf(const std::string& yaml, std::map<std::string, std::string> vars = {}) {
  auto r = ParseSettings(yaml, "agent.yaml", Vars(std::move(vars)), nullptr);
  if (r.has_value()) return "";
  EXPECT_EQ(r.error().kind, ErrorKind::kConfig);
  return r.error().message;
}

constexpr const char* kDesignConfig = R"(agent:
  image: "raibid/rust-builder:latest"
  resources:
    requests: {cpu: "2", memory: "4Gi"}
    limits: {cpu: "4", memory: "8Gi"}
  cache:
    enabled: true
    path: "/var/cache/raibid"
    size: "50Gi"
  timeout:
    default_minutes: 30
    max_minutes: 120
  redis:
    url: "redis://redis:6379"
    stream_name: "ci-jobs"
    consumer_group: "ci-workers"
    consumer_name: "${POD_NAME}"
)";

TEST(ParseSettings, ReadsTheDesignConfiguration) {
  std::vector<std::string> warnings;
  auto s = ParseSettings(kDesignConfig, "agent.yaml", Vars({{"POD_NAME", "agent-0"}}), &warnings);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(s->image, "raibid/rust-builder:latest");
  EXPECT_EQ(s->requests.cpu, "2");
  EXPECT_EQ(s->requests.memory, "4Gi");
  EXPECT_EQ(s->limits.cpu, "4");
  EXPECT_EQ(s->limits.memory, "8Gi");
  EXPECT_TRUE(s->cache_enabled);
  EXPECT_EQ(s->cache_path, "/var/cache/raibid");
  EXPECT_EQ(s->cache_size_bytes, 50ull << 30);
  EXPECT_EQ(s->default_timeout_minutes, 30);
  EXPECT_EQ(s->max_timeout_minutes, 120);
  EXPECT_EQ(s->redis.url, "redis://redis:6379");
  EXPECT_EQ(s->redis.stream, "ci-jobs");
  EXPECT_EQ(s->redis.group, "ci-workers");
  EXPECT_EQ(s->redis.consumer, "agent-0");
}

TEST(ParseSettings, UnsetPodNameFallsBackToTheHostName) {
  auto s = ParseSettings(kDesignConfig, "agent.yaml", Vars({}), nullptr);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->redis.consumer, HostName());
}

TEST(ParseSettings, EmptyDocumentGivesTheDefaults) {
  for (const char* yaml : {"", "# nothing yet\n", "agent:\n", "---\n"}) {
    auto s = ParseSettings(yaml, "agent.yaml", Vars({}), nullptr);
    ASSERT_TRUE(s.has_value()) << yaml << ": " << s.error().message;
    EXPECT_EQ(s->redis.url, "redis://127.0.0.1:6379");
    EXPECT_EQ(s->redis.stream, "ci-jobs");
    EXPECT_EQ(s->redis.group, "ci-workers");
    EXPECT_EQ(s->redis.consumer, HostName());
    EXPECT_EQ(s->executor, ExecutorKind::kShell);
    EXPECT_EQ(s->docker_host, "unix:///var/run/docker.sock");
    EXPECT_EQ(s->concurrency, 1);
    EXPECT_EQ(s->http_listen, "0.0.0.0:9090");
    EXPECT_EQ(s->lease_seconds, 60);
    EXPECT_EQ(s->max_deliveries, 3);
    EXPECT_EQ(s->shutdown_grace_seconds, 600);
    EXPECT_EQ(s->retention_days, 7);
    EXPECT_EQ(s->timeout_extension_percent, 10);
    EXPECT_EQ(s->log_limit_bytes, 16u << 20);
    EXPECT_EQ(s->status_stream_maxlen, 100000u);
    EXPECT_EQ(s->min_free_disk_bytes, 1u << 30);
    EXPECT_EQ(s->shell.env_passthrough,
              (std::vector<std::string>{"PATH", "LANG", "LC_ALL", "TZ", "TERM"}));
    EXPECT_EQ(s->shell.user, "");
  }
}

TEST(ParseSettings, ReadsEveryExtensionKey) {
  const char* yaml = R"(agent:
  executor: docker
  docker:
    host: "tcp://dind:2375"
    pull_policy: always
    language_image: "gitea.local/ci/{language}:{version}"
    preload_images: "debian:12, rust:1.80"
    allow_network: true
    pids_limit: 512
    tmp_size: 256Mi
    user: "1000:1000"
    allow_privileged: true
    host_paths: "/srv/ci-data, /opt/sdk"
    step_host: unix:///run/dind/docker.sock
  shell:
    env_passthrough: "PATH, LANG,TZ , HTTPS_PROXY"
    user: "1000:1000"
  concurrency: 4
  work_dir: /srv/work
  min_free_disk: 5Gi
  http: {listen: "127.0.0.1:0"}
  git: {base_url: "http://gitea:3000", token_file: /run/secrets/git, username: bot}
  registry:
    url: "http://registry:5000"
    username: ci
    password_file: /run/secrets/registry
    insecure: true
  lease_seconds: 30
  max_deliveries: 5
  shutdown_grace_seconds: 0
  retention_days: 14
  timeout: {extension_percent: 25.5}
  log: {limit: 2Mi}
  status: {maxlen: 5000}
)";
  std::vector<std::string> warnings;
  auto s = ParseSettings(yaml, "agent.yaml", Vars({}), &warnings);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(s->executor, ExecutorKind::kDocker);
  EXPECT_EQ(s->docker_host, "tcp://dind:2375");
  EXPECT_EQ(s->docker.pull_policy, PullPolicy::kAlways);
  EXPECT_EQ(s->docker.language_image, "gitea.local/ci/{language}:{version}");
  EXPECT_EQ(s->docker.preload_images, "debian:12, rust:1.80");
  EXPECT_TRUE(s->docker.allow_network);
  EXPECT_EQ(s->docker.pids_limit, 512);
  EXPECT_EQ(s->docker.tmp_size, 256u << 20);
  EXPECT_EQ(s->docker.user, "1000:1000");
  EXPECT_TRUE(s->docker.allow_privileged);
  EXPECT_EQ(s->docker.host_paths, "/srv/ci-data, /opt/sdk");
  EXPECT_EQ(s->docker.step_host, "unix:///run/dind/docker.sock");
  EXPECT_EQ(s->shell.env_passthrough,
            (std::vector<std::string>{"PATH", "LANG", "TZ", "HTTPS_PROXY"}));
  EXPECT_EQ(s->shell.user, "1000:1000");
  EXPECT_EQ(s->concurrency, 4);
  EXPECT_EQ(s->work_dir, "/srv/work");
  EXPECT_EQ(s->min_free_disk_bytes, 5ull << 30);
  EXPECT_EQ(s->http_listen, "127.0.0.1:0");
  EXPECT_EQ(s->git_base_url, "http://gitea:3000");
  EXPECT_EQ(s->git_token_file, "/run/secrets/git");
  EXPECT_EQ(s->git_username, "bot");
  EXPECT_EQ(s->registry_url, "http://registry:5000");
  EXPECT_EQ(s->registry_username, "ci");
  EXPECT_EQ(s->registry_password_file, "/run/secrets/registry");
  EXPECT_TRUE(s->registry_insecure);
  EXPECT_EQ(s->lease_seconds, 30);
  EXPECT_EQ(s->max_deliveries, 5);
  EXPECT_EQ(s->shutdown_grace_seconds, 0);
  EXPECT_EQ(s->retention_days, 14);
  EXPECT_EQ(s->timeout_extension_percent, 25.5);
  EXPECT_EQ(s->log_limit_bytes, 2u << 20);
  EXPECT_EQ(s->status_stream_maxlen, 5000u);
}

TEST(ParseSettings, InputLimitsHaveTheirDefaults) {
  auto s = ParseSettings("agent:\n", "agent.yaml", Vars({}), nullptr);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  const InputLimits& l = s->input_limits;
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

TEST(ParseSettings, ReadsEveryLimitKey) {
  const char* yaml = R"(agent:
  resources:
    limits: {cpu: "2"}
  limits:
    job_bytes: 2Mi
    json_depth: 32
    pipeline_bytes: 512Ki
    yaml_depth: 16
    yaml_nodes: 5000
    steps: 50
    command_bytes: 16Ki
    env_bytes: 8Ki
    artifacts: 10
    artifact_bytes: 1Gi
    cache_archive_bytes: 5Gi
    cache_entries: 20000
    http_response_bytes: 1Mi
)";
  std::vector<std::string> warnings;
  auto s = ParseSettings(yaml, "agent.yaml", Vars({}), &warnings);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(s->limits.cpu, "2");  // agent.resources.limits is another thing
  const InputLimits& l = s->input_limits;
  EXPECT_EQ(l.job_bytes, 2u << 20);
  EXPECT_EQ(l.json_depth, 32u);
  EXPECT_EQ(l.pipeline_bytes, 512u << 10);
  EXPECT_EQ(l.yaml_depth, 16u);
  EXPECT_EQ(l.yaml_nodes, 5000u);
  EXPECT_EQ(l.steps, 50u);
  EXPECT_EQ(l.command_bytes, 16u << 10);
  EXPECT_EQ(l.env_bytes, 8u << 10);
  EXPECT_EQ(l.artifacts, 10u);
  EXPECT_EQ(l.artifact_bytes, 1ull << 30);
  EXPECT_EQ(l.cache_archive_bytes, 5ull << 30);
  EXPECT_EQ(l.cache_entries, 20000u);
  EXPECT_EQ(l.http_response_bytes, 1u << 20);
}

TEST(ParseSettings, LimitsAreCheckedForTypeAndRange) {
  EXPECT_EQ(ErrorOf("agent:\n  limits:\n    steps: 0\n"),
            "agent.yaml:3:12: agent.limits.steps: expected a whole number of at least 1, got '0'");
  EXPECT_EQ(ErrorOf("agent:\n  limits:\n    job_bytes: lots\n"),
            "agent.yaml:3:16: agent.limits.job_bytes: expected a size like 10Gi, got 'lots'");
  EXPECT_EQ(ErrorOf("agent:\n  limits:\n    json_depth: 1.5\n"),
            "agent.yaml:3:17: agent.limits.json_depth: expected a whole number of at least 1, "
            "got '1.5'");
  EXPECT_EQ(ErrorOf("agent:\n  limits:\n    http_response_bytes: 100\n"),
            "agent.yaml:3:26: agent.limits.http_response_bytes: expected a size of at least 1024 "
            "bytes, got '100'");
  std::vector<std::string> warnings;
  ASSERT_TRUE(
      ParseSettings("agent:\n  limits:\n    stepz: 5\n", "agent.yaml", Vars({}), &warnings));
  EXPECT_EQ(warnings,
            (std::vector<std::string>{
                "agent.limits.stepz (line 3): unknown key, ignored (did you mean 'steps'?)"}));
}

TEST(ParseSettings, DockerHostDefaultsToTheDockerHostVariable) {
  auto s = ParseSettings("agent:\n  executor: docker\n", "agent.yaml",
                         Vars({{"DOCKER_HOST", "unix:///run/podman.sock"}}), nullptr);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->docker_host, "unix:///run/podman.sock");
}

TEST(ParseSettings, ExpandsVariablesBeforeTyping) {
  const char* yaml = R"(agent:
  concurrency: "${SLOTS:-2}"
  cache: {size: "${CACHE_SIZE}", enabled: "${CACHE_ON}"}
  redis: {url: "redis://${REDIS_HOST}:6379/0"}
)";
  auto s = ParseSettings(
      yaml, "agent.yaml",
      Vars({{"CACHE_SIZE", "10Gi"}, {"CACHE_ON", "false"}, {"REDIS_HOST", "r1"}}), nullptr);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->concurrency, 2);
  EXPECT_EQ(s->cache_size_bytes, 10ull << 30);
  EXPECT_FALSE(s->cache_enabled);
  EXPECT_EQ(s->redis.url, "redis://r1:6379/0");
}

TEST(ParseSettings, EmptyValuesKeepTheDefault) {
  const char* yaml = "agent:\n  redis:\n    url:\n    stream_name: \"\"\n  concurrency: ${UNSET}\n";
  auto s = ParseSettings(yaml, "agent.yaml", Vars({}), nullptr);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->redis.url, "redis://127.0.0.1:6379");
  EXPECT_EQ(s->redis.stream, "ci-jobs");
  EXPECT_EQ(s->concurrency, 1);
}

TEST(ParseSettings, UnknownKeysAreWarningsWithTheirLine) {
  const char* yaml = "agent:\n  image: x\n  foo: 1\n  cache:\n    colour: red\nother: 2\n";
  std::vector<std::string> warnings;
  auto s = ParseSettings(yaml, "agent.yaml", Vars({}), &warnings);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->image, "x");
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          "agent.foo (line 3): unknown key, ignored",
                          "agent.cache.colour (line 5): unknown key, ignored",
                          "other (line 6): unknown key, ignored",
                      }));
}

TEST(ParseSettings, WrongSizeNamesFileLineColumnAndKey) {
  EXPECT_EQ(ErrorOf("agent:\n  cache:\n    size: abc\n"),
            "agent.yaml:3:11: agent.cache.size: expected a size like 10Gi, got 'abc'");
}

TEST(ParseSettings, SecretsMapVariableNamesToFiles) {
  auto s = ParseSettings(
      "agent:\n  secrets:\n    NPM_TOKEN: /run/secrets/npm\n"
      "    CARGO_REGISTRY_TOKEN: \"${SECRETS}/cargo\"\n",
      "agent.yaml", Vars({{"SECRETS", "/mnt/s"}}), nullptr);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(s->secret_files.size(), 2u);
  EXPECT_EQ(s->secret_files.at("NPM_TOKEN"), "/run/secrets/npm");
  EXPECT_EQ(s->secret_files.at("CARGO_REGISTRY_TOKEN"), "/mnt/s/cargo");
  EXPECT_TRUE(ParseSettings("", "agent.yaml", Vars({}), nullptr)->secret_files.empty());

  EXPECT_EQ(ErrorOf("agent:\n  secrets:\n    1BAD: /f\n"),
            "agent.yaml:3:11: agent.secrets.1BAD: '1BAD' is not an environment variable name "
            "([A-Za-z_][A-Za-z0-9_]*)");
  EXPECT_EQ(ErrorOf("agent:\n  secrets:\n    EMPTY: \"\"\n"),
            "agent.yaml:3:12: agent.secrets.EMPTY: expected the path of a file holding the value");
  EXPECT_EQ(ErrorOf("agent:\n  secrets: [a, b]\n"),
            "agent.yaml:2:12: agent.secrets: expected a map of NAME: value, got a list");
}

TEST(ParseSettings, WrongBoolean) {
  EXPECT_EQ(ErrorOf("agent:\n  cache:\n    enabled: maybe\n"),
            "agent.yaml:3:14: agent.cache.enabled: expected true or false, got 'maybe'");
}

TEST(ParseSettings, WholeNumbersAreCheckedForTypeAndRange) {
  EXPECT_EQ(ErrorOf("agent:\n  concurrency: 0\n"),
            "agent.yaml:2:16: agent.concurrency: expected a whole number of at least 1, got '0'");
  EXPECT_EQ(
      ErrorOf("agent:\n  lease_seconds: soon\n"),
      "agent.yaml:2:18: agent.lease_seconds: expected a whole number of at least 1, got 'soon'");
  EXPECT_EQ(
      ErrorOf("agent:\n  max_deliveries: 2.5\n"),
      "agent.yaml:2:19: agent.max_deliveries: expected a whole number of at least 1, got '2.5'");
  EXPECT_EQ(ErrorOf("agent:\n  shutdown_grace_seconds: -1\n"),
            "agent.yaml:2:27: agent.shutdown_grace_seconds: expected a whole number of at least 0, "
            "got '-1'");
  EXPECT_EQ(ErrorOf("agent:\n  retention_days: 99999999999\n"),
            "agent.yaml:2:19: agent.retention_days: expected a whole number of at least 1, "
            "got '99999999999'");
  EXPECT_EQ(ErrorOf("agent:\n  status: {maxlen: 0}\n"),
            "agent.yaml:2:20: agent.status.maxlen: expected a whole number of at least 1, got '0'");
}

TEST(ParseSettings, TimeoutsMustBePositiveAndMaxAtLeastDefault) {
  EXPECT_EQ(ErrorOf("agent:\n  timeout:\n    default_minutes: 0\n"),
            "agent.yaml:3:22: agent.timeout.default_minutes: expected a number greater than 0, "
            "got '0'");
  EXPECT_EQ(ErrorOf("agent:\n  timeout:\n    extension_percent: -5\n"),
            "agent.yaml:3:24: agent.timeout.extension_percent: expected a number of at least 0, "
            "got '-5'");
  EXPECT_EQ(ErrorOf("agent:\n  timeout:\n    default_minutes: 60\n    max_minutes: 30\n"),
            "agent.yaml:4:18: agent.timeout.max_minutes: must be at least default_minutes (60), "
            "got 30");
  EXPECT_EQ(ErrorOf("agent:\n  timeout:\n    default_minutes: 200\n"),
            "agent.yaml:3:22: agent.timeout.max_minutes: must be at least default_minutes (200), "
            "got 120");
  EXPECT_EQ(ErrorOf("agent:\n  timeout:\n    default_minutes: nan\n"),
            "agent.yaml:3:22: agent.timeout.default_minutes: expected a number greater than 0, "
            "got 'nan'");
}

TEST(ParseSettings, ExecutorMustBeShellOrDocker) {
  EXPECT_EQ(ErrorOf("agent:\n  executor: podman\n"),
            "agent.yaml:2:13: agent.executor: expected shell or docker, got 'podman'");
}

TEST(ParseSettings, EnvPassthroughTakesVariableNamesOnly) {
  EXPECT_NE(ErrorOf("agent:\n  shell: {env_passthrough: \"PATH, HOME=/x\"}\n")
                .find("agent.shell.env_passthrough: expected comma-separated variable names, "
                      "got 'HOME=/x'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("agent:\n  shell: {env_passthrough: \"PATH,,LANG\"}\n"), "");
}

TEST(ParseSettings, PullPolicyIsOneOfThreeWords) {
  EXPECT_EQ(ErrorOf("agent:\n  docker:\n    pull_policy: sometimes\n"),
            "agent.yaml:3:18: agent.docker.pull_policy: expected if-not-present or always or "
            "never, got 'sometimes'");
  for (const auto& [word, policy] : {std::pair{"if-not-present", PullPolicy::kIfNotPresent},
                                     {"always", PullPolicy::kAlways},
                                     {"never", PullPolicy::kNever}}) {
    auto s = ParseSettings(std::string("agent:\n  docker:\n    pull_policy: ") + word + "\n",
                           "agent.yaml", Vars({}), nullptr);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    EXPECT_EQ(s->docker.pull_policy, policy) << word;
  }
}

TEST(ParseSettings, ResourcesAreChecked) {
  EXPECT_EQ(ErrorOf("agent:\n  resources:\n    limits: {cpu: lots}\n"),
            "agent.yaml:3:19: agent.resources.limits.cpu: expected CPUs like 2, 0.5 or 500m, "
            "got 'lots'");
  EXPECT_EQ(ErrorOf("agent:\n  resources:\n    requests: {memory: 4 gigs}\n"),
            "agent.yaml:3:24: agent.resources.requests.memory: expected a size like 10Gi, "
            "got '4 gigs'");
  EXPECT_EQ(ErrorOf("agent:\n  resources:\n    requests: {cpu: 500m, memory: 512Mi}\n"), "");
}

TEST(ParseSettings, ListenAddressNeedsAPort) {
  EXPECT_EQ(ErrorOf("agent:\n  http:\n    listen: \"9090\"\n"),
            "agent.yaml:3:13: agent.http.listen: expected HOST:PORT like 0.0.0.0:9090, got '9090'");
  EXPECT_EQ(ErrorOf("agent:\n  http:\n    listen: \"[::]:9090\"\n"), "");
}

TEST(ParseSettings, PlainHttpRegistryNeedsInsecure) {
  EXPECT_EQ(
      ErrorOf("agent:\n  registry:\n    url: http://r:5000\n"),
      "agent.yaml:3:10: agent.registry.url: plain http:// needs agent.registry.insecure: true");
  EXPECT_EQ(ErrorOf("agent:\n  registry:\n    url: https://r:5000\n"), "");
}

TEST(ParseSettings, RedisTlsKeysAreRead) {
  auto s = ParseSettings(R"(agent:
  redis:
    url: rediss://redis.internal:6380
    tls:
      ca_file: /etc/raibid/redis-ca.pem
      cert_file: /etc/raibid/agent.pem
      key_file: /etc/raibid/agent.key
      server_name: redis.example.com
      insecure_skip_verify: no
)",
                         "agent.yaml", Vars({}), nullptr);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->redis.tls.ca_file, "/etc/raibid/redis-ca.pem");
  EXPECT_EQ(s->redis.tls.cert_file, "/etc/raibid/agent.pem");
  EXPECT_EQ(s->redis.tls.key_file, "/etc/raibid/agent.key");
  EXPECT_EQ(s->redis.tls.server_name, "redis.example.com");
  EXPECT_FALSE(s->redis.tls.insecure_skip_verify);
  EXPECT_TRUE(s->redis.tls.any());
}

TEST(ParseSettings, RedisTlsCertificateNeedsItsKey) {
  EXPECT_EQ(ErrorOf("agent:\n  redis:\n    tls:\n      cert_file: /a.pem\n"),
            "agent.yaml:4:18: agent.redis.tls.cert_file: cert_file and key_file go together: set "
            "both or neither");
}

TEST(ParseSettings, ShapeErrorsNameTheKey) {
  EXPECT_EQ(ErrorOf("agent:\n  image: {a: 1}\n"),
            "agent.yaml:2:10: agent.image: expected a value, got a map");
  EXPECT_EQ(ErrorOf("agent:\n  cache: [1, 2]\n"),
            "agent.yaml:2:10: agent.cache: expected a map, got a list");
  EXPECT_EQ(ErrorOf("agent: yes\n"), "agent.yaml:1:8: agent: expected a map, got a value");
  EXPECT_EQ(ErrorOf("- agent\n"),
            "agent.yaml:1:1: expected a map with an `agent:` key, got a list");
}

TEST(ParseSettings, KeyGivenTwiceIsAnError) {
  EXPECT_EQ(ErrorOf("agent:\n  concurrency: 2\n  concurrency: 3\n"),
            "agent.yaml:3:3: agent.concurrency: key given twice");
}

TEST(ParseSettings, ErrorShowsTheTextBeforeExpansion) {
  EXPECT_EQ(ErrorOf("agent:\n  cache: {size: \"${SIZE}\"}\n", {{"SIZE", "huge"}}),
            "agent.yaml:2:17: agent.cache.size: expected a size like 10Gi, got 'huge' "
            "(from '${SIZE}')");
}

TEST(ParseSettings, SyntaxErrorsNameFileLineAndColumn) {
  const std::string message = ErrorOf("agent:\n  image: [unclosed\n  concurrency: 2\n");
  EXPECT_TRUE(message.starts_with("agent.yaml:")) << message;
  EXPECT_NE(message.find("flow"), std::string::npos) << message;
  EXPECT_EQ(
      ErrorOf("agent:\n\timage: x\n"),
      "agent.yaml:2:7: illegal map value (YAML does not allow tabs for indentation; use spaces)");
}

TEST(LoadSettingsFile, ReadsTheFileWithTheProcessEnvironment) {
  testing::TempDir dir;
  const auto file = dir.path() / "agent.yaml";
  testing::WriteFile(file, "agent:\n  redis:\n    consumer_name: ${RAIBID_SETTINGS_TEST}\n");
  ::setenv("RAIBID_SETTINGS_TEST", "from-env", 1);
  auto s = LoadSettingsFile(file, nullptr);
  ::unsetenv("RAIBID_SETTINGS_TEST");
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->redis.consumer, "from-env");
}

TEST(LoadSettingsFile, ErrorsNameTheFile) {
  testing::TempDir dir;
  const auto file = dir.path() / "agent.yaml";
  testing::WriteFile(file, "agent:\n  concurrency: many\n");
  auto bad = LoadSettingsFile(file, nullptr);
  ASSERT_FALSE(bad.has_value());
  EXPECT_TRUE(bad.error().message.starts_with(file.string() + ":2:16: agent.concurrency:"))
      << bad.error().message;

  auto missing = LoadSettingsFile(dir.path() / "nope.yaml", nullptr);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().kind, ErrorKind::kConfig);
  EXPECT_EQ(missing.error().message,
            (dir.path() / "nope.yaml").string() + ": cannot read: No such file or directory");

  auto directory = LoadSettingsFile(dir.path(), nullptr);
  ASSERT_FALSE(directory.has_value());
  EXPECT_EQ(directory.error().message, dir.path().string() + ": cannot read: Is a directory");
}

TEST(LoadSettingsFile, RefusesAFileOverOneMebibyte) {
  testing::TempDir dir;
  const auto file = dir.path() / "agent.yaml";
  testing::WriteFile(file, "agent:\n" + std::string(2 << 20, '#') + "\n");
  auto s = LoadSettingsFile(file, nullptr);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("larger than the limit"), std::string::npos)
      << s.error().message;
}

TEST(LoadSettingsFile, TheShippedExampleIsValidAndComplete) {
  const auto example = SourceFile("examples/agent.yaml");
  std::vector<std::string> warnings;
  auto s = LoadSettingsFile(example, &warnings);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  EXPECT_EQ(s->image, "raibid/rust-builder:latest");
  EXPECT_EQ(s->limits.memory, "8Gi");
  EXPECT_EQ(s->timeout_extension_percent, 10);
  EXPECT_EQ(s->log_limit_bytes, 16u << 20);
  EXPECT_EQ(s->min_free_disk_bytes, 1u << 30);
  EXPECT_EQ(s->input_limits.job_bytes, 1u << 20);
  EXPECT_EQ(s->input_limits.steps, 1000u);
  EXPECT_EQ(s->input_limits.http_response_bytes, 4u << 20);
  // The keys it gained hold their defaults, as its comments say.
  const Settings defaults;
  EXPECT_EQ(s->idle_maintenance_seconds, defaults.idle_maintenance_seconds);
  EXPECT_EQ(s->cache_remote, defaults.cache_remote);
  EXPECT_EQ(s->registry_chunk_size, defaults.registry_chunk_size);
  EXPECT_EQ(s->registry_reference, defaults.registry_reference);
  EXPECT_EQ(s->registry_image_tag, defaults.registry_image_tag);
  EXPECT_EQ(s->log_format, defaults.log_format);
  EXPECT_EQ(s->retry_initial_seconds, defaults.retry_initial_seconds);
  EXPECT_EQ(s->retry_max_retries, defaults.retry_max_retries);
  EXPECT_EQ(s->retry_jitter_percent, defaults.retry_jitter_percent);
  EXPECT_TRUE(s->secret_files.empty());
}

// Whether `node` holds the dotted key path `path` (a map at every level but the last).
bool Has(const YAML::Node& node, std::string_view path) {
  if (!node.IsMap()) return false;
  const size_t dot = path.find('.');
  const YAML::Node child = node[std::string(path.substr(0, dot))];  // const: never inserts
  if (!child.IsDefined()) return false;
  return dot == std::string_view::npos || Has(child, path.substr(dot + 1));
}

TEST(KnownSettingKeys, NamesLeavesAndMapsOfTheSchema) {
  const auto keys = KnownSettingKeys();
  for (const char* key : {"agent.cache.remote", "agent.log.format", "agent.retry.jitter_percent",
                          "agent.secrets", "agent.redis.tls.ca_file", "agent.limits.steps"}) {
    EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end()) << key;
  }
  EXPECT_EQ(std::find(keys.begin(), keys.end(), "agent.redis"), keys.end()) << "a section";
}

TEST(KnownSettingKeys, TheShippedExampleHasEveryOne) {
  const YAML::Node example = YAML::LoadFile(SourceFile("examples/agent.yaml").string());
  for (const std::string& key : KnownSettingKeys()) {
    EXPECT_TRUE(Has(example, key)) << key << " is missing from examples/agent.yaml";
  }
}

TEST(KnownSettingKeys, TheConfigurationReferenceListsEveryOne) {
  const std::string doc = testing::ReadFile(SourceFile("docs/configuration.md"));
  for (const std::string& key : KnownSettingKeys()) {
    EXPECT_NE(doc.find("| `" + key + "` |"), std::string::npos)
        << key << " has no row in docs/configuration.md";
  }
}

}  // namespace
}  // namespace raibid

namespace raibid {
namespace {

TEST(ParseSettings, StreamsDefaultToTheOneStreamName) {
  auto s =
      ParseSettings("agent:\n  redis:\n    stream_name: jobs\n", "agent.yaml", Vars({}), nullptr);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->redis.streams, std::vector<std::string>{"jobs"});
}

TEST(ParseSettings, StreamsAreACommaSeparatedListOfDistinctNames) {
  auto s = ParseSettings("agent:\n  redis:\n    streams: \"ci-jobs:linux-amd64, ci-jobs\"\n",
                         "agent.yaml", Vars({}), nullptr);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->redis.streams, (std::vector<std::string>{"ci-jobs:linux-amd64", "ci-jobs"}));
  EXPECT_EQ(s->redis.stream, "ci-jobs");
  EXPECT_EQ(ErrorOf("agent:\n  redis:\n    streams: \"a, a\"\n"),
            "agent.yaml:3:14: agent.redis.streams: 'a' is named twice");
  EXPECT_EQ(ErrorOf("agent:\n  redis:\n    streams: \"a,,b\"\n"),
            "agent.yaml:3:14: agent.redis.streams: expected comma-separated stream names, got ''");
}

TEST(ParseSettings, OneShotLimitsAreAJobCountAndADuration) {
  auto s = ParseSettings("agent:\n  max_jobs: 3\n  exit_after_idle: 5m\n", "agent.yaml", Vars({}),
                         nullptr);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->max_jobs, 3);
  EXPECT_EQ(s->exit_after_idle, std::chrono::minutes(5));
  EXPECT_EQ(ErrorOf("agent:\n  exit_after_idle: soon\n"),
            "agent.yaml:2:20: agent.exit_after_idle: expected a duration like 30s or 5m, got "
            "'soon'");
}

}  // namespace
}  // namespace raibid
