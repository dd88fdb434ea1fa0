#include "pipeline/pipeline.h"

#include <fmt/format.h>

#include "config/setting_value.h"
#include "config/yaml_document.h"
#include "util/env_name.h"
#include "util/near_name.h"

namespace raibid {
namespace {

constexpr size_t kMaxStepName = 100;

bool IsBlank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

bool HasControlBytes(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

YamlLimits PipelineYamlLimits(const InputLimits& limits) {
  return {.max_bytes = limits.pipeline_bytes,
          .max_nodes = limits.yaml_nodes,
          .max_depth = limits.yaml_depth,
          .bytes_name = "pipeline_bytes",
          .nodes_name = "yaml_nodes",
          .depth_name = "yaml_depth"};
}

std::string Index(std::string_view path, size_t i) { return fmt::format("{}[{}]", path, i); }

// Walks one parsed document into a Pipeline. Every check names the key path and points at the
// offending node.
class PipelineReader {
 public:
  PipelineReader(const YamlDocument& doc, std::vector<std::string>* warnings,
                 const InputLimits& limits)
      : doc_(doc), warnings_(warnings), limits_(limits) {}

  Result<Pipeline> Read() {
    const YAML::Node& root = doc_.root();
    if (!root.IsNull() && !root.IsMap()) {
      return doc_.Fail(root.Mark(), "",
                       fmt::format("expected a map with `steps:`, got {}", DescribeNode(root)));
    }
    Pipeline pipeline;
    bool has_steps = false;
    if (!root.IsNull()) {
      auto entries = doc_.Entries(root, "");
      if (!entries) return std::unexpected(entries.error());
      for (const YamlEntry& entry : *entries) {
        has_steps = has_steps || entry.key == "steps";
        if (Status s = ReadTop(entry, pipeline); !s) return std::unexpected(s.error());
      }
    }
    if (!has_steps) {
      return doc_.Fail(root.IsNull() ? YAML::Mark::null_mark() : root.Mark(), "steps",
                       "required: a non-empty list of steps, each with name and command");
    }
    return pipeline;
  }

 private:
  Status ReadTop(const YamlEntry& e, Pipeline& p) {
    if (e.key == "language") return ReadText(e, e.key, &p.language);
    if (e.key == "rust_version") return ReadText(e, e.key, &p.rust_version);
    if (e.key == "image") return ReadText(e, e.key, &p.image);
    if (e.key == "network")
      return ReadChecked(e, e.key, ChoiceValue(&p.network, {"none", "bridge"}));
    if (e.key == "resources") return ReadResources(e, &p);
    if (e.key == "privileged") return ReadChecked(e, e.key, BoolValue(&p.privileged));
    if (e.key == "volumes") return ReadVolumes(e, &p.volumes);
    if (e.key == "cache") return ReadPathsSection(e, &p.cache_paths, &p);
    if (e.key == "artifacts") return ReadPathsSection(e, &p.artifact_paths);
    if (e.key == "env") return ReadEnv(e, &p.env);
    if (e.key == "steps") return ReadSteps(e, &p.steps);
    Warn(e.key, e,
         {"language", "rust_version", "image", "network", "resources", "privileged", "volumes",
          "cache", "artifacts", "env", "steps"});
    return {};
  }

  Status ReadText(const YamlEntry& e, const std::string& path, std::string* out) {
    auto text = doc_.Text(e, path);
    if (!text) return std::unexpected(text.error());
    *out = std::move(*text);
    return {};
  }

  Status ReadChecked(const YamlEntry& e, const std::string& path, const SettingValue& set) {
    auto text = doc_.Text(e, path);
    if (!text) return std::unexpected(text.error());
    if (text->empty()) return {};
    if (auto complaint = set(*text)) return doc_.Fail(e.mark(), path, *complaint);
    return {};
  }

  Status ReadVolumes(const YamlEntry& e, std::vector<std::string>* out) {
    if (Status s = ReadPathList(e, e.key, out); !s) return s;
    for (size_t i = 0; i < out->size(); ++i) {
      const std::string& v = (*out)[i];
      const auto colon = v.find(':');
      const std::string host = v.substr(0, colon);
      const std::string rest = colon == std::string::npos ? "" : v.substr(colon + 1);
      const std::string inside = rest.substr(0, rest.find(':'));
      const std::string mode =
          rest.find(':') == std::string::npos ? "" : rest.substr(rest.find(':') + 1);
      if (host.empty() || host[0] != '/' || inside.empty() || inside[0] != '/' ||
          (!mode.empty() && mode != "ro" && mode != "rw")) {
        return doc_.Fail(e.value[i].Mark(), Index(e.key, i),
                         "expected HOST:CONTAINER or HOST:CONTAINER:ro with absolute paths, got " +
                             QuoteForMessage(v));
      }
    }
    return {};
  }

  // `resources: {cpu, memory}`: what the job asks for; the agent caps it by its limits.
  Status ReadResources(const YamlEntry& e, Pipeline* p) {
    if (e.value.IsNull()) return {};
    if (!e.value.IsMap()) {
      return doc_.Fail(
          e.mark(), e.key,
          fmt::format("expected a map with cpu and memory, got {}", DescribeNode(e.value)));
    }
    auto entries = doc_.Entries(e.value, e.key);
    if (!entries) return std::unexpected(entries.error());
    for (const YamlEntry& inner : *entries) {
      const std::string path = JoinKeyPath(e.key, inner.key);
      Status s;
      if (inner.key == "cpu")
        s = ReadChecked(inner, path, CpuValue(&p->resources.cpu));
      else if (inner.key == "memory")
        s = ReadChecked(inner, path, MemoryValue(&p->resources.memory));
      else
        Warn(path, inner, {"cpu", "memory"});
      if (!s) return s;
    }
    return {};
  }

  // `cache:` and `artifacts:`, each a map with `paths`; `cache:` (when `cache` is given) also
  // has `key`, `fallback_keys` and `policy`.
  Status ReadPathsSection(const YamlEntry& e, std::vector<std::string>* out,
                          Pipeline* cache = nullptr) {
    if (e.value.IsNull()) return {};
    if (!e.value.IsMap()) {
      return doc_.Fail(e.mark(), e.key,
                       fmt::format("expected a map with `paths`, got {}", DescribeNode(e.value)));
    }
    auto entries = doc_.Entries(e.value, e.key);
    if (!entries) return std::unexpected(entries.error());
    for (const YamlEntry& inner : *entries) {
      const std::string path = JoinKeyPath(e.key, inner.key);
      if (cache && inner.key == "key") {
        if (Status s = ReadText(inner, path, &cache->cache_key); !s) return s;
        continue;
      }
      if (cache && inner.key == "fallback_keys") {
        if (Status s = ReadPathList(inner, path, &cache->cache_fallback_keys); !s) return s;
        continue;
      }
      if (cache && inner.key == "policy") {
        if (Status s = ReadText(inner, path, &cache->cache_policy); !s) return s;
        if (cache->cache_policy != "pull-push" && cache->cache_policy != "pull" &&
            cache->cache_policy != "push") {
          return doc_.Fail(inner.mark(), path, "expected pull-push, pull or push");
        }
        continue;
      }
      if (inner.key != "paths") {
        Warn(path, inner,
             cache ? std::vector<std::string_view>{"paths", "key", "fallback_keys", "policy"}
                   : std::vector<std::string_view>{"paths"});
        continue;
      }
      if (Status s = ReadPathList(inner, path, out); !s) return s;
    }
    return {};
  }

  Status ReadPathList(const YamlEntry& e, const std::string& path, std::vector<std::string>* out) {
    if (e.value.IsNull()) return {};
    if (!e.value.IsSequence()) {
      return doc_.Fail(e.mark(), path,
                       fmt::format("expected a list, got {}", DescribeNode(e.value)));
    }
    size_t i = 0;
    for (const YAML::Node& item : e.value) {
      const std::string item_path = Index(path, i++);
      if (!item.IsScalar()) {
        return doc_.Fail(item.Mark(), item_path,
                         fmt::format("expected a path, got {}", DescribeNode(item)));
      }
      if (IsBlank(item.Scalar())) return doc_.Fail(item.Mark(), item_path, "must not be empty");
      out->push_back(item.Scalar());
    }
    return {};
  }

  Status ReadEnv(const YamlEntry& e, std::map<std::string, std::string>* out) {
    if (e.value.IsNull()) return {};
    if (!e.value.IsMap()) {
      return doc_.Fail(e.mark(), "env",
                       fmt::format("expected a map of variables, got {}", DescribeNode(e.value)));
    }
    auto entries = doc_.Entries(e.value, "env");
    if (!entries) return std::unexpected(entries.error());
    for (const YamlEntry& var : *entries) {
      const std::string path = JoinKeyPath("env", var.key);
      if (!IsEnvName(var.key)) {
        return doc_.Fail(var.key_node.Mark(), path,
                         fmt::format("a variable name is {}", kEnvNameRule));
      }
      auto value = doc_.Text(var, path);
      if (!value) return std::unexpected(value.error());
      if (value->find('\0') != std::string::npos) {
        return doc_.Fail(var.mark(), path, "must not contain NUL bytes");
      }
      (*out)[var.key] = std::move(*value);
    }
    if (const uint64_t bytes = EnvBytes(*out); bytes > limits_.env_bytes) {
      return doc_.Fail(e.mark(), "env", SizeOverLimit(bytes, "env_bytes", limits_.env_bytes));
    }
    return {};
  }

  Status ReadSteps(const YamlEntry& e, std::vector<PipelineStep>* out) {
    if (!e.value.IsSequence() || e.value.size() == 0) {
      return doc_.Fail(e.mark(), "steps",
                       fmt::format("must be a non-empty list, got {}",
                                   e.value.IsSequence() ? "an empty list" : DescribeNode(e.value)));
    }
    if (e.value.size() > limits_.steps) {
      return doc_.Fail(e.mark(), "steps",
                       fmt::format("{} steps are more than {}", e.value.size(),
                                   CountLimitText("steps", limits_.steps)));
    }
    std::map<std::string, size_t> names;
    for (const YAML::Node& node : e.value) {
      const size_t i = out->size();
      auto step = ReadStep(node, Index("steps", i));
      if (!step) return std::unexpected(step.error());
      if (auto [it, fresh] = names.emplace(step->name, i); !fresh) {
        return doc_.Fail(node["name"].Mark(), Index("steps", i) + ".name",
                         fmt::format("{} is already the name of steps[{}]",
                                     QuoteForMessage(step->name), it->second));
      }
      out->push_back(std::move(*step));
    }
    return {};
  }

  Result<PipelineStep> ReadStep(const YAML::Node& node, const std::string& path) {
    if (!node.IsMap()) {
      return doc_.Fail(
          node.Mark(), path,
          fmt::format("expected a map with name and command, got {}", DescribeNode(node)));
    }
    auto entries = doc_.Entries(node, path);
    if (!entries) return std::unexpected(entries.error());
    PipelineStep step;
    for (const YamlEntry& field : *entries) {
      if (Status s = ReadStepField(field, path, step); !s) return std::unexpected(s.error());
    }
    if (step.name.empty()) return doc_.Fail(node.Mark(), path + ".name", "required");
    if (step.command.empty()) return doc_.Fail(node.Mark(), path + ".command", "required");
    return step;
  }

  Status ReadStepField(const YamlEntry& field, const std::string& step_path, PipelineStep& step) {
    const std::string path = JoinKeyPath(step_path, field.key);
    if (field.key == "name") return ReadStepName(field, path, &step.name);
    if (field.key == "command") return ReadCommand(field, path, &step.command);
    if (field.key == "timeout_minutes") return ReadTimeout(field, path, &step.timeout_minutes);
    Warn(path, field, {"name", "command", "timeout_minutes"});
    return {};
  }

  // An empty name is reported as missing by ReadStep, at the step.
  Status ReadStepName(const YamlEntry& field, const std::string& path, std::string* out) {
    auto name = doc_.Text(field, path);
    if (!name) return std::unexpected(name.error());
    if (name->size() > kMaxStepName || HasControlBytes(*name)) {
      return doc_.Fail(field.mark(), path,
                       fmt::format("expected a one-line name of at most {} bytes, got {}",
                                   kMaxStepName, QuoteForMessage(*name)));
    }
    *out = std::move(*name);
    return {};
  }

  Status ReadCommand(const YamlEntry& field, const std::string& path, std::string* out) {
    auto command = doc_.Text(field, path);
    if (!command) return std::unexpected(command.error());
    if (IsBlank(*command)) return doc_.Fail(field.mark(), path, "required");
    if (command->find('\0') != std::string::npos) {
      return doc_.Fail(field.mark(), path, "must not contain NUL bytes");
    }
    if (command->size() > limits_.command_bytes) {
      return doc_.Fail(field.mark(), path,
                       SizeOverLimit(command->size(), "command_bytes", limits_.command_bytes));
    }
    *out = std::move(*command);
    return {};
  }

  Status ReadTimeout(const YamlEntry& field, const std::string& path, std::optional<double>* out) {
    auto text = doc_.Text(field, path);
    if (!text) return std::unexpected(text.error());
    if (text->empty()) return {};
    double minutes = 0;
    if (auto complaint = NumberValue(&minutes, 0, true)(*text)) {
      return doc_.Fail(field.mark(), path, *complaint);
    }
    *out = minutes;
    return {};
  }

  // `known`: the keys of the map the unknown one is in, for a "did you mean".
  void Warn(const std::string& path, const YamlEntry& unknown,
            const std::vector<std::string_view>& known) {
    if (warnings_ == nullptr) return;
    warnings_->push_back(fmt::format("{}: unknown key, ignored{}",
                                     doc_.Where(unknown.key_node.Mark(), path),
                                     DidYouMean(unknown.key, known)));
  }

  const YamlDocument& doc_;
  std::vector<std::string>* warnings_;
  const InputLimits& limits_;
};

}  // namespace

Result<Pipeline> ParsePipeline(std::string_view text, std::string_view filename,
                               std::vector<std::string>* warnings, const InputLimits& limits) {
  const YamlLimits yaml = PipelineYamlLimits(limits);
  auto doc = YamlDocument::Parse(text, filename, ErrorKind::kInvalidPipeline, yaml);
  if (!doc) return std::unexpected(doc.error());
  return PipelineReader(*doc, warnings, limits).Read();
}

Result<Pipeline> ParseEmbeddedPipeline(std::string_view text, std::string_view key,
                                       std::vector<std::string>* warnings,
                                       const InputLimits& limits) {
  auto doc = YamlDocument::ParseEmbedded(text, key, ErrorKind::kInvalidPipeline,
                                         PipelineYamlLimits(limits));
  if (!doc) return std::unexpected(doc.error());
  return PipelineReader(*doc, warnings, limits).Read();
}

}  // namespace raibid

namespace raibid {

std::string PipelineImage(const Pipeline& pipeline, std::string_view language_template,
                          std::string_view fallback) {
  if (!pipeline.image.empty()) return pipeline.image;
  if (pipeline.language.empty() || language_template.empty()) return std::string(fallback);
  const std::string version = pipeline.language == "rust" && !pipeline.rust_version.empty()
                                  ? pipeline.rust_version
                                  : "latest";
  std::string out(language_template);
  for (const auto& [name, value] :
       {std::pair<std::string, std::string>{"{language}", pipeline.language},
        {"{version}", version}}) {
    for (size_t at; (at = out.find(name)) != std::string::npos;)
      out.replace(at, name.size(), value);
  }
  return out;
}

}  // namespace raibid
