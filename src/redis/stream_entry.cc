#include "redis/stream_entry.h"

#include <charconv>

namespace raibid {

std::optional<std::string> StreamEntry::Field(std::string_view name) const {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return std::nullopt;
}

int64_t StreamEntry::EnqueuedAtMillis() const {
  int64_t ms = 0;
  std::from_chars(id.data(), id.data() + id.size(), ms);
  return ms;
}

std::vector<StreamEntry> ParseEntries(const RedisValue& list) {
  std::vector<StreamEntry> entries;
  for (const RedisValue& e : list.elements()) {
    if (!e.is_array() || e.elements().size() < 2) continue;
    StreamEntry entry;
    entry.id = e.element(0).str();
    const RedisValue& kv = e.element(1);
    if (!kv.is_array()) {
      entry.deleted = true;  // XREADGROUP gives nil fields for pending entries trimmed away
    } else {
      const auto& items = kv.elements();
      for (size_t j = 0; j + 1 < items.size(); j += 2) {
        entry.fields.emplace_back(items[j].str(), items[j + 1].str());
      }
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace raibid
