#include "process/user_ids.h"

#include <pwd.h>

#include <charconv>
#include <optional>
#include <string>
#include <vector>

namespace raibid {
namespace {

template <typename Id>
std::optional<Id> ParseId(std::string_view text) {
  Id id{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

// The user database's entry for a name, or for a number when `spec` is one.
std::optional<UserIds> LookUp(const std::string& spec) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buf(16 << 10);
  if (auto uid = ParseId<uid_t>(spec)) {
    getpwuid_r(*uid, &entry, buf.data(), buf.size(), &found);
  } else {
    getpwnam_r(spec.c_str(), &entry, buf.data(), buf.size(), &found);
  }
  if (found == nullptr) return std::nullopt;
  return UserIds{.uid = found->pw_uid, .gid = found->pw_gid};
}

}  // namespace

Result<UserIds> ResolveUser(std::string_view spec) {
  const size_t colon = spec.find(':');
  if (colon != std::string_view::npos) {
    auto uid = ParseId<uid_t>(spec.substr(0, colon));
    auto gid = ParseId<gid_t>(spec.substr(colon + 1));
    if (uid && gid) return UserIds{.uid = *uid, .gid = *gid};
  } else if (!spec.empty()) {
    if (auto ids = LookUp(std::string(spec))) return *ids;
  }
  return Fail(ErrorKind::kConfig, "'" + std::string(spec) +
                                      "' is neither UID:GID nor a user of this system's user "
                                      "database");
}

}  // namespace raibid
