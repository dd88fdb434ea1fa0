// What a job's steps use on the docker executor, from the engine's stats of their container
// (EngineClient::ContainerStats, the container's cgroup as the engine reads it): each step's CPU
// seconds are the container's CPU time at its end less that at its start; its peak memory is the
// largest memory reading between, read every `interval` on a thread of the meter's own while a
// step runs. Approximate where the docs say (docs/docker.md, What a job used): steps running at
// the same time in one container each count the other's CPU, a peak shorter than the interval
// can be missed, and Podman's memory figure includes the page cache.
//
// Thread-safe: steps Begin and End from their own threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "engine/engine_client.h"
#include "util/clock.h"
#include "util/mutex.h"

namespace raibid {

class ContainerMeter {
 public:
  using Connect = std::function<std::unique_ptr<EngineClient>()>;
  ContainerMeter(Connect connect, Millis interval = Millis(1000));
  ~ContainerMeter();
  ContainerMeter(const ContainerMeter&) = delete;
  ContainerMeter& operator=(const ContainerMeter&) = delete;

  // A step starts in `container`: its token for End.
  int Begin(const std::string& container) EXCLUDES(mu_);
  struct Used {
    std::optional<double> cpu_seconds;          // none when the engine gave no reading
    std::optional<uint64_t> peak_memory_bytes;  // none when it gave no memory figure
  };
  // The step of `token` ended: what its container used meanwhile.
  Used End(int token) EXCLUDES(mu_);

 private:
  struct Step {
    std::string container;
    std::optional<uint64_t> cpu_start, cpu_last;
    std::optional<uint64_t> peak;
  };
  // One reading of `container`, on the meter's client.
  std::optional<ContainerUsage> Read(const std::string& container) EXCLUDES(client_mu_);
  void Add(Step& step, const std::optional<ContainerUsage>& usage) REQUIRES(mu_);
  void Sample() EXCLUDES(mu_);
  void Loop() EXCLUDES(mu_);

  const Connect connect_;
  const Millis interval_;
  Mutex client_mu_;
  std::unique_ptr<EngineClient> client_ GUARDED_BY(client_mu_);
  Mutex mu_;
  CondVar wake_;
  bool stop_ GUARDED_BY(mu_) = false;
  int next_ GUARDED_BY(mu_) = 0;
  std::map<int, Step> steps_ GUARDED_BY(mu_);
  std::thread sampler_;
};

}  // namespace raibid
