// Mutex, MutexLock and CondVar: std::mutex and std::condition_variable with clang's thread-safety
// annotations (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html), leveldb's port::Mutex
// way. libstdc++'s std::mutex carries none, so a member declared GUARDED_BY a std::mutex would not
// be checked. Clang builds with -Wthread-safety (the sanitizer presets make every finding an
// error, see docs/hardening.md) then prove at compile time that each GUARDED_BY member is touched
// only with its mutex held and each REQUIRES function is called so. Under GCC the annotations
// expand to nothing.
//
//   class Counter {
//    public:
//     void Add() EXCLUDES(mu_) { MutexLock lock(&mu_); Bump(); }
//    private:
//     void Bump() REQUIRES(mu_) { ++n_; }
//     Mutex mu_;
//     int n_ GUARDED_BY(mu_) = 0;
//   };
//
// A condition variable's predicate is a lambda, which the analysis checks as a function of its
// own: give it the mutex it runs under, `cv_.Wait(&mu_, [&]() REQUIRES(mu_) { return n_ > 0; })`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define RAIBID_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define RAIBID_THREAD_ANNOTATION(x)
#endif

// A type that is a lock (Mutex), and an RAII type that holds one for its scope (MutexLock).
#define CAPABILITY(x) RAIBID_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY RAIBID_THREAD_ANNOTATION(scoped_lockable)
// The member is read and written only with the mutex held; PT_: the data it points to.
#define GUARDED_BY(x) RAIBID_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) RAIBID_THREAD_ANNOTATION(pt_guarded_by(x))
// Lock order: this mutex is taken before (after) the named ones when both are held.
#define ACQUIRED_BEFORE(...) RAIBID_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) RAIBID_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
// The caller holds the mutex (REQUIRES) or must not (EXCLUDES: the function takes it itself).
#define REQUIRES(...) RAIBID_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) RAIBID_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// The function takes (releases) the mutex and returns with it held (released).
#define ACQUIRE(...) RAIBID_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) RAIBID_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) RAIBID_THREAD_ANNOTATION(assert_capability(x))
#define RETURN_CAPABILITY(x) RAIBID_THREAD_ANNOTATION(lock_returned(x))
// Turns the analysis off inside one function; say why where it is used.
#define NO_THREAD_SAFETY_ANALYSIS RAIBID_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace raibid {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  // Tells the analysis the mutex is held where it cannot see it; checks nothing at run time.
  void AssertHeld() const ASSERT_CAPABILITY(this) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds a Mutex from construction to the end of the scope. Unlock and Lock let go of it for a
// stretch of work in between (std::unique_lock's unlock/lock); the destructor releases it only
// when held.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() RELEASE() {
    if (locked_) mu_->Unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() RELEASE() {
    mu_->Unlock();
    locked_ = false;
  }
  void Lock() ACQUIRE() {
    mu_->Lock();
    locked_ = true;
  }

 private:
  Mutex* const mu_;
  bool locked_ = true;
};

// std::condition_variable for a Mutex. Every wait is called with the mutex held and returns with
// it held, released while blocked; the predicate is evaluated with it held, as std's does.
class CondVar {
 public:
  void NotifyOne() { cv_.notify_one(); }
  void NotifyAll() { cv_.notify_all(); }

  // Blocks until `pred()` is true.
  template <class Predicate>
  void Wait(Mutex* mu, Predicate pred) REQUIRES(mu) {
    Borrowed lock(mu);
    cv_.wait(lock.lock, std::move(pred));
  }
  // Blocks until `pred()` is true or `timeout` has passed; returns `pred()`.
  template <class Rep, class Period, class Predicate>
  bool WaitFor(Mutex* mu, std::chrono::duration<Rep, Period> timeout, Predicate pred) REQUIRES(mu) {
    Borrowed lock(mu);
    return cv_.wait_for(lock.lock, timeout, std::move(pred));
  }
  // Blocks until `pred()` is true or `deadline` has come; returns `pred()`.
  template <class Clock, class Duration, class Predicate>
  bool WaitUntil(Mutex* mu, std::chrono::time_point<Clock, Duration> deadline, Predicate pred)
      REQUIRES(mu) {
    Borrowed lock(mu);
    return cv_.wait_until(lock.lock, deadline, std::move(pred));
  }

 private:
  // The caller's hold of `mu` as the std::unique_lock std::condition_variable waits with; gives
  // it back without unlocking, whatever way the wait ends (a throwing predicate too).
  struct Borrowed {
    explicit Borrowed(Mutex* mu) : lock(mu->mu_, std::adopt_lock) {}
    ~Borrowed() { lock.release(); }
    std::unique_lock<std::mutex> lock;
  };

  std::condition_variable cv_;
};

}  // namespace raibid
