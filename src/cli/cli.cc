#include "cli/cli.h"

namespace raibid::cli {

int Main(int, char**) { return 0; }

}  // namespace raibid::cli
