#include "util/error.h"

#include <cerrno>
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
    case ErrorKind::kService:
      return "service";
    case ErrorKind::kDisk:
      return "disk";
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

namespace {

// Short of a resource: descriptors, memory, processes, disk. Another attempt may find room.
bool RanOut(int err) {
  switch (err) {
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case ENOBUFS:
    case EAGAIN:
    case ENOSPC:
    case EDQUOT:
      return true;
    default:
      return false;
  }
}

}  // namespace

Error ErrnoError(int err, std::string_view context, ErrorKind kind, bool retryable) {
  const bool machine = err == EIO || RanOut(err);
  return Error{machine ? ErrorKind::kInfrastructure : kind,
               std::string(context) + ": " + ErrnoText(err), retryable || RanOut(err),
               machine || err == EROFS};
}

Error ErrnoError(const std::error_code& ec, std::string_view context, ErrorKind kind,
                 bool retryable) {
  if (ec.category() == std::generic_category() || ec.category() == std::system_category()) {
    return ErrnoError(ec.value(), context, kind, retryable);
  }
  return Error{kind, std::string(context) + ": " + ec.message(), retryable};
}

}  // namespace raibid
