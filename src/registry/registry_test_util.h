// Shared by the registry tests: client configurations for the local test registry with a tiny
// backoff, and random blobs written to files.
#pragma once

#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "registry/registry_client.h"
#include "support/temp_dir.h"

namespace raibid::testing {

inline RegistryConfig TestConfig(const std::string& url, const std::string& user = "",
                                 const std::string& password = "") {
  return RegistryConfig{.url = url,
                        .username = user,
                        .password = password,
                        .insecure = true,
                        .retry = {.initial = Millis(5), .max_retries = 3, .cap = Millis(20)},
                        .connect_timeout = std::chrono::milliseconds(2000)};
}

inline std::unique_ptr<RegistryClient> MakeClient(RegistryConfig config, RegistryHooks hooks = {}) {
  auto c = RegistryClient::Create(std::move(config), std::move(hooks));
  if (!c) throw std::runtime_error(c.error().message);
  return std::move(*c);
}

inline std::string RandomBytes(size_t n, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// A file of `n` random bytes under `dir`, as a blob.
inline BlobSource RandomBlob(const TempDir& dir, const std::string& name, size_t n,
                             unsigned seed = 1) {
  WriteFile(dir.path() / name, RandomBytes(n, seed));
  auto b = BlobSource::FromFile(dir.path() / name);
  if (!b) throw std::runtime_error(b.error().message);
  return *b;
}

}  // namespace raibid::testing
