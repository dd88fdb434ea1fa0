#include "pipeline/pipeline.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <functional>
#include <set>

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

constexpr int kMaxRetries = 5;

// Why fnmatch(3) would not read `glob` as the user meant: a `[` without its `]`, or a trailing
// backslash (fnmatch itself reports no syntax error; it matches such a glob literally).
std::optional<std::string> GlobProblem(std::string_view glob) {
  if (glob.empty()) return "an empty glob matches nothing";
  for (size_t i = 0; i < glob.size(); ++i) {
    if (glob[i] == '\\') {
      if (++i == glob.size()) return "ends in a lone backslash";
    } else if (glob[i] == '[') {
      size_t j = i + 1;
      if (j < glob.size() && (glob[j] == '!' || glob[j] == '^')) ++j;
      if (j < glob.size() && glob[j] == ']') ++j;  // a leading ] is a member
      while (j < glob.size() && glob[j] != ']') ++j;
      if (j == glob.size()) return "`[` at byte " + std::to_string(i) + " has no closing `]`";
      i = j;
    }
  }
  return std::nullopt;
}

bool GlobsMatch(const std::vector<std::string>& globs, std::string_view text) {
  const std::string subject(text);
  return std::any_of(globs.begin(), globs.end(), [&](const std::string& glob) {
    return fnmatch(glob.c_str(), subject.c_str(), 0) == 0;
  });
}

