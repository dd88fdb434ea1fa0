// Durations the way operators write them on a command line or in configuration: "30s", "5m",
// "1h30m", "90" (seconds).
#pragma once

#include <chrono>
#include <string_view>

#include "util/error.h"

namespace raibid {

// One or more whole numbers each followed by a unit, h, m, s or ms ("1h30m", "500ms"); a bare
// whole number is seconds. "0" is zero. Fails (kind kConfig, message "expected a duration like
// 30s or 5m, got 'TEXT'") on anything else: fractions, negative numbers, unknown units, blanks
// inside, or more than a year.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

}  // namespace raibid
