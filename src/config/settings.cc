#include "config/settings.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <functional>
#include <map>

#include "config/setting_value.h"
#include "config/yaml_document.h"
#include "util/env_name.h"
#include "util/near_name.h"
#include "util/unique_fd.h"

namespace raibid {
namespace {

constexpr size_t kMaxFileBytes = 1 << 20;
constexpr std::string_view kDefaultDockerHost = "unix:///var/run/docker.sock";

// One key of the schema: a value with its setter, or a section holding more keys.
// An entry of a map whose keys the user names (agent.secrets): returns a complaint, or nullopt.
using EntryValue =
    std::function<std::optional<std::string>(const std::string& name, const std::string& text)>;

struct Key {
  std::string_view name;
  SettingValue value;
  std::vector<Key> children;
  EntryValue entry;  // set for a map of NAME: value
};

Key MapOf(std::string_view name, EntryValue entry) {
  return Key{name, nullptr, {}, std::move(entry)};
}

Key Section(std::string_view name, std::vector<Key> children) {
  return Key{name, nullptr, std::move(children)};
}

std::vector<Key> ResourceKeys(ResourceSpec& r) {
  return {{"cpu", CpuValue(&r.cpu)}, {"memory", MemoryValue(&r.memory)}};
}

std::vector<Key> LimitKeys(InputLimits& l) {
  return {{"job_bytes", SizeValue(&l.job_bytes, 1)},
          {"json_depth", CountValue(&l.json_depth, 1)},
          {"pipeline_bytes", SizeValue(&l.pipeline_bytes, 1)},
          {"yaml_depth", CountValue(&l.yaml_depth, 1)},
          {"yaml_nodes", CountValue(&l.yaml_nodes, 1)},
          {"steps", CountValue(&l.steps, 1)},
          {"services", CountValue(&l.services, 0)},
          {"images", CountValue(&l.images, 0)},
          {"command_bytes", SizeValue(&l.command_bytes, 1)},
          {"env_bytes", SizeValue(&l.env_bytes, 1)},
          {"artifacts", CountValue(&l.artifacts, 1)},
          {"artifact_bytes", SizeValue(&l.artifact_bytes, 1)},
          {"cache_archive_bytes", SizeValue(&l.cache_archive_bytes, 1)},
          {"cache_entries", CountValue(&l.cache_entries, 1)},
          {"http_response_bytes", SizeValue(&l.http_response_bytes, 1 << 10)},
          {"workspace_bytes", SizeValue(&l.workspace_bytes, 1)}};
}

std::vector<Key> RedisTlsKeys(RedisTlsSettings& t) {
  return {{"ca_file", PathValue(&t.ca_file)},
          {"cert_file", PathValue(&t.cert_file)},
          {"key_file", PathValue(&t.key_file)},
          {"server_name", TextValue(&t.server_name)},
          {"insecure_skip_verify", BoolValue(&t.insecure_skip_verify)}};
}

// Every key under `agent:`; the setters write into `s`.
std::vector<Key> AgentKeys(Settings& s) {
  return {
      {"image", TextValue(&s.image)},
      Section("resources", {Section("requests", ResourceKeys(s.requests)),
                            Section("limits", ResourceKeys(s.limits))}),
      Section("cache", {{"enabled", BoolValue(&s.cache_enabled)},
                        {"path", PathValue(&s.cache_path)},
                        {"size", SizeValue(&s.cache_size_bytes, 0)},
                        {"idle_maintenance_seconds", WholeValue(&s.idle_maintenance_seconds, 0)},
                        {"remote", BoolValue(&s.cache_remote)}}),
      Section("timeout",
              {{"default_minutes", NumberValue(&s.default_timeout_minutes, 0, true)},
               {"max_minutes", NumberValue(&s.max_timeout_minutes, 0, true)},
               {"extension_percent", NumberValue(&s.timeout_extension_percent, 0, false)},
               {"cleanup_minutes", NumberValue(&s.cleanup_timeout_minutes, 0, true)}}),
      Section("redis",
              {{"url", TextValue(&s.redis.url)},
               {"stream_name", TextValue(&s.redis.stream)},
               {"streams", KeyListValue(&s.redis.streams)},
               {"consumer_group", TextValue(&s.redis.group)},
               {"consumer_name", TextValue(&s.redis.consumer)},
               Section("tls", RedisTlsKeys(s.redis.tls)),
               Section("sentinel", {{"username", TextValue(&s.redis.sentinel_username)},
                                    {"password", TextValue(&s.redis.sentinel_password)}})}),
      {"executor", ChoiceValue(&s.executor, {{"shell", ExecutorKind::kShell},
                                             {"docker", ExecutorKind::kDocker}})},
      Section("shell", {{"env_passthrough", EnvNameListValue(&s.shell.env_passthrough)},
                        {"user", TextValue(&s.shell.user)}}),
      Section("docker", {{"host", TextValue(&s.docker_host)},
                         {"pull_policy", ChoiceValue(&s.docker.pull_policy,
                                                     {{"if-not-present", PullPolicy::kIfNotPresent},
                                                      {"always", PullPolicy::kAlways},
                                                      {"never", PullPolicy::kNever}})},
                         {"language_image", TextValue(&s.docker.language_image)},
                         {"preload_images", TextValue(&s.docker.preload_images)},
                         {"allow_network", BoolValue(&s.docker.allow_network)},
                         {"pids_limit", WholeValue(&s.docker.pids_limit, 0)},
                         {"tmp_size", SizeValue(&s.docker.tmp_size, 1 << 20)},
                         {"user", TextValue(&s.docker.user)},
                         {"allow_privileged", BoolValue(&s.docker.allow_privileged)},
                         {"host_paths", TextValue(&s.docker.host_paths)},
                         {"step_host", TextValue(&s.docker.step_host)}}),
      {"concurrency", WholeValue(&s.concurrency, 1)},
      {"max_jobs", WholeValue(&s.max_jobs, 0)},
      {"exit_after_idle", DurationValue(&s.exit_after_idle)},
      {"parallel_steps", WholeValue(&s.parallel_steps, 0)},
      {"work_dir", PathValue(&s.work_dir)},
      {"min_free_disk", SizeValue(&s.min_free_disk_bytes, 0)},
      Section("http", {{"listen", ListenAddressValue(&s.http_listen)}}),
      Section("git", {{"base_url", TextValue(&s.git_base_url)},
                      {"token_file", PathValue(&s.git_token_file)},
                      {"username", TextValue(&s.git_username)}}),
      Section("registry", {{"url", TextValue(&s.registry_url)},
                           {"username", TextValue(&s.registry_username)},
                           {"password_file", PathValue(&s.registry_password_file)},
                           {"step_username", TextValue(&s.registry_step_username)},
                           {"step_password_file", PathValue(&s.registry_step_password_file)},
                           {"insecure", BoolValue(&s.registry_insecure)},
                           {"ca_file", PathValue(&s.registry_ca_file)},
                           {"chunk_size", SizeValue(&s.registry_chunk_size, 1 << 20)},
                           {"reference", TextValue(&s.registry_reference)},
                           {"image_tag", TextValue(&s.registry_image_tag)}}),
      {"lease_seconds", WholeValue(&s.lease_seconds, 1)},
      {"max_deliveries", WholeValue(&s.max_deliveries, 1)},
      {"shutdown_grace_seconds", WholeValue(&s.shutdown_grace_seconds, 0)},
      {"retention_days", WholeValue(&s.retention_days, 1)},
      Section("log", {{"limit", SizeValue(&s.log_limit_bytes, 1)},
                      {"format", ChoiceValue(&s.log_format, {"auto", "text", "json"})}}),
      Section("status", {{"maxlen", CountValue(&s.status_stream_maxlen, 1)}}),
      Section("retry", {{"initial_seconds", NumberValue(&s.retry_initial_seconds, 0, true)},
                        {"max_retries", WholeValue(&s.retry_max_retries, 0)},
                        {"jitter_percent", NumberValue(&s.retry_jitter_percent, 0, false)}}),
      Section("limits", LimitKeys(s.input_limits)),
      MapOf("secrets",
            [&s](const std::string& name, const std::string& file) -> std::optional<std::string> {
              if (!IsEnvName(name)) {
                return "'" + name +
                       "' is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)";
              }
              if (file.empty()) return std::string("expected the path of a file holding the value");
              s.secret_files[name] = file;
              return std::nullopt;
            }),
  };
}

// Walks the document against the schema, applying values and collecting warnings; remembers
// where each value was so checks across keys can point at one.
class SettingsReader {
 public:
  SettingsReader(const YamlDocument& doc, const EnvLookup& lookup,
                 std::vector<std::string>* warnings)
      : doc_(doc), lookup_(lookup), warnings_(warnings) {}

