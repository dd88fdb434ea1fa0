// Small texts every module writes the same way: lowercase ASCII, byte counts and durations as
// the job log, the status and error messages print them.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace raibid {

// ASCII letters lowered, every other byte as it is (not locale-dependent: header names, URL
// schemes and hex digits must compare the same everywhere).
std::string Lower(std::string_view text);

// "512 bytes", "64 KiB", "1 MiB" for a whole number of the largest binary unit that fits, else
// one decimal: "2.0 MiB", "1.5 GiB"; "1 byte".
std::string FormatBytes(uint64_t bytes);

// A duration as configured, exactly: "250ms", "45s", "1.5s", "30m", "1h30m", "2m0.5s".
std::string FormatDuration(std::chrono::milliseconds d);

// Time taken, in seconds with `decimals` decimals: "1.23s" (2), "12.3s" (1).
std::string FormatSeconds(std::chrono::duration<double> d, int decimals = 2);

}  // namespace raibid
