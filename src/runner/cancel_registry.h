// Which running job has which StopSource, so a cancel request (a `ci:cancel` message) reaches
// the job it names. Thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "util/mutex.h"
#include "util/stop_token.h"

namespace raibid {

class CancelRegistry {
 public:
  void Register(const std::string& job_id, StopSource* stop);
  void Unregister(const std::string& job_id, StopSource* stop);
  // Stops the named job if it runs here; false when it does not.
  bool Cancel(const std::string& job_id);
  // The ids of the jobs registered now.
  std::vector<std::string> Running();

 private:
  Mutex mu_;
  std::multimap<std::string, StopSource*> running_ GUARDED_BY(mu_);
};

// Registers for the lifetime of the object.
class CancelRegistration {
 public:
  CancelRegistration(CancelRegistry* registry, std::string job_id, StopSource* stop)
      : registry_(registry), job_id_(std::move(job_id)), stop_(stop) {
    if (registry_) registry_->Register(job_id_, stop_);
  }
  ~CancelRegistration() {
    if (registry_) registry_->Unregister(job_id_, stop_);
  }
  CancelRegistration(const CancelRegistration&) = delete;
  CancelRegistration& operator=(const CancelRegistration&) = delete;

 private:
  CancelRegistry* registry_;
  std::string job_id_;
  StopSource* stop_;
};

}  // namespace raibid
