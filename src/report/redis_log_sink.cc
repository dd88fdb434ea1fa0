#include "report/redis_log_sink.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

#include "redis/fault.h"

namespace raibid {
namespace {

constexpr size_t kEntryBytes = 64 << 10;        // largest `data` of one stream entry
constexpr size_t kEagerFlushBytes = 256 << 10;  // wake the flusher early past this
constexpr size_t kMaxPendingBytes = 8 << 20;    // writers wait past this
constexpr auto kFlushInterval = std::chrono::milliseconds(50);

// Cuts `data` into entries of at most kEntryBytes, at a newline where there is one.
std::vector<std::string_view> SplitEntries(std::string_view data) {
  std::vector<std::string_view> parts;
  while (data.size() > kEntryBytes) {
    size_t cut = data.rfind('\n', kEntryBytes - 1);
    cut = (cut == std::string_view::npos) ? kEntryBytes : cut + 1;
    parts.push_back(data.substr(0, cut));
    data.remove_prefix(cut);
  }
  if (!data.empty()) parts.push_back(data);
  return parts;
}

}  // namespace

RedisLogSink::RedisLogSink(std::unique_ptr<Redis> redis, const std::string& job_id,
                           ReportSettings settings, std::shared_ptr<const Masker> masker)
    : redis_(std::move(redis)),
      key_(LogKey(job_id)),
      settings_(std::move(settings)),
      masker_(std::move(masker)),
      budget_(settings_.log_limit_bytes),
      flusher_([this] { FlusherLoop(); }) {}

RedisLogSink::~RedisLogSink() {
  Flush();
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  wake_.NotifyAll();
  flusher_.join();
}

void RedisLogSink::Append(std::string_view step, LogFd fd, std::string_view data) {
  if (!pending_.empty() && pending_.back().fd == fd && pending_.back().step == step &&
      pending_.back().data.size() + data.size() <= kEntryBytes) {
    pending_.back().data.append(data);
  } else {
    pending_.push_back(Chunk{std::string(step), fd, std::string(data)});
  }
  pending_bytes_ += data.size();
}

void RedisLogSink::ReleaseHeld(std::vector<Chunk>& out, const std::string* step) {
  for (auto it = streams_.begin(); it != streams_.end();) {
    if (step != nullptr && it->first.first != *step) {
      ++it;
      continue;
    }
    std::string rest = it->second.Finish();
    if (!rest.empty()) out.push_back(Chunk{it->first.first, it->first.second, std::move(rest)});
    it = streams_.erase(it);
  }
}

void RedisLogSink::Enqueue(const std::vector<Chunk>& chunks) {
  MutexLock lock(&mu_);
  for (const auto& c : chunks) {
    if (!c.data.empty()) Append(c.step, c.fd, c.data);
  }
  if (pending_bytes_ >= kEagerFlushBytes) wake_.NotifyOne();
  sent_.Wait(&mu_, [&]() REQUIRES(mu_) { return pending_bytes_ < kMaxPendingBytes || stopping_; });
}

std::vector<RedisLogSink::Chunk> RedisLogSink::Budgeted(std::vector<Chunk> chunks,
                                                        const std::string* end_step, bool end_all) {
  const uint64_t cut_before = budget_.cut_bytes();
  std::vector<Chunk> out;
  for (auto& c : chunks) {
    if (!c.data.empty()) budget_.Add(std::move(c), out);
  }
  if (end_step != nullptr) budget_.EndStep(*end_step, out);
  if (end_all) budget_.EndAll(out);
  uint64_t kept = 0;
  for (const auto& c : out) kept += c.fd == LogFd::kSys ? 0 : c.data.size();
  MutexLock lock(&mu_);
  accepted_bytes_ += kept;
  dropped_bytes_ += budget_.cut_bytes() - cut_before;
  return out;
}

void RedisLogSink::Write(std::string_view step, LogFd fd, std::string_view data) {
  MutexLock order(&write_mu_);
  std::vector<Chunk> out;
  const std::string name(step);
  if (fd == LogFd::kSys) {
    // The output before a sys line stays before it: the step's own held bytes are released. A
    // line of no step releases every step's, unless steps run at the same time: a step's held
    // bytes may begin a secret, and are released only by that step.
    bool one_step = true;
    for (const auto& [key, stream] : streams_)
      one_step = one_step && key.first == streams_.begin()->first.first;
    if (!name.empty() || one_step) ReleaseHeld(out, name.empty() ? nullptr : &name);
    out.push_back(Chunk{name, fd, masker_->Apply(data)});
  } else {
    auto it = streams_.try_emplace({name, fd}, *masker_).first;
    out.push_back(Chunk{name, fd, it->second.Feed(data)});
  }
  Enqueue(Budgeted(std::move(out), nullptr, false));
}

void RedisLogSink::WriteAside(std::string_view step, std::string_view line) {
  MutexLock order(&write_mu_);
  std::vector<Chunk> out;
  out.push_back(Chunk{std::string(step), LogFd::kSys, masker_->Apply(line)});
  Enqueue(Budgeted(std::move(out), nullptr, false));
}

void RedisLogSink::Flush() {
  {
    MutexLock order(&write_mu_);
    std::vector<Chunk> held;
    ReleaseHeld(held, nullptr);
    held = Budgeted(std::move(held), nullptr, true);
    if (!held.empty()) Enqueue(held);
  }
  WaitSent();
}

void RedisLogSink::FlushStep(std::string_view step) {
  {
    MutexLock order(&write_mu_);
    const std::string name(step);
    std::vector<Chunk> held;
    ReleaseHeld(held, &name);
    held = Budgeted(std::move(held), &name, false);
    if (!held.empty()) Enqueue(held);
  }
  WaitSent();
}

void RedisLogSink::WaitSent() {
  MutexLock lock(&mu_);
  if (pending_.empty() && !in_flight_) {
    if (losses_.total() == 0) return;
    // Nothing to send, but losses to tell (or already told: the flusher knows).
    const uint64_t request = ++flush_requests_;
    flush_requested_ = true;
    wake_.NotifyOne();
    sent_.Wait(&mu_, [&]() REQUIRES(mu_) { return flushes_done_ >= request || stopping_; });
    return;
  }
  const uint64_t target = enqueued_seq_ + (pending_.empty() ? 0 : 1);
  flush_requested_ = true;
  wake_.NotifyOne();
  sent_.Wait(
      &mu_, [&]() REQUIRES(mu_) { return sent_seq_ >= target && (pending_.empty() || stopping_); });
}

void RedisLogSink::FlusherLoop() {
  MutexLock lock(&mu_);
  while (true) {
    wake_.WaitFor(&mu_, kFlushInterval, [&]() REQUIRES(mu_) {
      return stopping_ || flush_requested_ || pending_bytes_ >= kEagerFlushBytes;
    });
    const bool flush = std::exchange(flush_requested_, false);
    if (pending_.empty()) {
      // A Flush is the other moment to tell of losses (the job's end, after its final status);
      // only then, so a Redis that keeps refusing is not asked every interval.
      if (flush && losses_.unreported()) {
        lock.Unlock();
        ReportLosses();
        lock.Lock();
      }
      flushes_done_ = flush_requests_;
      sent_.NotifyAll();
      if (stopping_) return;
      continue;
    }
    std::vector<Chunk> batch;
    batch.swap(pending_);
    pending_bytes_ = 0;
    in_flight_ = true;
    ++enqueued_seq_;
    lock.Unlock();
    Send(batch);
    batch = {};  // freed before mu_ is taken again
    lock.Lock();
    in_flight_ = false;
    sent_seq_ = enqueued_seq_;
    if (flush) flushes_done_ = flush_requests_;
    sent_.NotifyAll();
  }
}

void RedisLogSink::Send(const std::vector<Chunk>& batch) {
  std::vector<RedisArgs> commands;
  std::vector<std::pair<const std::string*, size_t>> sizes;  // each XADD's step and data bytes
  for (const auto& chunk : batch) {
    for (std::string_view part : SplitEntries(chunk.data)) {
      commands.push_back({"XADD", key_, "*", "step", chunk.step, "fd",
                          std::string(ToString(chunk.fd)), "data", std::string(part)});
      sizes.emplace_back(&chunk.step, part.size());
    }
  }
  if (!expiry_set_) {
    commands.push_back({"EXPIRE", key_, std::to_string(settings_.retention.count())});
  }
  // In order, exactly once per batch unless Redis fails mid-batch (then resent whole).
  auto replies = redis_->PipelineRetrying(commands, settings_.redis_retry);
  std::optional<Error> error;
  bool stored = false;
  if (!replies) {
    error = replies.error();
    for (const auto& [step, bytes] : sizes) losses_.Record(*step, bytes, error->message);
  } else {
    for (size_t i = 0; i < replies->size(); ++i) {
      const RedisValue& r = (*replies)[i];
      if (!r.is_error()) {
        stored = stored || i < sizes.size();
        expiry_set_ = expiry_set_ || i == sizes.size();
        continue;
      }
      const std::string why = DescribeRedisFault(ClassifyRedisError(r.str()), key_);
      error = Error{ErrorKind::kInfrastructure, why, true};
      if (i < sizes.size()) losses_.Record(*sizes[i].first, sizes[i].second, why);
    }
  }
  if (stored && losses_.unreported()) ReportLosses();
  if (error) {
    MutexLock guard(&mu_);
    last_error_ = error;
  }
}

bool RedisLogSink::ReportLosses() {
  const std::string line = losses_.ReportLine();
  auto r = redis_->Command({"XADD", key_, "*", "step", "", "fd", "sys", "data", line});
  if (!r || r->is_error()) return false;
  spdlog::warn("job log {}: {}", key_, line.substr(0, line.size() - 1));
  losses_.MarkReported();
  return true;
}

uint64_t RedisLogSink::stored_bytes() const {
  MutexLock lock(&mu_);
  return accepted_bytes_;
}

uint64_t RedisLogSink::dropped_bytes() const {
  MutexLock lock(&mu_);
  return dropped_bytes_;
}

std::optional<Error> RedisLogSink::last_error() const {
  MutexLock lock(&mu_);
  return last_error_;
}

}  // namespace raibid
