// The one rule for environment variable names, wherever a name comes from (a job's `env` and
// `secret_env`, a pipeline's `env`, agent.secrets, `${NAME}` in the configuration): POSIX's
// portable names, [A-Za-z_][A-Za-z0-9_]*, ASCII only and independent of the locale.
#pragma once

#include <string_view>

namespace raibid {

// Whether `name` is [A-Za-z_][A-Za-z0-9_]* (so not empty).
bool IsEnvName(std::string_view name);

// What messages say a name must be: "letters, digits and _, not starting with a digit".
inline constexpr std::string_view kEnvNameRule = "letters, digits and _, not starting with a digit";

}  // namespace raibid
