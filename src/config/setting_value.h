// Typed setters for one configuration value: each parses a value's text (after ${VAR} expansion),
// checks its range and stores it through the pointer it was built with, or returns what it
// expected ("expected a whole number of at least 1, got '0'") and leaves the target untouched.
// The pointers must outlive the setter.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace raibid {

// nullopt on success, else the complaint.
using SettingValue = std::function<std::optional<std::string>(std::string_view text)>;

SettingValue TextValue(std::string* out);
SettingValue PathValue(std::filesystem::path* out);
SettingValue BoolValue(bool* out);  // true/false, yes/no, on/off, any case
SettingValue WholeValue(int* out, int min);
SettingValue CountValue(uint64_t* out, uint64_t min);
// `exclusive`: the value must be greater than `min`, not equal to it.
SettingValue NumberValue(double* out, double min, bool exclusive);
SettingValue SizeValue(uint64_t* out, uint64_t min);
SettingValue ChoiceValue(std::string* out, std::vector<std::string> choices);
// One word of a closed set, stored as its enum value; the complaint lists the words in order
// ("expected shell or docker, got 'podman'").
template <typename Enum>
SettingValue ChoiceValue(Enum* out, std::vector<std::pair<std::string, Enum>> choices);
SettingValue CpuValue(std::string* out);            // "2", "0.5", "500m"
SettingValue MemoryValue(std::string* out);         // a size, kept as written
SettingValue ListenAddressValue(std::string* out);  // HOST:PORT, [V6]:PORT, :PORT
// Comma-separated environment variable names ("PATH, LANG"); blanks around each are dropped.
SettingValue EnvNameListValue(std::vector<std::string>* out);
// A duration ("30s", "5m", "0"; config/duration.h).
SettingValue DurationValue(std::chrono::milliseconds* out);
// Comma-separated Redis key names ("ci-jobs:linux-amd64, ci-jobs:linux-arm64"): none empty, none
// with blanks inside, none given twice.
SettingValue KeyListValue(std::vector<std::string>* out);

// "expected A or B or C, got 'x'", the complaint of a ChoiceValue.
std::string NotAChoice(const std::vector<std::string>& choices, std::string_view text);

template <typename Enum>
SettingValue ChoiceValue(Enum* out, std::vector<std::pair<std::string, Enum>> choices) {
  std::vector<std::string> words;
  for (const auto& choice : choices) words.push_back(choice.first);
  return [out, choices = std::move(choices),
          words = std::move(words)](std::string_view text) -> std::optional<std::string> {
    for (const auto& [word, value] : choices) {
      if (text == word) {
        *out = value;
        return std::nullopt;
      }
    }
    return NotAChoice(words, text);
  };
}

}  // namespace raibid
