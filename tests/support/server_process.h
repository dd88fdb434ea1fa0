// A real server (redis-server, nginx, fcgiwrap) started by a test as a child process and killed
// with its process group when the object goes.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "util/unique_fd.h"

namespace raibid::testing {

class ServerProcess {
 public:
  // Starts argv[0] (looked up in PATH) with its output appended to `log_path`.
  ServerProcess(std::vector<std::string> argv, const std::string& log_path);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  // False once the process has exited (it is reaped here, so a zombie does not count).
  bool alive();
  // Waits until something accepts TCP connections on 127.0.0.1:port.
  bool WaitForPort(int port, int timeout_ms = 10000);
  void Stop();
  // Sends SIGTERM and waits up to `timeout_ms` for the exit; returns the exit code, or -1 when
  // it had to be killed.
  int Terminate(int timeout_ms = 10000);
  // Waits up to `timeout_ms` for the process to exit by itself; its exit code, or -1 when it had
  // to be killed.
  int WaitExit(int timeout_ms = 10000);

 private:
  pid_t pid_ = -1;
};

// A TCP connection to 127.0.0.1:`port`; an invalid descriptor when nothing accepts it.
UniqueFd ConnectLoopback(int port);
bool PortAcceptsConnections(int port);

}  // namespace raibid::testing
