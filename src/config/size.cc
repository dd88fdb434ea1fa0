#include "config/size.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <optional>
#include <utility>

#include "config/yaml_document.h"

namespace raibid {
namespace {

constexpr uint64_t kKi = 1024;
constexpr uint64_t kK = 1000;

constexpr std::array<std::pair<std::string_view, uint64_t>, 12> kUnits{{
    {"", 1},
    {"k", kK},
    {"K", kK},
    {"M", kK* kK},
    {"G", kK* kK* kK},
    {"T", kK* kK* kK* kK},
    {"P", kK* kK* kK* kK* kK},
    {"Ki", kKi},
    {"Mi", kKi* kKi},
    {"Gi", kKi* kKi* kKi},
    {"Ti", kKi* kKi* kKi* kKi},
    {"Pi", kKi* kKi* kKi* kKi* kKi},
}};

std::string_view Trim(std::string_view s) {
  const size_t start = s.find_first_not_of(" \t");
  if (start == std::string_view::npos) return {};
  return s.substr(start, s.find_last_not_of(" \t") - start + 1);
}

std::optional<uint64_t> Multiplier(std::string_view unit) {
  if (unit == "B") return 1;
  if (unit.size() > 1 && unit.back() == 'B') unit.remove_suffix(1);
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) return factor;
  }
  return std::nullopt;
}

size_t CountDigits(std::string_view s, size_t from) {
  size_t n = from;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
  return n - from;
}

// whole * factor + 0.fraction * factor, exactly, or nullopt past 2^64 - 1.
std::optional<uint64_t> Scale(std::string_view whole, std::string_view fraction, uint64_t factor) {
  uint64_t w = 0;
  if (std::from_chars(whole.data(), whole.data() + whole.size(), w).ec != std::errc()) {
    return std::nullopt;
  }
  unsigned __int128 total = static_cast<unsigned __int128>(w) * factor;
  fraction = fraction.substr(0, 18);  // finer than a byte at any unit
  uint64_t f = 0, scale = 1;
  for (char c : fraction) {
    f = f * 10 + static_cast<uint64_t>(c - '0');
    scale *= 10;
  }
  total += static_cast<unsigned __int128>(f) * factor / scale;
  if (total > UINT64_MAX) return std::nullopt;
  return static_cast<uint64_t>(total);
}

}  // namespace

Result<uint64_t> ParseSize(std::string_view text) {
  auto fail = [&] {
    return raibid::Fail(ErrorKind::kConfig,
                        fmt::format("expected a size like 10Gi, got {}", QuoteForMessage(text)));
  };
  const std::string_view s = Trim(text);
  const size_t whole_digits = CountDigits(s, 0);
  if (whole_digits == 0) return fail();
  size_t pos = whole_digits;
  std::string_view fraction;
  if (pos < s.size() && s[pos] == '.') {
    const size_t n = CountDigits(s, pos + 1);
    if (n == 0) return fail();
    fraction = s.substr(pos + 1, n);
    pos += 1 + n;
  }
  const auto factor = Multiplier(Trim(s.substr(pos)));
  if (!factor) return fail();
  const auto bytes = Scale(s.substr(0, whole_digits), fraction, *factor);
  if (!bytes) return fail();
  return *bytes;
}

}  // namespace raibid
