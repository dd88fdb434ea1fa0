#include "util/error.h"

#include <cstring>

namespace raibid {

std::string_view ToString(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidJob:
      return "invalid_job";
    case ErrorKind::kInvalidPipeline:
      return "invalid_pipeline";
    case ErrorKind::kSource:
      return "source";
    case ErrorKind::kStepFailed:
      return "step_failed";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kCancelled:
      return "cancelled";
    case ErrorKind::kInfrastructure:
      return "infrastructure";
    case ErrorKind::kDeadLetter:
      return "dead_letter";
    case ErrorKind::kConfig:
      return "config";
  }
  return "infrastructure";
}

std::string ErrnoText(int err) {
  char buf[256];
  // GNU strerror_r returns the message pointer, which may or may not be buf.
  return std::string(strerror_r(err, buf, sizeof buf));
}

}  // namespace raibid
