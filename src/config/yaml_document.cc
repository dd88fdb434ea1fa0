#include "config/yaml_document.h"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <cctype>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "util/input_limits.h"

namespace raibid {
namespace {

// Thrown by the scan below to stop yaml-cpp's parser, which offers no other way to abort.
struct TooManyNodes {
  YAML::Mark mark;
};
struct TooDeep {
  YAML::Mark mark;
};

// A first pass over the parser's events, before any node tree is built: counts documents and
// nodes (a 1 MiB list of numbers would otherwise cost yaml-cpp a quarter of a gigabyte) and
// remembers the last scalar, the only one that can be an unterminated quoted string.
class ScanHandler final : public YAML::EventHandler {
 public:
  ScanHandler(size_t max_nodes, size_t max_depth) : max_nodes_(max_nodes), max_depth_(max_depth) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ == 2) second_document_ = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Count(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Count(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Count(mark);
    last_scalar_ = mark;
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Count(mark);
    Open(mark);
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Count(mark);
    Open(mark);
  }
  void OnMapEnd() override { --depth_; }

  int documents() const { return documents_; }
  const YAML::Mark& second_document() const { return second_document_; }
  const YAML::Mark& last_scalar() const { return last_scalar_; }

 private:
  void Count(const YAML::Mark& mark) {
    if (++nodes_ > max_nodes_) throw TooManyNodes{mark};
  }
  void Open(const YAML::Mark& mark) {
    if (++depth_ > max_depth_ && max_depth_ > 0) throw TooDeep{mark};
  }

  size_t max_nodes_, max_depth_;
  size_t nodes_ = 0, depth_ = 0;
  int documents_ = 0;
  YAML::Mark second_document_ = YAML::Mark::null_mark();
  YAML::Mark last_scalar_ = YAML::Mark::null_mark();
};

YAML::Mark MarkAt(std::string_view text, size_t pos) {
  YAML::Mark mark;
  mark.pos = static_cast<int>(pos);
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++mark.line;
      mark.column = 0;
    } else {
      ++mark.column;
    }
  }
  return mark;
}

// yaml-cpp 0.7 accepts a double-quoted string left open at the end of the text (with a final
// newline) and quietly ends it there. Such a string is necessarily the last scalar, so check that
// one: skip its anchor and tag, then look for the closing quote. Returns the opening quote's
// position when it is missing.
std::optional<size_t> UnterminatedQuote(std::string_view text, const YAML::Mark& last) {
  if (last.is_null() || last.pos < 0) return std::nullopt;
  size_t p = static_cast<size_t>(last.pos);
  while (p < text.size() && (text[p] == '&' || text[p] == '!')) {
    while (p < text.size() && !std::isspace(static_cast<unsigned char>(text[p]))) ++p;
    while (p < text.size() && std::isspace(static_cast<unsigned char>(text[p]))) ++p;
  }
  if (p >= text.size() || (text[p] != '"' && text[p] != '\'')) return std::nullopt;
  const char quote = text[p];
  for (size_t i = p + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;  // '' is an escaped quote inside a single-quoted string
      } else {
        return std::nullopt;
      }
    }
  }
  return p;
}

std::string_view LineText(std::string_view text, int line) {
  size_t start = 0;
  for (int i = 0; i < line; ++i) {
    start = text.find('\n', start);
    if (start == std::string_view::npos) return {};
    ++start;
  }
  const size_t end = text.find('\n', start);
  return text.substr(start, end == std::string_view::npos ? end : end - start);
}

bool TabIndented(std::string_view line) {
  return line.substr(0, line.find_first_not_of(" \t")).find('\t') != std::string_view::npos;
}

// yaml-cpp's messages are terse ("illegal map value"); keep them, and add what usually causes them.
std::string_view HintFor(std::string_view message) {
  static constexpr std::pair<std::string_view, std::string_view> kHints[] = {
      {"end of sequence flow not found", "a `[` is never closed by `]`"},
      {"end of map flow not found", "a `{` is never closed by `}`"},
      {"illegal flow end", "a `]` or `}` closes nothing"},
      {"illegal map value", "check the indentation, and quote a value that contains `: `"},
      {"end of map not found", "check the indentation"},
      {"end of sequence not found", "check the indentation"},
  };
  for (const auto& [known, hint] : kHints) {
    if (message == known) return hint;
  }
  return {};
}

std::string Explain(std::string_view text, const YAML::Exception& e) {
  std::string message = e.msg;
  const bool has_line = !e.mark.is_null() && e.mark.line >= 0;
  // A tab in indentation surfaces as any of several errors, on its line or the next.
  const bool tabbed =
      has_line && (TabIndented(LineText(text, e.mark.line)) ||
                   (e.mark.line > 0 && TabIndented(LineText(text, e.mark.line - 1))));
  if (tabbed && message.find("tab") == std::string::npos) {
    return message + " (YAML does not allow tabs for indentation; use spaces)";
  }
  if (auto hint = HintFor(message); !hint.empty()) message += fmt::format(" ({})", hint);
  return message;
}

}  // namespace

