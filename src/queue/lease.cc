#include "queue/lease.h"

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

// The same owner check; the entry's idle time is set to ARGV[4] ms.
constexpr const char* kReleaseScript = R"(
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 then return 0 end
if p[1][2] ~= ARGV[2] then return -1 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'IDLE', ARGV[4], 'JUSTID')
return 1
)";

// Idle "since a year ago": longer than any lease, and short of the Unix epoch, where Redis
// would ignore the IDLE given.
constexpr int64_t kReleasedIdleMs = 365LL * 24 * 3600 * 1000;

}  // namespace

Result<bool> Leases::Release(const std::string& id) {
  auto r = redis_.Command({"EVAL", kReleaseScript, "1", names_.stream, names_.group,
                           names_.consumer, id, std::to_string(kReleasedIdleMs)});
  if (auto s = CheckReply(r, "lease release"); !s) return std::unexpected(s.error());
  return r->integer() == 1;
}

Result<bool> Leases::Renew(const std::string& id) {
  auto r =
      redis_.Command({"EVAL", kRenewScript, "1", names_.stream, names_.group, names_.consumer, id});
  if (auto s = CheckReply(r, "lease renewal"); !s) return std::unexpected(s.error());
  return r->integer() == 1;
}

Result<std::vector<StreamEntry>> Leases::ClaimAbandoned(std::chrono::milliseconds lease,
                                                        int count) {
  auto r = redis_.Command({"XAUTOCLAIM", names_.stream, names_.group, names_.consumer,
                           std::to_string(lease.count()), claim_cursor_, "COUNT",
                           std::to_string(count)});
  if (auto s = CheckReply(r, "XAUTOCLAIM"); !s) return std::unexpected(s.error());
  // [next cursor, entries, ...]
  if (!r->is_array() || r->elements().size() < 2) return std::vector<StreamEntry>{};
  claim_cursor_ = r->element(0).str();
  std::vector<StreamEntry> entries = ParseEntries(r->element(1));
  for (StreamEntry& e : entries) e.stream = names_.stream;
  return entries;
}

}  // namespace raibid
