#include "util/log_context.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "util/clock.h"
#include "util/masker.h"

namespace raibid {
namespace {

// The fields of the line being written on this thread (LogWithFields), read by the formatters.
thread_local const std::vector<LogField>* t_fields = nullptr;

std::string TextValue(const LogField& field) {
  if (const auto* n = std::get_if<int64_t>(&field.value)) return std::to_string(*n);
  const std::string& text = std::get<std::string>(field.value);
  if (!text.empty() && text.find_first_of(" \"\t\n") == std::string::npos) return text;
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// One JSON object per line: ts, level, msg, and job_id / step when the thread has them.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    nlohmann::ordered_json line;
    line["ts"] = FormatRfc3339(msg.time);
    line["level"] = std::string(spdlog::level::to_string_view(msg.level).data(),
                                spdlog::level::to_string_view(msg.level).size());
    line["msg"] = std::string(msg.payload.data(), msg.payload.size());
    const LogContext& ctx = CurrentLogContext();
    if (!ctx.job_id.empty()) line["job_id"] = ctx.job_id;
    if (!ctx.step.empty()) line["step"] = ctx.step;
    if (t_fields != nullptr) {
      for (const auto& f : *t_fields) {
        if (const auto* n = std::get_if<int64_t>(&f.value)) {
          line[f.key] = *n;
        } else {
          line[f.key] = std::get<std::string>(f.value);
        }
      }
    }
    const std::string text =
        line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// "%J": "[job step] " when the thread works on a job.
class JobFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const LogContext& ctx = CurrentLogContext();
    if (ctx.job_id.empty()) return;
    std::string text = "[" + ctx.job_id + (ctx.step.empty() ? "" : " " + ctx.step) + "] ";
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JobFlag>();
  }
};

// "%F": the line's fields as " key=value".
class FieldsFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    if (t_fields == nullptr) return;
    std::string text;
    for (const auto& f : *t_fields) text += " " + f.key + "=" + TextValue(f);
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<FieldsFlag>();
  }
};

// Masks the message and the fields' strings, then formats them with the inner formatter.
class MaskingFormatter final : public spdlog::formatter {
 public:
  MaskingFormatter(std::unique_ptr<spdlog::formatter> inner, const Masker& masker)
      : inner_(std::move(inner)), masker_(masker) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string masked = Mask(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(masked.data(), masked.size());
    if (t_fields == nullptr) return inner_->format(copy, dest);
    std::vector<LogField> fields = *t_fields;
    for (auto& f : fields) {
      if (auto* text = std::get_if<std::string>(&f.value)) *text = Mask(*text);
    }
    const std::vector<LogField>* saved = t_fields;
    t_fields = &fields;
    inner_->format(copy, dest);
    t_fields = saved;
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<MaskingFormatter>(inner_->clone(), masker_);
  }

 private:
  std::string Mask(std::string_view text) const {
    std::string masked = masker_.Apply(text);
    if (const auto& job = CurrentLogContext().masker) masked = job->Apply(masked);
    return masked;
  }

  std::unique_ptr<spdlog::formatter> inner_;
  Masker masker_;
};

LogFormat g_format = LogFormat::kText;  // as SetUpLogging decided it

}  // namespace

LogContext& CurrentLogContext() {
  thread_local LogContext context;
  return context;
}

std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format) {
  if (format == LogFormat::kJson) return std::make_unique<JsonFormatter>();
  auto text = std::make_unique<spdlog::pattern_formatter>();
  text->add_flag<JobFlag>('J').add_flag<FieldsFlag>('F').set_pattern(
      "%Y-%m-%dT%H:%M:%S.%e %^%l%$ %J%v%F");
  return text;
}

void SetUpLogging(LogFormat format) {
  auto logger = spdlog::stderr_color_mt("raibid-agent");
  if (format == LogFormat::kAuto)
    format = isatty(STDERR_FILENO) ? LogFormat::kText : LogFormat::kJson;
  logger->set_formatter(MakeLogFormatter(format));
  spdlog::set_default_logger(logger);
  g_format = format;
}

void MaskAgentLog(const Masker& masker) {
  spdlog::default_logger()->set_formatter(
      std::make_unique<MaskingFormatter>(MakeLogFormatter(g_format), masker));
}

void LogWithFields(spdlog::level::level_enum level, std::string_view message,
                   std::vector<LogField> fields) {
  const std::vector<LogField>* saved = t_fields;
  t_fields = &fields;
  spdlog::default_logger_raw()->log(level, "{}", message);
  t_fields = saved;
}

}  // namespace raibid
