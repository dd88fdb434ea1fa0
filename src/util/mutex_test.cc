#include "util/mutex.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace raibid {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

struct Counter {
  Mutex mu;
  CondVar changed;
  int n GUARDED_BY(mu) = 0;
};

TEST(Mutex, MutexLockMakesIncrementsFromManyThreadsExact) {
  Counter c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c] {
      for (int i = 0; i < 10000; ++i) {
        MutexLock lock(&c.mu);
        ++c.n;
      }
    });
  }
  for (auto& t : threads) t.join();
  MutexLock lock(&c.mu);
  EXPECT_EQ(c.n, 40000);
}

TEST(Mutex, UnlockLetsAnotherThreadInAndLockTakesItBack) {
  Counter c;
  MutexLock lock(&c.mu);
  std::thread other([&c] {
    MutexLock inner(&c.mu);  // blocks until the test unlocks
    c.n = 7;
  });
  c.n = 1;
  lock.Unlock();
  other.join();
  lock.Lock();
  EXPECT_EQ(c.n, 7);
}

TEST(CondVar, WaitReturnsOnceAnotherThreadMakesThePredicateTrue) {
  Counter c;
  std::thread producer([&c] {
    MutexLock lock(&c.mu);
    c.n = 3;
    c.changed.NotifyAll();
  });
  MutexLock lock(&c.mu);
  c.changed.Wait(&c.mu, [&]() REQUIRES(c.mu) { return c.n == 3; });
  EXPECT_EQ(c.n, 3);
  lock.Unlock();
  producer.join();
}

TEST(CondVar, WaitForReturnsFalseAfterTheTimeoutWhenThePredicateStaysFalse) {
  Counter c;
  MutexLock lock(&c.mu);
  const auto start = steady_clock::now();
  EXPECT_FALSE(
      c.changed.WaitFor(&c.mu, milliseconds(20), [&]() REQUIRES(c.mu) { return c.n > 0; }));
  EXPECT_GE(steady_clock::now() - start, milliseconds(20));
  c.n = 1;  // still held after the wait
}

TEST(CondVar, WaitUntilReturnsTrueAtOnceWhenThePredicateHolds) {
  Counter c;
  MutexLock lock(&c.mu);
  c.n = 1;
  const auto deadline = steady_clock::now() + std::chrono::hours(1);
  EXPECT_TRUE(c.changed.WaitUntil(&c.mu, deadline, [&]() REQUIRES(c.mu) { return c.n == 1; }));
}

TEST(CondVar, WaitForWakesANotifiedWaiterBeforeItsTimeout) {
  Counter c;
  std::thread producer([&c] {
    MutexLock lock(&c.mu);
    c.n = 1;
    c.changed.NotifyOne();
  });
  MutexLock lock(&c.mu);
  EXPECT_TRUE(
      c.changed.WaitFor(&c.mu, std::chrono::hours(1), [&]() REQUIRES(c.mu) { return c.n == 1; }));
  lock.Unlock();
  producer.join();
}

}  // namespace
}  // namespace raibid
