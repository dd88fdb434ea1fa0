// `${VAR}` references in configuration values, expanded from an injected lookup so that tests and
// callers decide where variables come from.
//
// Rules (docs/configuration.md repeats them for operators):
//   ${NAME}            the variable's value; "" when it is unset.
//   ${NAME:-default}   the value when set and non-empty, else `default`, itself expanded, so
//                      defaults nest: ${A:-${B:-x}}. Braces inside a default must balance.
//   $$                 copied as is (both characters), and the `$` after the first one starts no
//                      reference: "$${HOME}" stays "$${HOME}".
//   anything else      copied as is: a lone `$`, `$NAME` without braces, `${}`, `${1X}`, an
//                      unclosed `${`, other operators such as `${NAME:?x}` or `${NAME-x}`.
// NAME is [A-Za-z_][A-Za-z0-9_]*. Expansion is a single pass: a value that contains `${...}` is
// not expanded again. Defaults nest at most 16 deep; deeper ones are copied as is.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace raibid {

// The value of a variable, or nullopt when it is unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

std::string ExpandEnv(std::string_view text, const EnvLookup& lookup);

// Looks variables up in this process's environment (getenv: not safe against a concurrent setenv).
EnvLookup ProcessEnvLookup();
// A lookup over a fixed set of variables (tests, or a job's own environment).
EnvLookup MapEnvLookup(std::map<std::string, std::string> vars);

}  // namespace raibid