  Status ReadRoot(Settings& s) {
    const YAML::Node& root = doc_.root();
    if (root.IsNull()) return {};
    if (!root.IsMap()) {
      return doc_.Fail(
          root.Mark(), "",
          fmt::format("expected a map with an `agent:` key, got {}", DescribeNode(root)));
    }
    return ReadSection(root, "", {Section("agent", AgentKeys(s))});
  }

  // Where `path` was set, or a null mark when the file left it at its default.
  YAML::Mark MarkOf(const std::string& path) const {
    auto it = marks_.find(path);
    return it == marks_.end() ? YAML::Mark::null_mark() : it->second;
  }

 private:
  Status ReadSection(const YAML::Node& node, const std::string& path,
                     const std::vector<Key>& keys) {
    if (node.IsNull()) return {};
    if (!node.IsMap()) {
      return doc_.Fail(node.Mark(), path,
                       fmt::format("expected a map, got {}", DescribeNode(node)));
    }
    auto entries = doc_.Entries(node, path);
    if (!entries) return std::unexpected(entries.error());
    for (const YamlEntry& entry : *entries) {
      const std::string key_path = JoinKeyPath(path, entry.key);
      const Key* key = Find(keys, entry.key);
      if (key == nullptr) {
        std::vector<std::string_view> names;
        for (const Key& known : keys) names.push_back(known.name);
        Warn(fmt::format("{}: unknown key, ignored{}", doc_.Where(entry.key_node.Mark(), key_path),
                         DidYouMean(entry.key, names)));
        continue;
      }
      Status status = key->value   ? ReadValue(entry, key_path, key->value)
                      : key->entry ? ReadMap(entry.value, key_path, key->entry)
                                   : ReadSection(entry.value, key_path, key->children);
      if (!status) return status;
    }
    return {};
  }

