#include "util/error.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <future>
#include <system_error>

namespace raibid {
namespace {

TEST(ErrnoError, TheMessageIsTheContextThenTheSystemsWords) {
  EXPECT_EQ(ErrnoError(ENOENT, "cannot open /x").message,
            "cannot open /x: No such file or directory");
}

TEST(ErrnoError, AnOrdinaryErrnoKeepsTheCallersKindAndRetryFlag) {
  for (int err : {ENOENT, EACCES, EPERM, ENOTDIR, EEXIST}) {
    const Error config = ErrnoError(err, "settings.yaml: cannot read", ErrorKind::kConfig);
    EXPECT_EQ(config.kind, ErrorKind::kConfig) << err;
    EXPECT_FALSE(config.retryable) << err;
    EXPECT_TRUE(ErrnoError(err, "flock", ErrorKind::kInfrastructure, true).retryable) << err;
  }
}

TEST(ErrnoError, RunningOutOfAResourceIsInfrastructureAndRetryable) {
  for (int err : {EMFILE, ENFILE, ENOMEM, ENOBUFS, EAGAIN, ENOSPC, EDQUOT}) {
    const Error e = ErrnoError(err, "settings.yaml: cannot read", ErrorKind::kConfig);
    EXPECT_EQ(e.kind, ErrorKind::kInfrastructure) << err;
    EXPECT_TRUE(e.retryable) << err;
  }
}

TEST(ErrnoError, AFullDiskOrAReadOnlyFileSystemIsTheAgentsOwnFault) {
  for (int err : {ENOSPC, EDQUOT, EROFS, EIO, EMFILE}) {
    EXPECT_TRUE(ErrnoError(err, "cannot write", ErrorKind::kSource).local) << err;
  }
  for (int err : {ENOENT, EACCES, ENOTDIR}) {
    EXPECT_FALSE(ErrnoError(err, "cannot read", ErrorKind::kSource).local) << err;
  }
}

TEST(ErrnoError, AnIoErrorIsInfrastructureButRetryableOnlyIfTheCallerSaysSo) {
  const Error e = ErrnoError(EIO, "cannot read /x", ErrorKind::kConfig);
  EXPECT_EQ(e.kind, ErrorKind::kInfrastructure);
  EXPECT_FALSE(e.retryable);
}

TEST(ErrnoError, AnErrorCodeOfTheSystemIsItsErrno) {
  const Error e = ErrnoError(std::error_code(ENOSPC, std::system_category()), "cannot copy");
  EXPECT_EQ(e.message, "cannot copy: No space left on device");
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(ErrnoError(std::make_error_code(std::errc::permission_denied), "x").message,
            "x: Permission denied");
}

TEST(ErrnoError, AnErrorCodeOfAnotherCategoryKeepsTheCallersClassification) {
  // future_errc::no_state is 4, which as an errno (EINTR) would read differently.
  const auto ec = std::make_error_code(std::future_errc::no_state);
  const Error e = ErrnoError(ec, "x", ErrorKind::kSource, false);
  EXPECT_EQ(e.kind, ErrorKind::kSource);
  EXPECT_EQ(e.message, "x: " + ec.message());
}

}  // namespace
}  // namespace raibid