YAML::Mark YamlEntry::mark() const { return value.IsNull() ? key_node.Mark() : value.Mark(); }

Result<YamlDocument> YamlDocument::Parse(std::string_view text, std::string_view filename,
                                         ErrorKind kind, const YamlLimits& limits) {
  return Load(YamlDocument(std::string(filename), kind, false), text, limits);
}

Result<YamlDocument> YamlDocument::ParseEmbedded(std::string_view text, std::string_view key,
                                                 ErrorKind kind, const YamlLimits& limits) {
  return Load(YamlDocument(std::string(key), kind, true), text, limits);
}

Result<YamlDocument> YamlDocument::Load(YamlDocument doc, std::string_view text,
                                        const YamlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    if (!limits.bytes_name.empty()) {
      return doc.Fail(
          YAML::Mark::null_mark(), "",
          "document of " + SizeOverLimit(text.size(), limits.bytes_name, limits.max_bytes));
    }
    return doc.Fail(YAML::Mark::null_mark(), "",
                    fmt::format("document is {} bytes, larger than the limit of {} bytes",
                                text.size(), limits.max_bytes));
  }
  const std::string owned(text);
  try {
    std::istringstream in(owned);
    YAML::Parser parser(in);
    ScanHandler scan(limits.max_nodes, limits.max_depth);
    while (parser.HandleNextDocument(scan)) {
    }
    if (scan.documents() > 1) {
      return doc.Fail(scan.second_document(), "",
                      fmt::format("expected one YAML document, found {}", scan.documents()));
    }
    if (auto quote = UnterminatedQuote(text, scan.last_scalar())) {
      return doc.Fail(MarkAt(text, *quote), "", "quoted string is never closed");
    }
    if (scan.documents() == 1) doc.root_ = YAML::Load(owned);
  } catch (const TooManyNodes& e) {
    if (!limits.nodes_name.empty()) {
      return doc.Fail(e.mark, "",
                      "document has more YAML nodes than " +
                          CountLimitText(limits.nodes_name, limits.max_nodes));
    }
    return doc.Fail(e.mark, "",
                    fmt::format("document has more than {} YAML nodes", limits.max_nodes));
  } catch (const TooDeep& e) {
    const std::string limit =
        limits.depth_name.empty()
            ? std::to_string(limits.max_depth) + " levels"
            : fmt::format("{} ({} levels)", LimitKey(limits.depth_name), limits.max_depth);
    return doc.Fail(e.mark, "", "document is nested deeper than " + limit);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own message for this is "bad file".
    return doc.Fail(e.mark, "", "document is nested too deeply");
  } catch (const YAML::Exception& e) {
    return doc.Fail(e.mark, "", Explain(text, e));
  }
  return doc;
}

std::unexpected<Error> YamlDocument::Fail(const YAML::Mark& mark, std::string_view path,
                                          std::string_view message) const {
  if (embedded_) {
    return raibid::Fail(kind_, fmt::format("{}: {}", JoinKeyPath(filename_, path), message));
  }
  const bool known = !mark.is_null() && mark.line >= 0 && mark.column >= 0;
  const int line = known ? mark.line + 1 : 1;
  const int column = known ? mark.column + 1 : 1;
  std::string text = fmt::format("{}:{}:{}: ", filename_, line, column);
  if (!path.empty()) text += fmt::format("{}: ", path);
  text += message;
  return raibid::Fail(kind_, std::move(text));
}

std::string YamlDocument::Where(const YAML::Mark& mark, std::string_view path) const {
  if (embedded_) return JoinKeyPath(filename_, path);
  return fmt::format("{} (line {})", path, LineOf(mark));
}

Result<std::vector<YamlEntry>> YamlDocument::Entries(const YAML::Node& map,
                                                     std::string_view path) const {
  std::vector<YamlEntry> entries;
  std::set<std::string, std::less<>> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    YamlEntry entry{"", it->first, it->second};
    if (!entry.key_node.IsScalar()) {
      return Fail(entry.key_node.Mark(), path,
                  fmt::format("keys must be plain names, got {}", DescribeNode(entry.key_node)));
    }
    entry.key = entry.key_node.Scalar();
    if (!seen.insert(entry.key).second) {
      return Fail(entry.key_node.Mark(), JoinKeyPath(path, entry.key), "key given twice");
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

Result<std::string> YamlDocument::Text(const YamlEntry& entry, std::string_view path) const {
  if (entry.value.IsNull()) return std::string();
  if (!entry.value.IsScalar()) {
    return Fail(entry.mark(), path,
                fmt::format("expected a value, got {}", DescribeNode(entry.value)));
  }
  return entry.value.Scalar();
}

std::string_view DescribeNode(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a value";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
  }
  return "nothing";
}

std::string QuoteForMessage(std::string_view text) {
  constexpr size_t kMaxShown = 60;
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMaxShown) out += "...";
  out += "'";
  return out;
}

std::string JoinKeyPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

int LineOf(const YAML::Mark& mark) { return mark.is_null() || mark.line < 0 ? 1 : mark.line + 1; }

}  // namespace raibid
