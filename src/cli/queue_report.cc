#include "cli/queue_report.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <utility>

#include "report/keys.h"

namespace raibid::cli {
namespace {

constexpr size_t kMaxCounted = 1000;

// A field of one of XINFO's replies, a flat [name, value, name, value, ...] array.
const RedisValue* FieldOf(const RedisValue& map, std::string_view name) {
  if (!map.is_array()) return nullptr;
  const auto& items = map.elements();
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    if (items[i].str() == name) return &items[i + 1];
  }
  return nullptr;
}

// "1700000000000-3" as (milliseconds, sequence), ordered as the stream orders its entries.
std::pair<uint64_t, uint64_t> IdOf(std::string_view id) {
  uint64_t ms = 0, seq = 0;
  const auto dash = id.find('-');
  std::from_chars(id.data(), id.data() + id.substr(0, dash).size(), ms);
  if (dash != std::string_view::npos)
    std::from_chars(id.data() + dash + 1, id.data() + id.size(), seq);
  return {ms, seq};
}

// The group's last-delivered-id; nothing when the group (or the stream) does not exist.
Result<std::optional<std::string>> LastDelivered(Redis& redis, const QueuedEntry& e) {
  auto r = redis.Command({"XINFO", "GROUPS", e.stream});
  if (!r) return std::unexpected(r.error());
  if (r->is_error() || !r->is_array()) return std::optional<std::string>();
  for (const RedisValue& group : r->elements()) {
    const RedisValue* name = FieldOf(group, "name");
    const RedisValue* last = FieldOf(group, "last-delivered-id");
    if (name && last && name->str() == e.group) return std::optional<std::string>(last->str());
  }
  return std::optional<std::string>();
}

Result<std::string> Ahead(Redis& redis, const QueuedEntry& e, const std::string& last) {
  if (IdOf(e.entry_id) <= IdOf(last)) {
    return std::string("an agent has taken it from ") + e.stream + " but not started it yet";
  }
  auto r = redis.Command(
      {"XRANGE", e.stream, "(" + last, "(" + e.entry_id, "COUNT", std::to_string(kMaxCounted + 1)});
  if (!r) return std::unexpected(r.error());
  const size_t n = r->is_array() ? r->elements().size() : 0;
  const std::string count =
      n > kMaxCounted ? fmt::format("more than {}", kMaxCounted) : std::to_string(n);
  return fmt::format("{} entr{} ahead of it in {}", count, n == 1 ? "y" : "ies", e.stream);
}

Result<std::string> Agents(Redis& redis, const QueuedEntry& e) {
  auto r = redis.Command({"XINFO", "CONSUMERS", e.stream, e.group});
  if (!r) return std::unexpected(r.error());
  std::vector<RedisArgs> checks;
  if (r->is_array()) {
    for (const RedisValue& consumer : r->elements()) {
      if (const RedisValue* name = FieldOf(consumer, "name")) {
        checks.push_back({"EXISTS", AgentKey(name->str())});
      }
    }
  }
  if (checks.empty()) return "no agent has joined consumer group " + e.group + " yet";
  auto alive = redis.Pipeline(checks);
  if (!alive) return std::unexpected(alive.error());
  size_t live = 0;
  for (const RedisValue& v : *alive) live += v.integer() > 0 ? 1 : 0;
  if (live == 0) {
    return fmt::format("no live agent in consumer group {} ({} known, none with a heartbeat)",
                       e.group, checks.size());
  }
  return fmt::format("{} live agent{} in consumer group {}", live, live == 1 ? "" : "s", e.group);
}

}  // namespace

Result<std::string> DescribeQueuePosition(Redis& redis, const QueuedEntry& entry) {
  auto last = LastDelivered(redis, entry);
  if (!last) return std::unexpected(last.error());
  if (!*last) {
    return "no agent has joined consumer group " + entry.group + " of " + entry.stream + " yet";
  }
  auto ahead = Ahead(redis, entry, **last);
  if (!ahead) return ahead;
  auto agents = Agents(redis, entry);
  if (!agents) return agents;
  return *ahead + "; " + *agents;
}

}  // namespace raibid::cli
