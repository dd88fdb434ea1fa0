// Human-readable byte sizes, the way operators write them in configuration: "16Mi", "10G",
// "1.5Gi", "1024".
#pragma once

#include <cstdint>
#include <string_view>

#include "util/error.h"

namespace raibid {

// A number (digits, optionally a fraction: "1.5") and an optional unit, spaces allowed around
// both. Units: none or B (bytes); k/K, M, G, T, P (powers of 1000); Ki, Mi, Gi, Ti, Pi (powers of
// 1024); each may end in B ("10GB", "512MiB"). Lowercase m, g, t, p are refused: "512m" is
// 512 MiB to Docker and 0.512 bytes to Kubernetes. A fraction of a byte is rounded down.
// Fails (kind kConfig, message "expected a size like 10Gi, got 'TEXT'") on anything else,
// including negative numbers and sizes of 2^64 bytes or more.
Result<uint64_t> ParseSize(std::string_view text);

}  // namespace raibid