  Status ReadValue(const YamlEntry& entry, const std::string& path, const SettingValue& set) {
    auto raw = doc_.Text(entry, path);
    if (!raw) return std::unexpected(raw.error());
    const std::string text = ExpandEnv(*raw, lookup_);
    if (text.empty()) return {};  // keeps the default
    if (auto complaint = set(text)) {
      if (text != *raw) *complaint += fmt::format(" (from {})", QuoteForMessage(*raw));
      return doc_.Fail(entry.mark(), path, *complaint);
    }
    marks_[path] = entry.mark();
    return {};
  }

  // A map of NAME: value whose names the user chooses; each value is expanded, then given to
  // `set` with its name.
  Status ReadMap(const YAML::Node& node, const std::string& path, const EntryValue& set) {
    if (node.IsNull()) return {};
    if (!node.IsMap()) {
      return doc_.Fail(node.Mark(), path,
                       fmt::format("expected a map of NAME: value, got {}", DescribeNode(node)));
    }
    auto entries = doc_.Entries(node, path);
    if (!entries) return std::unexpected(entries.error());
    for (const YamlEntry& entry : *entries) {
      const std::string key_path = JoinKeyPath(path, entry.key);
      auto raw = doc_.Text(entry, key_path);
      if (!raw) return std::unexpected(raw.error());
      if (auto complaint = set(entry.key, ExpandEnv(*raw, lookup_))) {
        return doc_.Fail(entry.mark(), key_path, *complaint);
      }
      marks_[key_path] = entry.mark();
    }
    return {};
  }

  static const Key* Find(const std::vector<Key>& keys, std::string_view name) {
    for (const Key& key : keys) {
      if (key.name == name) return &key;
    }
    return nullptr;
  }

  void Warn(std::string message) {
    if (warnings_ != nullptr) warnings_->push_back(std::move(message));
  }

