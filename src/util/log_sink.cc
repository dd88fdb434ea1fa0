#include "util/log_sink.h"

namespace raibid {

std::string_view ToString(LogFd fd) {
  switch (fd) {
    case LogFd::kOut:
      return "out";
    case LogFd::kErr:
      return "err";
    case LogFd::kSys:
      return "sys";
  }
  return "sys";
}

}  // namespace raibid