// A step's depends_on as written, with where each name is, for the checks after every step is
// read.
struct WrittenDeps {
  bool given = false;
  YAML::Mark mark;
  std::vector<std::pair<std::string, YAML::Mark>> names;
};

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
    if (e.key == "services") return ReadServices(e, &p.services);
    Warn(e.key, e,
         {"language", "rust_version", "image", "network", "resources", "privileged", "volumes",
          "cache", "artifacts", "env", "steps", "services"});
    return {};
  }

  Status ReadServices(const YamlEntry& e, std::vector<PipelineService>* out) {
    if (e.value.IsNull()) return {};
    if (!e.value.IsSequence()) {
      return doc_.Fail(e.mark(), "services",
                       fmt::format("expected a list of services, got {}", DescribeNode(e.value)));
    }
    if (e.value.size() > limits_.services) {
      return doc_.Fail(e.mark(), "services",
                       fmt::format("{} services are more than {}", e.value.size(),
                                   CountLimitText("services", limits_.services)));
    }
    std::map<std::string, size_t> names;
    for (const YAML::Node& node : e.value) {
      const size_t i = out->size();
      auto service = ReadService(node, Index("services", i));
      if (!service) return std::unexpected(service.error());
      if (auto [it, fresh] = names.emplace(service->name, i); !fresh) {
        return doc_.Fail(node["name"].Mark(), Index("services", i) + ".name",
                         fmt::format("{} is already the name of services[{}]",
                                     QuoteForMessage(service->name), it->second));
      }
      out->push_back(std::move(*service));
    }
    return {};
  }

  Result<PipelineService> ReadService(const YAML::Node& node, const std::string& path) {
    if (!node.IsMap()) {
      return doc_.Fail(
          node.Mark(), path,
          fmt::format("expected a map with name and image, got {}", DescribeNode(node)));
    }
    auto entries = doc_.Entries(node, path);
    if (!entries) return std::unexpected(entries.error());
    PipelineService service;
    for (const YamlEntry& field : *entries) {
      const std::string at = JoinKeyPath(path, field.key);
      Status s;
      if (field.key == "name") {
        s = ReadHostName(field, at, &service.name);
      } else if (field.key == "image") {
        s = ReadText(field, at, &service.image);
      } else if (field.key == "env") {
        s = ReadEnvAt(field, at, &service.env);
      } else if (field.key == "command") {
        s = ReadWords(field, at, &service.command);
      } else if (field.key == "ready") {
        s = ReadReady(field, at, &service);
      } else {
        Warn(at, field, {"name", "image", "env", "command", "ready"});
      }
      if (!s) return std::unexpected(s.error());
    }
    if (service.name.empty()) return doc_.Fail(node.Mark(), path + ".name", "required");
    if (service.image.empty()) return doc_.Fail(node.Mark(), path + ".image", "required");
    return service;
  }

  // A service's name is the host name steps reach it by.
  Status ReadHostName(const YamlEntry& e, const std::string& path, std::string* out) {
    auto name = doc_.Text(e, path);
    if (!name) return std::unexpected(name.error());
    const bool ok = !name->empty() && name->size() <= 63 && name->front() != '-' &&
                    name->back() != '-' && std::all_of(name->begin(), name->end(), [](char c) {
                      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
                    });
    if (!ok) {
      return doc_.Fail(e.mark(), path,
                       "expected a host name (a-z, 0-9 and inner '-', at most 63 bytes), got " +
                           QuoteForMessage(*name));
    }
    *out = std::move(*name);
    return {};
  }

  Status ReadWords(const YamlEntry& e, const std::string& path, std::vector<std::string>* out) {
    if (e.value.IsNull()) return {};
    if (!e.value.IsSequence()) {
      return doc_.Fail(
          e.mark(), path,
          fmt::format("expected a list of words ([\"postgres\", \"-c\", \"fsync=off\"]), "
                      "got {}",
                      DescribeNode(e.value)));
    }
    auto words = ReadTexts(e, path);
    if (!words) return std::unexpected(words.error());
    for (const auto& [word, mark] : *words) {
      if (word.find('\0') != std::string::npos)
        return doc_.Fail(mark, path, "must not contain NUL bytes");
      out->push_back(word);
    }
    return {};
  }

  Status ReadReady(const YamlEntry& e, const std::string& path, PipelineService* service) {
    if (e.value.IsNull()) return {};
    if (!e.value.IsMap()) {
      return doc_.Fail(
          e.mark(), path,
          fmt::format("expected a map with port or command, got {}", DescribeNode(e.value)));
    }
    auto entries = doc_.Entries(e.value, path);
    if (!entries) return std::unexpected(entries.error());
    for (const YamlEntry& inner : *entries) {
      const std::string at = JoinKeyPath(path, inner.key);
      if (inner.key == "port") {
        auto text = doc_.Text(inner, at);
        if (!text) return std::unexpected(text.error());
        int port = 0;
        if (auto complaint = WholeValue(&port, 1)(*text); complaint || port > 65535) {
          return doc_.Fail(inner.mark(), at,
                           "expected a port from 1 to 65535, got " + QuoteForMessage(*text));
        }
        service->ready_port = port;
      } else if (inner.key == "command") {
        if (Status s = ReadCommand(inner, at, &service->ready_command); !s) return s;
      } else if (inner.key == "timeout_seconds") {
        if (Status s = ReadChecked(inner, at, WholeValue(&service->ready_timeout_seconds, 1)); !s) {
          return s;
        }
      } else {
        Warn(at, inner, {"port", "command", "timeout_seconds"});
      }
    }
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
    return ReadEnvAt(e, "env", out);
  }

  Status ReadEnvAt(const YamlEntry& e, const std::string& at,
                   std::map<std::string, std::string>* out) {
    if (e.value.IsNull()) return {};
    if (!e.value.IsMap()) {
      return doc_.Fail(e.mark(), at,
                       fmt::format("expected a map of variables, got {}", DescribeNode(e.value)));
    }
    auto entries = doc_.Entries(e.value, at);
    if (!entries) return std::unexpected(entries.error());
    for (const YamlEntry& var : *entries) {
      const std::string path = JoinKeyPath(at, var.key);
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
      return doc_.Fail(e.mark(), at, SizeOverLimit(bytes, "env_bytes", limits_.env_bytes));
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
    std::set<std::string> images;
    for (size_t i = 0; i < out->size(); ++i) {
      if ((*out)[i].image.empty() || !images.insert((*out)[i].image).second) continue;
      if (images.size() > limits_.images) {
        return doc_.Fail(e.value[i].Mark(), Index("steps", i) + ".image",
                         fmt::format("{} distinct step images are more than {}", images.size(),
                                     CountLimitText("images", limits_.images)));
      }
    }
    return ResolveDependencies(*out);
  }

  // Turns each step's depends_on names into indices (the step above when not given), and
  // refuses unknown names, repeats, a step depending on itself, and cycles.
  Status ResolveDependencies(std::vector<PipelineStep>& steps) {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < steps.size(); ++i) index.emplace(steps[i].name, i);
    for (size_t i = 0; i < steps.size(); ++i) {
      const WrittenDeps& written = deps_[i];
      const std::string path = Index("steps", i) + ".depends_on";
      if (!written.given) {
        if (i > 0) steps[i].depends_on = {i - 1};
        continue;
      }
      for (size_t k = 0; k < written.names.size(); ++k) {
        const auto& [name, mark] = written.names[k];
        const auto it = index.find(name);
        if (it == index.end()) {
          std::vector<std::string_view> known;
          for (const auto& step : steps) known.push_back(step.name);
          return doc_.Fail(
              mark, Index(path, k),
              fmt::format("no step is named {}{}", QuoteForMessage(name), DidYouMean(name, known)));
        }
        if (it->second == i)
          return doc_.Fail(mark, Index(path, k), "a step cannot depend on itself");
        auto& deps = steps[i].depends_on;
        if (std::find(deps.begin(), deps.end(), it->second) != deps.end()) {
          return doc_.Fail(mark, Index(path, k), QuoteForMessage(name) + " is named twice");
        }
        deps.push_back(it->second);
      }
    }
    return RefuseCycles(steps);
  }

  Status RefuseCycles(const std::vector<PipelineStep>& steps) {
    enum class Mark { kNew, kOnPath, kDone };
    std::vector<Mark> marks(steps.size(), Mark::kNew);
    std::vector<size_t> path;
    std::function<std::optional<size_t>(size_t)> visit = [&](size_t i) -> std::optional<size_t> {
      marks[i] = Mark::kOnPath;
      path.push_back(i);
      for (size_t dep : steps[i].depends_on) {
        if (marks[dep] == Mark::kOnPath) return dep;
        if (marks[dep] == Mark::kNew) {
          if (auto cycle = visit(dep)) return cycle;
        }
      }
      marks[i] = Mark::kDone;
      path.pop_back();
      return std::nullopt;
    };
    for (size_t i = 0; i < steps.size(); ++i) {
      if (marks[i] != Mark::kNew) continue;
      const auto start = visit(i);
      if (!start) continue;
      // path runs from i down to the step that depends on `start` again.
      const auto from = std::find(path.begin(), path.end(), *start);
      std::string names;
      for (auto it = from; it != path.end(); ++it) names += steps[*it].name + " -> ";
      names += steps[*start].name;
      return doc_.Fail(deps_[*start].mark, Index("steps", *start) + ".depends_on",
                       "a cycle: " + names + " (each waits for the next)");
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
    deps_.emplace_back();
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
    if (field.key == "when") return ReadWhen(field, path, &step.when);
    if (field.key == "allow_failure") return ReadAllowFailure(field, path, &step.allow_failure);
    if (field.key == "retry") return ReadRetry(field, path, &step);
    if (field.key == "depends_on") return ReadDependsOn(field, path, &deps_.back());
    if (field.key == "image") return ReadText(field, path, &step.image);
    Warn(path, field,
         {"name", "command", "timeout_minutes", "when", "allow_failure", "retry", "depends_on",
          "image"});
    return {};
  }

  // A value or a list of values, each a non-empty plain value: `tag: v*` or `branch: [a, b]`.
  Result<std::vector<std::pair<std::string, YAML::Mark>>> ReadTexts(const YamlEntry& e,
                                                                    const std::string& path) {
    std::vector<std::pair<std::string, YAML::Mark>> out;
    if (e.value.IsScalar()) {
      out.emplace_back(e.value.Scalar(), e.value.Mark());
    } else if (e.value.IsSequence()) {
      size_t i = 0;
      for (const YAML::Node& item : e.value) {
        if (!item.IsScalar()) {
          return doc_.Fail(item.Mark(), Index(path, i),
                           fmt::format("expected a value, got {}", DescribeNode(item)));
        }
        out.emplace_back(item.Scalar(), item.Mark());
        ++i;
      }
    } else if (!e.value.IsNull()) {
      return doc_.Fail(e.mark(), path,
                       fmt::format("expected a value or a list, got {}", DescribeNode(e.value)));
    }
    return out;
  }

  Status ReadWhen(const YamlEntry& e, const std::string& path, StepCondition* when) {
    if (e.value.IsNull()) return {};
    if (!e.value.IsMap()) {
      return doc_.Fail(
          e.mark(), path,
          fmt::format("expected a map with branch, tag or status, got {}", DescribeNode(e.value)));
    }
    auto entries = doc_.Entries(e.value, path);
    if (!entries) return std::unexpected(entries.error());
    for (const YamlEntry& inner : *entries) {
      const std::string inner_path = JoinKeyPath(path, inner.key);
      Status s;
      if (inner.key == "branch") {
        s = ReadGlobs(inner, inner_path, &when->branches);
      } else if (inner.key == "tag") {
        s = ReadGlobs(inner, inner_path, &when->tags);
      } else if (inner.key == "status") {
        s = ReadStatus(inner, inner_path, when);
      } else {
        Warn(inner_path, inner, {"branch", "tag", "status"});
      }
      if (!s) return s;
    }
    return {};
  }

  Status ReadGlobs(const YamlEntry& e, const std::string& path, std::vector<std::string>* out) {
    auto globs = ReadTexts(e, path);
    if (!globs) return std::unexpected(globs.error());
    for (size_t i = 0; i < globs->size(); ++i) {
      const auto& [glob, mark] = (*globs)[i];
      if (auto problem = GlobProblem(glob)) {
        return doc_.Fail(mark, e.value.IsSequence() ? Index(path, i) : path,
                         fmt::format("the glob {}: {}", QuoteForMessage(glob), *problem));
      }
      out->push_back(glob);
    }
    return {};
  }

  Status ReadStatus(const YamlEntry& e, const std::string& path, StepCondition* when) {
    auto words = ReadTexts(e, path);
    if (!words) return std::unexpected(words.error());
    if (words->empty()) return {};
    when->on_success = when->on_failure = false;
    for (size_t i = 0; i < words->size(); ++i) {
      const auto& [word, mark] = (*words)[i];
      if (word == "success" || word == "always") when->on_success = true;
      if (word == "failure" || word == "always") when->on_failure = true;
      if (word != "success" && word != "failure" && word != "always") {
        return doc_.Fail(mark, e.value.IsSequence() ? Index(path, i) : path,
                         "expected success, failure or always, got " + QuoteForMessage(word));
      }
    }
    return {};
  }

  // A list of exit codes, each 1 to 255.
  Status ReadExitCodes(const YamlEntry& e, const std::string& path, ExitCodes* out) {
    auto codes = ReadTexts(e, path);
    if (!codes) return std::unexpected(codes.error());
    for (size_t i = 0; i < codes->size(); ++i) {
      const auto& [text, mark] = (*codes)[i];
      int code = 0;
      if (auto complaint = WholeValue(&code, 1)(text); complaint || code > 255) {
        return doc_.Fail(mark, e.value.IsSequence() ? Index(path, i) : path,
                         "expected an exit code from 1 to 255, got " + QuoteForMessage(text));
      }
      out->codes.push_back(code);
    }
    return {};
  }

  // `allow_failure: true`, or a list of the exit codes allowed.
  Status ReadAllowFailure(const YamlEntry& e, const std::string& path, ExitCodes* out) {
    const bool number = e.value.IsScalar() && !e.value.Scalar().empty() &&
                        std::all_of(e.value.Scalar().begin(), e.value.Scalar().end(),
                                    [](char c) { return c >= '0' && c <= '9'; });
    if (e.value.IsScalar() && !number) return ReadChecked(e, path, BoolValue(&out->any));
    return ReadExitCodes(e, path, out);
  }

  // `retry: N`, or `retry: {max: N, exit_codes: [...]}`; N from 1 to 5.
  Status ReadRetry(const YamlEntry& e, const std::string& path, PipelineStep* step) {
    const auto read_max = [&](const YamlEntry& entry, const std::string& at) -> Status {
      auto text = doc_.Text(entry, at);
      if (!text) return std::unexpected(text.error());
      int max = 0;
      if (auto complaint = WholeValue(&max, 1)(*text); complaint || max > kMaxRetries) {
        return doc_.Fail(entry.mark(), at,
                         fmt::format("expected a number of retries from 1 to {}, got {}",
                                     kMaxRetries, QuoteForMessage(*text)));
      }
      step->retries = max;
      return {};
    };
    if (!e.value.IsMap()) {
      step->retry_on.any = true;
      return read_max(e, path);
    }
    auto entries = doc_.Entries(e.value, path);
    if (!entries) return std::unexpected(entries.error());
    for (const YamlEntry& inner : *entries) {
      const std::string inner_path = JoinKeyPath(path, inner.key);
      Status s;
      if (inner.key == "max") {
        s = read_max(inner, inner_path);
      } else if (inner.key == "exit_codes") {
        s = ReadExitCodes(inner, inner_path, &step->retry_on);
      } else {
        Warn(inner_path, inner, {"max", "exit_codes"});
      }
      if (!s) return s;
    }
    if (step->retries == 0) return doc_.Fail(e.mark(), path + ".max", "required");
    if (step->retry_on.codes.empty()) step->retry_on.any = true;
    return {};
  }

  Status ReadDependsOn(const YamlEntry& e, const std::string& path, WrittenDeps* out) {
    if (!e.value.IsSequence() && !e.value.IsScalar()) {
      return doc_.Fail(e.mark(), path,
                       fmt::format("expected a list of step names, got {}", DescribeNode(e.value)));
    }
    auto names = ReadTexts(e, path);
    if (!names) return std::unexpected(names.error());
    *out = {.given = true, .mark = e.mark(), .names = std::move(*names)};
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
  std::vector<WrittenDeps> deps_;  // one per step read, in order
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

bool ExitCodes::Matches(int exit_code) const {
  return exit_code > 0 && (any || std::find(codes.begin(), codes.end(), exit_code) != codes.end());
}

bool StepCondition::Matches(std::string_view branch, std::string_view tag) const {
  if (branches.empty() && tags.empty()) return true;
  return (!branch.empty() && GlobsMatch(branches, branch)) ||
         (!tag.empty() && GlobsMatch(tags, tag));
}

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
