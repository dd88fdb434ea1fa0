// `WWW-Authenticate` challenges (RFC 7235) as registries send them: `Basic realm="..."` or
// `Bearer realm="https://auth/token",service="registry",scope="repository:a/b:pull"`. One header
// may hold several challenges; parameters may be quoted strings (with backslash escapes) or tokens.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raibid {

struct AuthChallenge {
  std::string scheme;                         // lower-cased: "basic", "bearer", ...
  std::map<std::string, std::string> params;  // names lower-cased, values unquoted

  std::string param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
};

// Every challenge in `header`, in order. Malformed trailing input is ignored, not guessed at.
std::vector<AuthChallenge> ParseAuthChallenges(std::string_view header);

// The challenge the client answers: Bearer when offered (it is what the registry prefers),
// else Basic; nullopt when neither is offered.
std::optional<AuthChallenge> PickChallenge(const std::vector<std::string>& headers);

}  // namespace raibid
