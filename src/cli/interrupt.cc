#include "cli/interrupt.h"

#include <csignal>

namespace raibid::cli {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;
struct sigaction g_previous = {};

void OnInterrupt(int) { g_interrupted = 1; }

}  // namespace

InterruptWatch::InterruptWatch() {
  g_interrupted = 0;
  struct sigaction action = {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  // Without SA_RESTART; the Redis client retries an interrupted read by itself, and the follow
  // loop polls the flag between its reads of at most half a second.
  action.sa_flags = 0;
  sigaction(SIGINT, &action, &g_previous);
}

InterruptWatch::~InterruptWatch() { sigaction(SIGINT, &g_previous, nullptr); }

bool InterruptWatch::interrupted() const { return g_interrupted != 0; }

}  // namespace raibid::cli
