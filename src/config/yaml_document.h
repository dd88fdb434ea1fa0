// One YAML document of the agent's own schemas (the agent configuration, a `.raibid.yaml`
// pipeline), parsed with bounds on size, node count and nesting, so hostile input costs little and
// never crashes. Every error it makes reads "FILE:LINE:COL: key.path: message" (1-based line and
// column) and carries the error kind given at parse time. yaml-cpp exceptions never leave here.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace raibid {

struct YamlLimits {
  size_t max_bytes = 1 << 20;
  size_t max_nodes = 100000;  // scalars, maps, lists and aliases together
  size_t max_depth = 0;       // lists and maps nested in each other; 0: yaml-cpp's own bound only
  // The names of these limits in agent.limits.* ("pipeline_bytes", "yaml_nodes", "yaml_depth"),
  // for errors that say which setting was exceeded; empty: the errors give the numbers alone.
  std::string_view bytes_name, nodes_name, depth_name;
};

// A key and its value, in document order.
struct YamlEntry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;

  // Where to point at the value: the key itself when the value is empty (yaml-cpp places an
  // empty value at the next token, often a line further down).
  YAML::Mark mark() const;
};

class YamlDocument {
 public:
  // Parses `text`. An empty text, or one holding only comments, gives a null root. More than one
  // document, a syntax error, an unterminated quoted string or a breach of `limits` is an error.
  static Result<YamlDocument> Parse(std::string_view text, std::string_view filename,
                                    ErrorKind kind, const YamlLimits& limits = {});
  // A document the agent printed from one the user wrote (a job's JSON `pipeline`): a position
  // in it would point into text the user never saw, so errors read "KEY.path: message", `key`
  // (e.g. "job.pipeline") in front of the key path, and no line or column.
  static Result<YamlDocument> ParseEmbedded(std::string_view text, std::string_view key,
                                            ErrorKind kind, const YamlLimits& limits = {});

  const YAML::Node& root() const { return root_; }
  const std::string& filename() const { return filename_; }

  // "FILE:LINE:COL: path: message" (no "path: " when `path` is empty), as an error of this
  // document's kind. A null mark reads as 1:1.
  std::unexpected<Error> Fail(const YAML::Mark& mark, std::string_view path,
                              std::string_view message) const;
  // Where a warning points: "path (line N)", or "KEY.path" in an embedded document.
  std::string Where(const YAML::Mark& mark, std::string_view path) const;

  // The entries of `map` (which must be a map). Fails on a key that is not a plain value or that
  // appears twice: yaml-cpp would keep both and silently use the first.
  Result<std::vector<YamlEntry>> Entries(const YAML::Node& map, std::string_view path) const;

  // The text of a scalar value; "" for an empty value; an error naming the path for a map or list.
  Result<std::string> Text(const YamlEntry& entry, std::string_view path) const;

 private:
  YamlDocument(std::string filename, ErrorKind kind, bool embedded)
      : filename_(std::move(filename)), kind_(kind), embedded_(embedded) {}
  static Result<YamlDocument> Load(YamlDocument doc, std::string_view text,
                                   const YamlLimits& limits);

  std::string filename_;  // or the embedded document's key
  ErrorKind kind_;
  bool embedded_;
  YAML::Node root_;
};

// "a map", "a list", "a value", "nothing": for "expected X, got Y" messages.
std::string_view DescribeNode(const YAML::Node& node);

// `text` in single quotes for an error message: control bytes escaped, cut after 60 bytes.
std::string QuoteForMessage(std::string_view text);

// "parent.key", or "key" at the top.
std::string JoinKeyPath(std::string_view parent, std::string_view key);

// 1-based line of a mark, for warnings ("agent.foo (line 3): ...").
int LineOf(const YAML::Mark& mark);

}  // namespace raibid
