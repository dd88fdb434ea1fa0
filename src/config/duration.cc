#include "config/duration.h"

#include <charconv>
#include <cstdint>

namespace raibid {
namespace {

constexpr int64_t kYearMs = 366LL * 24 * 3600 * 1000;

// Milliseconds in one of `unit`; 0 for a unit not known.
int64_t UnitMillis(std::string_view unit) {
  if (unit == "ms") return 1;
  if (unit == "s") return 1000;
  if (unit == "m") return 60 * 1000;
  if (unit == "h") return 3600 * 1000;
  return 0;
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  auto refuse = [&] {
    return Fail(ErrorKind::kConfig,
                "expected a duration like 30s or 5m, got '" + std::string(text) + "'");
  };
  if (text.empty()) return refuse();
  int64_t total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
    if (ec != std::errc() || n < 0 || n > kYearMs) return refuse();
    rest.remove_prefix(static_cast<size_t>(end - rest.data()));
    const size_t unit_len = rest.find_first_of("0123456789");
    const std::string_view unit = rest.substr(0, unit_len);
    // A bare number (no unit) is seconds, and only on its own.
    const int64_t per = unit.empty() && total == 0 && rest.empty() ? 1000 : UnitMillis(unit);
    if (per == 0) return refuse();
    total += n * per;
    if (total > kYearMs) return refuse();
    rest.remove_prefix(unit.size());
  }
  return std::chrono::milliseconds(total);
}

}  // namespace raibid
