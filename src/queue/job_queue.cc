#include "queue/job_queue.h"

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

std::vector<StreamEntry> ParseEntries(const redisReply* list) {
  std::vector<StreamEntry> entries;
  if (!list || list->type != REDIS_REPLY_ARRAY) return entries;
  for (size_t i = 0; i < list->elements; ++i) {
    const redisReply* e = list->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2) continue;
    StreamEntry entry;
    entry.id = ReplyString(e->element[0]);
    const redisReply* kv = e->element[1];
    if (kv->type != REDIS_REPLY_ARRAY) {
      entry.deleted = true;  // XREADGROUP gives nil fields for pending entries trimmed away
    } else {
      for (size_t j = 0; j + 1 < kv->elements; j += 2) {
        entry.fields.emplace_back(ReplyString(kv->element[j]), ReplyString(kv->element[j + 1]));
      }
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

Status CheckReply(const Result<RedisReply>& reply, std::string_view what) {
  if (!reply) return std::unexpected(reply.error());
  if (reply->is_error()) {
    return Fail(ErrorKind::kInfrastructure,
                "redis " + std::string(what) + " failed: " + reply->str(), true);
  }
  return {};
}

Status JobQueue::EnsureGroup() {
  auto r = redis_.Command({"XGROUP", "CREATE", names_.stream, names_.group, "0", "MKSTREAM"});
  if (r && r->is_error() && r->str().starts_with("BUSYGROUP")) return {};
  return CheckReply(r, "XGROUP CREATE");
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
  args.insert(args.end(), {"STREAMS", names_.stream, from});
  auto r = redis_.Command(args);
  if (block) redis_.SetTimeout(std::chrono::seconds(5));
  if (auto s = CheckReply(r, "XREADGROUP"); !s) {
    // NOGROUP: the stream or group was deleted under us; recreate and report nothing this time.
    if (r && r->str().starts_with("NOGROUP")) {
      if (auto g = EnsureGroup(); !g) return std::unexpected(g.error());
      return std::vector<StreamEntry>{};
    }
    return std::unexpected(s.error());
  }
  const redisReply* top = r->get();
  if (top->type != REDIS_REPLY_ARRAY || top->elements == 0) return std::vector<StreamEntry>{};
  const redisReply* stream = top->element[0];
  if (stream->type != REDIS_REPLY_ARRAY || stream->elements < 2) return std::vector<StreamEntry>{};
  return ParseEntries(stream->element[1]);
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
  const RedisReply& exec = replies->back();
  if (exec.is_error() || exec.is_nil()) {
    return Fail(ErrorKind::kInfrastructure, "redis dead-letter transaction failed: " + exec.str(),
                true);
  }
  return {};
}

}  // namespace raibid
