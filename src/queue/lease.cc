// The parts of JobQueue that keep deliveries alive and the stream bounded: leases, reclaiming
// abandoned entries, consumer removal, trimming.
#include <algorithm>

#include "queue/job_queue.h"

namespace raibid {
namespace {

// KEYS[1] stream; ARGV group, consumer, id. 1 renewed, 0 not pending, -1 owned by another.
constexpr const char* kRenewScript = R"(
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 then return 0 end
if p[1][2] ~= ARGV[2] then return -1 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
return 1
)";

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

Result<bool> JobQueue::RenewLease(const std::string& id) {
  auto r =
      redis_.Command({"EVAL", kRenewScript, "1", names_.stream, names_.group, names_.consumer, id});
  if (auto s = CheckReply(r, "lease renewal"); !s) return std::unexpected(s.error());
  return (*r)->integer == 1;
}

Result<std::vector<StreamEntry>> JobQueue::ClaimAbandoned(std::chrono::milliseconds min_idle,
                                                          int count) {
  auto r = redis_.Command({"XAUTOCLAIM", names_.stream, names_.group, names_.consumer,
                           std::to_string(min_idle.count()), claim_cursor_, "COUNT",
                           std::to_string(count)});
  if (auto s = CheckReply(r, "XAUTOCLAIM"); !s) return std::unexpected(s.error());
  const redisReply* top = r->get();
  if (top->type != REDIS_REPLY_ARRAY || top->elements < 2) return std::vector<StreamEntry>{};
  claim_cursor_ = ReplyString(top->element[0]);
  return ParseEntries(top->element[1]);
}

Result<int64_t> JobQueue::PendingOfConsumer() {
  auto r = redis_.Command(
      {"XPENDING", names_.stream, names_.group, "-", "+", "1000000", names_.consumer});
  if (auto s = CheckReply(r, "XPENDING"); !s) return std::unexpected(s.error());
  return static_cast<int64_t>((*r)->elements);
}

Result<bool> JobQueue::RemoveConsumerIfIdle() {
  auto pending = PendingOfConsumer();
  if (!pending) return std::unexpected(pending.error());
  if (*pending > 0) return false;
  auto r = redis_.Command({"XGROUP", "DELCONSUMER", names_.stream, names_.group, names_.consumer});
  if (auto s = CheckReply(r, "XGROUP DELCONSUMER"); !s) return std::unexpected(s.error());
  return true;
}

Result<int64_t> JobQueue::TrimDelivered() {
  auto groups = redis_.Command({"XINFO", "GROUPS", names_.stream});
  if (auto s = CheckReply(groups, "XINFO GROUPS"); !s) return std::unexpected(s.error());
  std::optional<std::string> keep_from;  // the oldest entry someone still needs
  auto consider = [&](const std::string& id) {
    if (!id.empty() && id != "0-0" && (!keep_from || IdLess(id, *keep_from))) keep_from = id;
  };
  for (size_t g = 0; g < (*groups)->elements; ++g) {
    const redisReply* info = (*groups)->element[g];
    std::string name, last_delivered;
    for (size_t i = 0; i + 1 < info->elements; i += 2) {
      const std::string key = ReplyString(info->element[i]);
      if (key == "name") name = ReplyString(info->element[i + 1]);
      if (key == "last-delivered-id") last_delivered = ReplyString(info->element[i + 1]);
    }
    if (last_delivered.empty() || last_delivered == "0-0") return 0;  // nothing delivered yet
    consider(NextId(last_delivered));
    auto pending = redis_.Command({"XPENDING", names_.stream, name});
    if (auto s = CheckReply(pending, "XPENDING"); !s) return std::unexpected(s.error());
    if ((*pending)->elements >= 2 && (*pending)->element[0]->integer > 0) {
      consider(ReplyString((*pending)->element[1]));
    }
  }
  if (!keep_from) return 0;
  auto r = redis_.Command({"XTRIM", names_.stream, "MINID", "~", *keep_from});
  if (auto s = CheckReply(r, "XTRIM"); !s) return std::unexpected(s.error());
  return (*r)->integer;
}

}  // namespace raibid
