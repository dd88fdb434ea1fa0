// An entry of a Redis stream (the job stream, a job's log stream) as XRANGE, XREAD, XREADGROUP
// and XAUTOCLAIM return it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "redis/value.h"

namespace raibid {

struct StreamEntry {
  std::string id;                                           // "1700000000000-0"
  std::vector<std::pair<std::string, std::string>> fields;  // in stream order
  bool deleted = false;  // pending entry whose data was trimmed away
  std::string stream;    // the stream it was read from, when the reader knows (the job queue)

  // The value of the first field called `name`, if any.
  std::optional<std::string> Field(std::string_view name) const;
  // Milliseconds part of the ID: when the entry was added.
  int64_t EnqueuedAtMillis() const;
};

// Parses an entry list, [[id, [field, value, ...]], ...]. Entries of another shape are skipped;
// one whose fields are nil (XREADGROUP's answer for a pending entry trimmed away) is `deleted`.
// Anything but an array gives no entries.
std::vector<StreamEntry> ParseEntries(const RedisValue& list);

}  // namespace raibid
