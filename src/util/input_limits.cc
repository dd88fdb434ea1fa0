#include "util/input_limits.h"

#include <cstdio>

namespace raibid {

std::string LimitKey(std::string_view name) { return "agent.limits." + std::string(name); }

std::string SizeText(uint64_t bytes) {
  static constexpr struct {
    uint64_t size;
    const char* name;
  } kUnits[] = {{1ull << 40, "TiB"}, {1ull << 30, "GiB"}, {1ull << 20, "MiB"}, {1ull << 10, "KiB"}};
  for (const auto& unit : kUnits) {
    if (bytes < unit.size) continue;
    char buf[48];
    if (bytes % unit.size == 0) {
      std::snprintf(buf, sizeof buf, "%llu %s", static_cast<unsigned long long>(bytes / unit.size),
                    unit.name);
    } else {
      std::snprintf(buf, sizeof buf, "%.1f %s", static_cast<double>(bytes) / unit.size, unit.name);
    }
    return buf;
  }
  return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
}

std::string SizeLimitText(std::string_view name, uint64_t limit) {
  return LimitKey(name) + " (" + SizeText(limit) + ")";
}

std::string CountLimitText(std::string_view name, uint64_t limit) {
  return LimitKey(name) + " (" + std::to_string(limit) + ")";
}

std::string SizeNear(uint64_t size, uint64_t limit) {
  std::string text = SizeText(size);
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
