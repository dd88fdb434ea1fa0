// The standard process_* series (CPU, memory, file descriptors, start time) read from /proc/self
// at scrape time, the way Prometheus's own clients name them.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

namespace raibid {

class ProcessMetrics final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace raibid