  const YamlDocument& doc_;
  const EnvLookup& lookup_;
  std::vector<std::string>* warnings_;
  std::map<std::string, YAML::Mark> marks_;
};

// Rules that involve more than one key.
Status CheckAcrossKeys(const Settings& s, const SettingsReader& reader, const YamlDocument& doc) {
  if (s.max_timeout_minutes < s.default_timeout_minutes) {
    YAML::Mark mark = reader.MarkOf("agent.timeout.max_minutes");
    if (mark.is_null()) mark = reader.MarkOf("agent.timeout.default_minutes");
    return doc.Fail(mark, "agent.timeout.max_minutes",
                    fmt::format("must be at least default_minutes ({}), got {}",
                                s.default_timeout_minutes, s.max_timeout_minutes));
  }
  const RedisTlsSettings& tls = s.redis.tls;
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    const char* set =
        tls.cert_file.empty() ? "agent.redis.tls.key_file" : "agent.redis.tls.cert_file";
    return doc.Fail(reader.MarkOf(set), set,
                    "cert_file and key_file go together: set both or neither");
  }
  if (s.registry_url.starts_with("http://") && !s.registry_insecure) {
    return doc.Fail(reader.MarkOf("agent.registry.url"), "agent.registry.url",
                    "plain http:// needs agent.registry.insecure: true");
  }
  return {};
}

std::string HostName() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "raibid-agent";
  return name;
}

void FillDefaultsFromHost(Settings& s, const EnvLookup& lookup) {
  if (s.redis.consumer.empty()) s.redis.consumer = HostName();
  if (s.redis.streams.empty()) s.redis.streams = {s.redis.stream};
  if (s.docker_host.empty()) {
    s.docker_host = lookup("DOCKER_HOST").value_or("");
    if (s.docker_host.empty()) s.docker_host = kDefaultDockerHost;
  }
}

Result<std::string> ReadConfigFile(const std::filesystem::path& file) {
  auto fail = [&](int err) {
    return std::unexpected(ErrnoError(err, file.string() + ": cannot read", ErrorKind::kConfig));
  };
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return fail(errno);
  std::string text;
  char buf[16384];
  while (text.size() <= kMaxFileBytes) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(errno);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  if (text.size() > kMaxFileBytes) {
    return raibid::Fail(ErrorKind::kConfig, fmt::format("{}: larger than the limit of {} bytes",
                                                        file.string(), kMaxFileBytes));
  }
  return text;
}

void CollectKeyPaths(const std::vector<Key>& keys, const std::string& path,
                     std::vector<std::string>& out) {
  for (const Key& key : keys) {
    const std::string key_path = JoinKeyPath(path, std::string(key.name));
    if (key.children.empty()) {
      out.push_back(key_path);
    } else {
      CollectKeyPaths(key.children, key_path, out);
    }
  }
}

}  // namespace

std::vector<std::string> KnownSettingKeys() {
  Settings scratch;  // the schema's setters need somewhere to point; nothing is written
  std::vector<std::string> paths;
  CollectKeyPaths({Section("agent", AgentKeys(scratch))}, "", paths);
  return paths;
}

Result<Settings> ParseSettings(std::string_view yaml, std::string_view filename,
                               const EnvLookup& lookup, std::vector<std::string>* warnings) {
  auto doc = YamlDocument::Parse(yaml, filename, ErrorKind::kConfig, {.max_bytes = kMaxFileBytes});
  if (!doc) return std::unexpected(doc.error());
  Settings settings;
  SettingsReader reader(*doc, lookup, warnings);
  if (Status read = reader.ReadRoot(settings); !read) return std::unexpected(read.error());
  if (Status checked = CheckAcrossKeys(settings, reader, *doc); !checked) {
    return std::unexpected(checked.error());
  }
  FillDefaultsFromHost(settings, lookup);
  return settings;
}

Result<Settings> LoadSettingsFile(const std::filesystem::path& file,
                                  std::vector<std::string>* warnings) {
  auto text = ReadConfigFile(file);
  if (!text) return std::unexpected(text.error());
  return ParseSettings(*text, file.string(), ProcessEnvLookup(), warnings);
}

}  // namespace raibid
