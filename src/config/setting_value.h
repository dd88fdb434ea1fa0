// Typed setters for one configuration value: each parses a value's text (after ${VAR} expansion),
// checks its range and stores it through the pointer it was built with, or returns what it
// expected ("expected a whole number of at least 1, got '0'") and leaves the target untouched.
// The pointers must outlive the setter.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
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
SettingValue CpuValue(std::string* out);            // "2", "0.5", "500m"
SettingValue MemoryValue(std::string* out);         // a size, kept as written
SettingValue ListenAddressValue(std::string* out);  // HOST:PORT, [V6]:PORT, :PORT

}  // namespace raibid
