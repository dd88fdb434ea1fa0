// The user and group a child runs as (agent.shell.user), resolved from what an operator writes.
#pragma once

#include <sys/types.h>

#include <string_view>

#include "util/error.h"

namespace raibid {

struct UserIds {
  uid_t uid = 0;
  gid_t gid = 0;
  bool operator==(const UserIds&) const = default;
};

// "UID:GID" (two numbers, used as they are, known to the user database or not), or a user name
// or number found in the user database (its primary group). Fails (kConfig, the message quoting
// `spec`) for anything else.
Result<UserIds> ResolveUser(std::string_view spec);

}  // namespace raibid
