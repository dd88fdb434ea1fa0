#include "cli/log_printer.h"

#include <nlohmann/json.hpp>

#include <vector>

namespace raibid::cli {

std::set<std::string> OverlappingSteps(std::string_view steps_json) {
  const auto steps = nlohmann::json::parse(steps_json, nullptr, /*allow_exceptions=*/false);
  std::set<std::string> out;
  if (!steps.is_array()) return out;
  struct Span {
    std::string name, from, to;
  };
  std::vector<Span> spans;
  for (const auto& s : steps) {
    if (!s.is_object() || !s.contains("started_at") || !s["started_at"].is_string()) continue;
    // RFC 3339 UTC with milliseconds throughout: text order is time order; "~" sorts after any
    // digit, for a step still running.
    const std::string to = s.contains("finished_at") && s["finished_at"].is_string()
                               ? s["finished_at"].get<std::string>()
                               : "~";
    spans.push_back({s.value("name", ""), s["started_at"].get<std::string>(), to});
  }
  for (size_t i = 0; i < spans.size(); ++i) {
    for (size_t j = i + 1; j < spans.size(); ++j) {
      if (spans[i].from < spans[j].to && spans[j].from < spans[i].to) {
        out.insert(spans[i].name);
        out.insert(spans[j].name);
      }
    }
  }
  return out;
}

void LogPrinter::Print(std::string_view step, std::string_view fd, std::string_view data) {
  const bool prefix = !step.empty() && prefixed_.contains(std::string(step));
  if (fd == "sys") {
    while (!data.empty()) {
      const size_t nl = data.find('\n');
      const std::string_view line = data.substr(0, nl);
      std::fprintf(out_, "==> %s%.*s\n", prefix ? ("[" + std::string(step) + "] ").c_str() : "",
                   static_cast<int>(line.size()), line.data());
      data.remove_prefix(nl == std::string_view::npos ? data.size() : nl + 1);
    }
    return;
  }
  bool& mid_line = mid_line_[std::string(step)];
  if (!prefix) {
    std::fwrite(data.data(), 1, data.size(), out_);
  } else {
    while (!data.empty()) {
      const size_t nl = data.find('\n');
      const std::string_view piece =
          data.substr(0, nl == std::string_view::npos ? data.size() : nl + 1);
      if (!mid_line) std::fprintf(out_, "[%.*s] ", static_cast<int>(step.size()), step.data());
      std::fwrite(piece.data(), 1, piece.size(), out_);
      mid_line = !piece.ends_with('\n');
      data.remove_prefix(piece.size());
    }
    return;
  }
  if (!data.empty()) mid_line = !data.ends_with('\n');
}

}  // namespace raibid::cli
