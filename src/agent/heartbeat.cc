#include "agent/heartbeat.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <random>
#include <thread>

namespace raibid {
namespace {

// KEYS[1] the hash; ARGV instance, take_over ("1" or "0"), ttl in seconds, then field, value
// pairs. {1} written; {0, instance, started_at, last_seen} held by another instance.
constexpr const char* kBeatScript = R"(
if ARGV[2] ~= '1' and redis.call('EXISTS', KEYS[1]) == 1 then
  local cur = redis.call('HGET', KEYS[1], 'instance')
  if cur ~= ARGV[1] then
    return {0, cur or '', redis.call('HGET', KEYS[1], 'started_at') or '',
            redis.call('HGET', KEYS[1], 'last_seen') or ''}
  end
end
if ARGV[2] == '1' then redis.call('DEL', KEYS[1]) end
redis.call('HSET', KEYS[1], 'instance', ARGV[1], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {1}
)";

// KEYS[1] the hash; ARGV[1] instance. Deletes it only when it is that instance's.
constexpr const char* kRemoveScript = R"(
if redis.call('HGET', KEYS[1], 'instance') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)";

}  // namespace

Heartbeat::Heartbeat(std::string consumer, std::string instance, std::chrono::seconds ttl)
    : consumer_(std::move(consumer)),
      key_("ci:agent:" + consumer_),
      instance_(std::move(instance)),
      ttl_(ttl) {}

std::string Heartbeat::NewInstanceId() {
  std::random_device random;
  std::uniform_int_distribution<uint64_t> any;
  const uint64_t bits = (any(random) << 1) ^ any(random);
  char hex[17];
  snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(bits));
  return hex;
}

Result<std::optional<Heartbeat::Holder>> Heartbeat::Beat(Redis& redis, const Fields& fields,
                                                         bool take_over) const {
  RedisArgs args = {"EVAL",
                    kBeatScript,
                    "1",
                    key_,
                    instance_,
                    take_over ? "1" : "0",
                    std::to_string(ttl_.count())};
  for (const auto& [k, v] : fields) {
    args.push_back(k);
    args.push_back(v);
  }
  auto r = redis.Command(args);
  if (auto s = CheckReply(r, "heartbeat"); !s) return std::unexpected(s.error());
  if (!r->is_array() || r->elements().empty() || r->element(0).integer() == 1) return std::nullopt;
  if (r->elements().size() < 4) return Holder{};
  return Holder{r->element(1).str(), r->element(2).str(), r->element(3).str()};
}

Status Heartbeat::Refuse(const Holder& holder) const {
  const std::string who =
      holder.instance.empty() ? "an agent of an older version" : "instance " + holder.instance;
  return Fail(ErrorKind::kConfig,
              "consumer name '" + consumer_ + "' is held by another running agent (" + who +
                  ", started " + holder.started_at + ", last seen " + holder.last_seen +
                  "): two agents under one name would run the same job at once. Give this "
                  "agent its own agent.redis.consumer_name (or --consumer-name), or start it "
                  "with `run --take-over` to replace that one");
}

Status Heartbeat::Claim(Redis& redis, const Fields& fields, bool take_over,
                        const std::function<bool()>& stopping) const {
  auto held = Beat(redis, fields, take_over);
  if (!held) return std::unexpected(held.error());
  if (!*held) return {};
  const Holder first = **held;
  // A live holder rewrites its hash well within the TTL; a dead one's hash expires. Watch until
  // one of the two happens (at most the time the hash has left).
  auto ttl = redis.Command({"PTTL", key_});
  const int64_t left_ms = ttl && ttl->integer() > 0 ? ttl->integer() : 0;
  spdlog::info(
      "consumer name '{}' is held by instance {} (last seen {}); waiting up to {} ms to see "
      "whether it is still alive",
      consumer_, first.instance.empty() ? "?" : first.instance, first.last_seen, left_ms);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(left_ms) +
                        std::chrono::milliseconds(500);
  while (std::chrono::steady_clock::now() < deadline && !stopping()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    held = Beat(redis, fields, take_over);
    if (!held) return std::unexpected(held.error());
    if (!*held) return {};  // it expired: its agent is gone
    if ((*held)->instance != first.instance || (*held)->last_seen != first.last_seen) {
      return Refuse(**held);
    }
  }
  if (stopping()) return Fail(ErrorKind::kConfig, "stopped while waiting for the consumer name");
  return Refuse(first);
}

Status Heartbeat::Remove(Redis& redis) const {
  return CheckReply(redis.Command({"EVAL", kRemoveScript, "1", key_, instance_}),
                    "heartbeat removal");
}

}  // namespace raibid
