#include "util/input_limits.h"

#include "util/text.h"

namespace raibid {

std::string LimitKey(std::string_view name) { return "agent.limits." + std::string(name); }

std::string SizeLimitText(std::string_view name, uint64_t limit) {
  return LimitKey(name) + " (" + FormatBytes(limit) + ")";
}

std::string CountLimitText(std::string_view name, uint64_t limit) {
  return LimitKey(name) + " (" + std::to_string(limit) + ")";
}

std::string SizeNear(uint64_t size, uint64_t limit) {
  std::string text = FormatBytes(size);
  // Within a tenth of the limit, one decimal may not tell the two apart.
  if (size >= 1024 && size > limit && size - limit <= limit / 10) {
    text += " (" + std::to_string(size) + " bytes)";
  }
  return text;
}

std::string SizeOverLimit(uint64_t size, std::string_view name, uint64_t limit) {
  return SizeNear(size, limit) + " is over " + SizeLimitText(name, limit);
}

uint64_t EnvBytes(const std::map<std::string, std::string>& env) {
  uint64_t total = 0;
  for (const auto& [name, value] : env) total += name.size() + value.size();
  return total;
}

}  // namespace raibid
