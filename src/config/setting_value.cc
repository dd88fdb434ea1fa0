#include "config/setting_value.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>

#include "config/duration.h"
#include "config/size.h"
#include "config/yaml_document.h"
#include "util/env_name.h"
#include "util/text.h"

namespace raibid {
namespace {

std::string Expected(std::string_view what, std::string_view text) {
  return fmt::format("expected {}, got {}", what, QuoteForMessage(text));
}

template <typename T>
std::optional<T> ParseWhole(std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> ParseNumber(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

SettingValue TextValue(std::string* out) {
  return [out](std::string_view text) -> std::optional<std::string> {
    *out = text;
    return std::nullopt;
  };
}

namespace {

std::string_view TrimBlanks(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// A comma-separated list, each item trimmed of blanks. The first item `valid` refuses, or one
// named twice when `unique`, is the error, calling the items `what` ("variable names").
SettingValue ListValue(std::vector<std::string>* out, std::string_view what,
                       bool (*valid)(std::string_view), bool unique) {
  return [=](std::string_view text) -> std::optional<std::string> {
    std::vector<std::string> items;
    while (!text.empty()) {
      const size_t comma = text.find(',');
      const std::string_view item = TrimBlanks(text.substr(0, comma));
      if (!valid(item)) {
        return fmt::format("expected comma-separated {}, got {}", what, QuoteForMessage(item));
      }
      if (unique && std::find(items.begin(), items.end(), item) != items.end()) {
        return fmt::format("{} is named twice", QuoteForMessage(item));
      }
      items.emplace_back(item);
      text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    }
    *out = std::move(items);
    return std::nullopt;
  };
}

bool IsKeyName(std::string_view s) {
  return !s.empty() && s.find_first_of(" \t") == std::string_view::npos;
}

}  // namespace

SettingValue EnvNameListValue(std::vector<std::string>* out) {
  return ListValue(out, "variable names", IsEnvName, false);
}

SettingValue KeyListValue(std::vector<std::string>* out) {
  return ListValue(out, "stream names", IsKeyName, true);
}

SettingValue DurationValue(std::chrono::milliseconds* out) {
  return [out](std::string_view text) -> std::optional<std::string> {
    auto d = ParseDuration(text);
    if (!d) return d.error().message;
    *out = *d;
    return std::nullopt;
  };
}

SettingValue PathValue(std::filesystem::path* out) {
  return [out](std::string_view text) -> std::optional<std::string> {
    *out = text;
    return std::nullopt;
  };
}

SettingValue BoolValue(bool* out) {
  return [out](std::string_view text) -> std::optional<std::string> {
    const std::string word = Lower(text);
    if (word == "true" || word == "yes" || word == "on") {
      *out = true;
    } else if (word == "false" || word == "no" || word == "off") {
      *out = false;
    } else {
      return Expected("true or false", text);
    }
    return std::nullopt;
  };
}

SettingValue WholeValue(int* out, int min) {
  return [out, min](std::string_view text) -> std::optional<std::string> {
    const auto value = ParseWhole<int>(text);
    if (!value || *value < min) {
      return Expected(fmt::format("a whole number of at least {}", min), text);
    }
    *out = *value;
    return std::nullopt;
  };
}

SettingValue CountValue(uint64_t* out, uint64_t min) {
  return [out, min](std::string_view text) -> std::optional<std::string> {
    const auto value = ParseWhole<uint64_t>(text);
    if (!value || *value < min) {
      return Expected(fmt::format("a whole number of at least {}", min), text);
    }
    *out = *value;
    return std::nullopt;
  };
}

SettingValue NumberValue(double* out, double min, bool exclusive) {
  return [out, min, exclusive](std::string_view text) -> std::optional<std::string> {
    const auto value = ParseNumber(text);
    if (!value || *value < min || (exclusive && *value == min)) {
      return Expected(
          fmt::format("a number {} {}", exclusive ? "greater than" : "of at least", min), text);
    }
    *out = *value;
    return std::nullopt;
  };
}

SettingValue SizeValue(uint64_t* out, uint64_t min) {
  return [out, min](std::string_view text) -> std::optional<std::string> {
    auto size = ParseSize(text);
    if (!size) return size.error().message;
    if (*size < min) return Expected(fmt::format("a size of at least {} bytes", min), text);
    *out = *size;
    return std::nullopt;
  };
}

SettingValue ChoiceValue(std::string* out, std::vector<std::string> choices) {
  return [out, choices = std::move(choices)](std::string_view text) -> std::optional<std::string> {
    for (const std::string& choice : choices) {
      if (text == choice) {
        *out = choice;
        return std::nullopt;
      }
    }
    return NotAChoice(choices, text);
  };
}

std::string NotAChoice(const std::vector<std::string>& choices, std::string_view text) {
  std::string list;
  for (const std::string& choice : choices) list += (list.empty() ? "" : " or ") + choice;
  return Expected(list, text);
}

SettingValue CpuValue(std::string* out) {
  return [out](std::string_view text) -> std::optional<std::string> {
    const bool milli = text.ends_with('m');
    const auto value =
        milli ? ParseWhole<uint64_t>(text.substr(0, text.size() - 1)).transform([](uint64_t v) {
          return static_cast<double>(v);
        })
              : ParseNumber(text);
    if (!value || *value <= 0) return Expected("CPUs like 2, 0.5 or 500m", text);
    *out = text;
    return std::nullopt;
  };
}

SettingValue MemoryValue(std::string* out) {
  return [out](std::string_view text) -> std::optional<std::string> {
    auto size = ParseSize(text);
    if (!size) return size.error().message;
    *out = text;
    return std::nullopt;
  };
}

SettingValue ListenAddressValue(std::string* out) {
  return [out](std::string_view text) -> std::optional<std::string> {
    const size_t colon = text.rfind(':');
    const auto port =
        colon == std::string_view::npos ? std::nullopt : ParseWhole<int>(text.substr(colon + 1));
    if (!port || *port < 0 || *port > 65535) return Expected("HOST:PORT like 0.0.0.0:9090", text);
    *out = text;
    return std::nullopt;
  };
}

}  // namespace raibid
