#include "util/shared_library.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace raibid {
namespace {

TEST(SharedLibraryTest, AMissingLibraryIsALocalErrorNamingItsPackageAndWhoNeedsIt) {
  auto lib = SharedLibrary::Open("libraibid-none.so.9", "libraibid-none9", "the tests");
  ASSERT_FALSE(lib.has_value());
  EXPECT_TRUE(lib.error().local);
  EXPECT_EQ(lib.error().kind, ErrorKind::kInfrastructure);
  EXPECT_NE(lib.error().message.find("libraibid-none.so.9 cannot be loaded (package "
                                     "libraibid-none9; needed by the tests)"),
            std::string::npos)
      << lib.error().message;
}

TEST(SharedLibraryTest, ResolvesAFunctionThatThenWorks) {
  auto lib = SharedLibrary::Open("libc.so.6", "libc6", "the tests");
  ASSERT_TRUE(lib.has_value()) << lib.error().message;
  pid_t (*get_pid)() = nullptr;
  Error error;
  ASSERT_TRUE(Resolve(*lib, "getpid", get_pid, error)) << error.message;
  EXPECT_EQ(get_pid(), ::getpid());
}

TEST(SharedLibraryTest, AMissingSymbolNamesItAndTheLibrary) {
  auto lib = SharedLibrary::Open("libc.so.6", "libc6", "the tests");
  ASSERT_TRUE(lib.has_value());
  int (*fn)() = nullptr;
  Error error;
  EXPECT_FALSE(Resolve(*lib, "raibid_no_such_function", fn, error));
  EXPECT_EQ(error.message, "libc.so.6 has no raibid_no_such_function (too old a version?)");
}

}  // namespace
}  // namespace raibid
