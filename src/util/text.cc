#include "util/text.h"

#include <cstdio>

namespace raibid {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string FormatBytes(uint64_t bytes) {
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

std::string FormatDuration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms < 1000) return std::to_string(ms) + "ms";
  std::string out;
  if (ms >= 3600000) out += std::to_string(ms / 3600000) + "h";
  if (ms % 3600000 >= 60000) out += std::to_string(ms % 3600000 / 60000) + "m";
  const auto sec_ms = ms % 60000;
  if (sec_ms == 0) return out;
  out += std::to_string(sec_ms / 1000);
  if (sec_ms % 1000 != 0) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(sec_ms % 1000));
    std::string_view f(frac);
    out += f.substr(0, f.find_last_not_of('0') + 1);
  }
  return out + "s";
}

std::string FormatSeconds(std::chrono::duration<double> d, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*fs", decimals, d.count());
  return buf;
}

}  // namespace raibid
