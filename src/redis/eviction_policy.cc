#include "redis/eviction_policy.h"

namespace raibid {

Result<std::optional<std::string>> ReadEvictionPolicy(Redis& redis) {
  auto r = redis.Command({"CONFIG", "GET", "maxmemory-policy"});
  if (!r) return std::unexpected(r.error());
  // ["maxmemory-policy", value]; an error reply when CONFIG is not permitted.
  if (r->is_error() || r->elements().size() < 2) return std::optional<std::string>{};
  return std::optional<std::string>{r->element(1).str()};
}

bool MayEvict(const std::string& policy) { return policy != "noeviction"; }

}  // namespace raibid
