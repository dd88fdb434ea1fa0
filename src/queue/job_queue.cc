#include "queue/job_queue.h"

#include "redis/fault.h"

namespace raibid {
namespace {

// "ms-seq" compared as numbers.
bool IdLess(const std::string& a, const std::string& b) {
  auto split = [](const std::string& id) {
    auto dash = id.find('-');
    return std::pair{std::stoull(id.substr(0, dash)),
                     dash == std::string::npos ? 0ull : std::stoull(id.substr(dash + 1))};
  };
  return split(a) < split(b);
}

// The ID just after `id` (entries at or above it are kept by MINID).
std::string NextId(const std::string& id) {
  auto dash = id.find('-');
  return id.substr(0, dash) + "-" + std::to_string(std::stoull(id.substr(dash + 1)) + 1);
}

}  // namespace

Status JobQueue::EnsureGroup() {
  for (const std::string& stream : names_.all_streams()) {
    auto r = redis_.Command({"XGROUP", "CREATE", stream, names_.group, "0", "MKSTREAM"});
    if (r && r->is_error() && r->str().starts_with("BUSYGROUP")) continue;
    if (r && r->is_error()) return std::unexpected(StreamFault(r->str(), stream));
    if (auto s = CheckReply(r, "XGROUP CREATE"); !s) return s;
  }
  return {};
}

Error JobQueue::StreamFault(const std::string& reply, const std::string& stream) {
  const RedisFault fault = ClassifyRedisError(reply);
  std::string detail;
  if (fault.code == "WRONGTYPE") {
    // What the key is tells the operator what overwrote it.
    auto type = redis_.Command({"TYPE", stream});
    if (type && !type->is_error()) detail = "the key is a " + type->str() + ", not a stream";
  }
  return RedisFaultError(fault, DescribeRedisFault(fault, stream, detail));
}

Result<std::vector<StreamEntry>> JobQueue::ReadGroup(int count,
                                                     std::optional<std::chrono::milliseconds> block,
                                                     const std::string& from) {
  RedisArgs args = {"XREADGROUP",    "GROUP", names_.group,
                    names_.consumer, "COUNT", std::to_string(count)};
  if (block) {
    args.push_back("BLOCK");
    args.push_back(std::to_string(block->count()));
    // The socket must wait longer than the server blocks.
    redis_.SetTimeout(*block + std::chrono::seconds(5));
  }
  const std::vector<std::string> streams = names_.all_streams();
  args.push_back("STREAMS");
  args.insert(args.end(), streams.begin(), streams.end());
  args.insert(args.end(), streams.size(), from);
  auto r = redis_.Command(args);
  if (block) redis_.SetTimeout(std::chrono::seconds(5));
  if (!r) return std::unexpected(r.error());
  if (r->is_error()) {
    // NOGROUP: the stream or group was deleted under us; recreate and report nothing this time.
    if (ClassifyRedisError(r->str()).kind == RedisFaultClass::kNoGroup) {
      if (auto g = EnsureGroup(); !g) return std::unexpected(g.error());
      return std::vector<StreamEntry>{};
    }
    // Which stream it is about the reply does not say: the first one of the wrong type.
    std::string culprit = streams.front();
    for (const std::string& stream : streams) {
      auto type = redis_.Command({"TYPE", stream});
      if (type && !type->is_error() && type->str() != "stream" && type->str() != "none") {
        culprit = stream;
        break;
      }
    }
    return std::unexpected(StreamFault(r->str(), culprit));
  }
  // [[stream, entries], ...], or nil when nothing came in time.
  std::vector<StreamEntry> out;
  if (!r->is_array()) return out;
  for (const RedisValue& per_stream : r->elements()) {
    for (StreamEntry& e : ParseEntries(per_stream.element(1))) {
      e.stream = per_stream.element(0).str();
      out.push_back(std::move(e));
    }
  }
  return out;
}

Result<std::vector<StreamEntry>> JobQueue::ReadNew(int count, std::chrono::milliseconds block) {
  return ReadGroup(count, block, ">");
}

Result<std::vector<StreamEntry>> JobQueue::ReadOwnPending(int count) {
  return ReadGroup(count, std::nullopt, "0");
}

Status JobQueue::Ack(const std::string& id) {
  return CheckReply(redis_.Command({"XACK", names_.stream, names_.group, id}), "XACK");
}

Status JobQueue::DeadLetter(const StreamEntry& entry, const std::string& reason, int deliveries,
                            const std::vector<RedisArgs>& extra) {
  RedisArgs xadd = {"XADD", names_.dead_stream(), "*"};
  for (const auto& [k, v] : entry.fields) {
    xadd.push_back(k);
    xadd.push_back(v);
  }
  xadd.insert(xadd.end(),
              {"reason", reason, "deliveries", std::to_string(deliveries), "source_id", entry.id});
  std::vector<RedisArgs> tx = {{"MULTI"}, xadd, {"XACK", names_.stream, names_.group, entry.id}};
  tx.insert(tx.end(), extra.begin(), extra.end());
  tx.push_back({"EXEC"});
  auto replies = redis_.Pipeline(tx);
  if (!replies) return std::unexpected(replies.error());
  const RedisValue& exec = replies->back();
  if (exec.is_error() || exec.is_nil()) {
    return Fail(ErrorKind::kInfrastructure, "redis dead-letter transaction failed: " + exec.str(),
                true);
  }
  return {};
}

Result<int64_t> JobQueue::PendingOfConsumer() {
  int64_t pending = 0;
  for (const std::string& stream : names_.all_streams()) {
    auto r =
        redis_.Command({"XPENDING", stream, names_.group, "-", "+", "1000000", names_.consumer});
    if (auto s = CheckReply(r, "XPENDING"); !s) return std::unexpected(s.error());
    pending += static_cast<int64_t>(r->elements().size());
  }
  return pending;
}

Result<bool> JobQueue::RemoveConsumerIfIdle() {
  auto pending = PendingOfConsumer();
  if (!pending) return std::unexpected(pending.error());
  if (*pending > 0) return false;
  for (const std::string& stream : names_.all_streams()) {
    auto r = redis_.Command({"XGROUP", "DELCONSUMER", stream, names_.group, names_.consumer});
    if (auto s = CheckReply(r, "XGROUP DELCONSUMER"); !s) return std::unexpected(s.error());
  }
  return true;
}

Result<int64_t> JobQueue::TrimDelivered() {
  auto groups = redis_.Command({"XINFO", "GROUPS", names_.stream});
  if (auto s = CheckReply(groups, "XINFO GROUPS"); !s) return std::unexpected(s.error());
  std::optional<std::string> keep_from;  // the oldest entry someone still needs
  auto consider = [&](const std::string& id) {
    if (!id.empty() && id != "0-0" && (!keep_from || IdLess(id, *keep_from))) keep_from = id;
  };
  for (const RedisValue& info : groups->elements()) {
    std::string name, last_delivered;
    const auto& kv = info.elements();
    for (size_t i = 0; i + 1 < kv.size(); i += 2) {
      const std::string key = kv[i].str();
      if (key == "name") name = kv[i + 1].str();
      if (key == "last-delivered-id") last_delivered = kv[i + 1].str();
    }
    if (last_delivered.empty() || last_delivered == "0-0") return 0;  // nothing delivered yet
    consider(NextId(last_delivered));
    auto pending = redis_.Command({"XPENDING", names_.stream, name});
    if (auto s = CheckReply(pending, "XPENDING"); !s) return std::unexpected(s.error());
    if (pending->elements().size() >= 2 && pending->element(0).integer() > 0) {
      consider(pending->element(1).str());
    }
  }
  if (!keep_from) return 0;
  auto r = redis_.Command({"XTRIM", names_.stream, "MINID", "~", *keep_from});
  if (auto s = CheckReply(r, "XTRIM"); !s) return std::unexpected(s.error());
  return r->integer();
}

}  // namespace raibid
