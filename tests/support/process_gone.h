// Whether a process a test started and expects to be ended is no longer running.
#pragma once

#include <sys/types.h>

namespace raibid::testing {

// True when no process has this pid, or it has exited and only waits to be reaped (a zombie).
// A killed orphan is init's child and init reaps it in its own time (in some sandboxes about once
// a second), so a test that checks at once may still see it as a zombie.
bool Gone(pid_t pid);

}  // namespace raibid::testing
