// Small helpers shared by the benchmarks: percentiles, wall time, memory figures.
#pragma once

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace raibid::bench {

inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p / 100.0 * (v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

inline double NowMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// A field of /proc/<pid>/status in KiB ("VmRSS", "VmHWM"); -1 when absent.
inline long StatusKiB(const std::string& pid, const std::string& field) {
  std::ifstream in("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

inline const char* Verdict(bool ok) { return ok ? "meets goal" : "MISSES goal"; }

// A job whose one step prints bash's $EPOCHREALTIME: a builtin, so the stamp is taken inside the
// step's process as it starts, without a fork.
inline std::string StampJobJson(const std::string& id, const std::string& sha) {
  return R"({"job_id": ")" + id + R"(", "repository": "acme/app", "commit": ")" + sha +
         R"(", "pipeline": {"steps": [{"name": "stamp", "command": "echo STAMP=$EPOCHREALTIME"}]}})";
}

// The stamp that job printed, in µs; -1 when absent. The log also holds the echoed command
// (`$ echo STAMP=$EPOCHREALTIME`), so only a stamp followed by a digit counts.
inline double StampMicros(const std::string& log) {
  for (size_t pos = log.find("STAMP="); pos != std::string::npos;
       pos = log.find("STAMP=", pos + 1)) {
    if (pos + 6 < log.size() && std::isdigit(static_cast<unsigned char>(log[pos + 6]))) {
      return std::stod(log.substr(pos + 6)) * 1e6;
    }
  }
  return -1;
}

// `size` bytes of 80-column lines, as a build prints them.
inline std::string LogBlock(size_t size) {
  std::string line(79, 'x');
  line += '\n';
  std::string block;
  while (block.size() + line.size() <= size) block += line;
  block.resize(size, 'y');
  return block;
}

}  // namespace raibid::bench
