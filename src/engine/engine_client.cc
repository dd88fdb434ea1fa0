#include "engine/engine_client.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "http/http_transport.h"
#include "http/http_url.h"
#include "util/secret_encodings.h"

namespace raibid {
namespace {

using nlohmann::json;

// The newest API version this client is written against; older engines get their own.
constexpr std::string_view kClientApi = "1.41";

// "1.41" < "1.9"? Compared as numbers per component.
bool ApiOlder(std::string_view a, std::string_view b) {
  auto parts = [](std::string_view v) {
    // MAJOR.MINOR; a part that is not a number counts as 0.
    int major = 0, minor = 0;
    const char* end = v.data() + v.size();
    const auto m = std::from_chars(v.data(), v.data() + v.size(), major);
    if (m.ec == std::errc() && m.ptr != end && *m.ptr == '.') {
      if (std::from_chars(m.ptr + 1, end, minor).ec != std::errc()) minor = 0;
    }
    return std::pair{major, minor};
  };
  return parts(a) < parts(b);
}

std::string Escape(std::string_view text) { return PercentEncode(text); }

// The engine's words for a refusal: {"message": "..."} in Docker and Podman alike.
std::string EngineMessage(const std::string& body) {
  auto doc = json::parse(body, nullptr, false);
  if (doc.is_object() && doc.contains("message") && doc["message"].is_string()) {
    return doc["message"].get<std::string>();
  }
  return body.substr(0, 200);
}

std::string Text(const json& doc, const char* key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
}

// A field of the engine's JSON of the expected type, else false or 0 (a reply of the wrong shape
// must not throw).
bool Flag(const json& doc, const char* key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_boolean() && it->get<bool>();
}
int Int(const json& doc, const char* key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_number_integer() ? it->get<int>() : 0;
}

std::vector<std::string> Strings(const json& doc) {
  std::vector<std::string> out;
  if (!doc.is_array()) return out;
  for (const auto& v : doc) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

ContainerState ParseState(const json& doc) {
  ContainerState s;
  s.id = Text(doc, "Id");
  s.name = Text(doc, "Name");
  if (auto it = doc.find("Names");
      it != doc.end() && it->is_array() && !it->empty() && (*it)[0].is_string()) {
    s.name = (*it)[0].get<std::string>();
  }
  if (!s.name.empty() && s.name[0] == '/') s.name.erase(0, 1);
  if (auto st = doc.find("State"); st != doc.end()) {
    if (st->is_object()) {
      s.status = Text(*st, "Status");
      s.running = Flag(*st, "Running");
      s.oom_killed = Flag(*st, "OOMKilled");
      s.exit_code = Int(*st, "ExitCode");
    } else if (st->is_string()) {  // the list form: "State": "running"
      s.status = st->get<std::string>();
      s.running = s.status == "running";
    }
  }
  const json* labels = nullptr;
  if (auto it = doc.find("Labels"); it != doc.end()) labels = &*it;
  if (auto cfg = doc.find("Config");
      cfg != doc.end() && cfg->is_object() && cfg->contains("Labels")) {
    labels = &(*cfg)["Labels"];
  }
  if (labels && labels->is_object()) {
    for (const auto& [k, v] : labels->items()) {
      if (v.is_string()) s.labels[k] = v.get<std::string>();
    }
  }
  return s;
}

}  // namespace

Result<EngineEndpoint> ParseEngineHost(std::string_view host) {
  EngineEndpoint ep{.host = std::string(host)};
  if (host.starts_with("unix://")) {
    ep.unix_socket = std::string(host.substr(7));
    if (ep.unix_socket.empty() || ep.unix_socket[0] != '/') {
      return Fail(ErrorKind::kConfig,
                  "docker.host '" + ep.host + "': expected unix:///absolute/path");
    }
    ep.base_url = "http://localhost";
    return ep;
  }
  std::string_view rest;
  if (host.starts_with("tcp://"))
    rest = host.substr(6);
  else if (host.starts_with("http://"))
    rest = host.substr(7);
  else {
    return Fail(ErrorKind::kConfig,
                "docker.host '" + ep.host +
                    "': expected unix:///path, tcp://host:port or http://host:port");
  }
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || rest.find('/') != std::string_view::npos) {
    return Fail(ErrorKind::kConfig, "docker.host '" + ep.host + "': expected a host and port");
  }
  ep.base_url = "http://" + std::string(rest);
  return ep;
}

std::string RegistryAuthHeader(const std::string& username, const std::string& password,
                               const std::string& server) {
  return Base64Encode(
      json{{"username", username}, {"password", password}, {"serveraddress", server}}.dump(),
      Base64Alphabet::kUrlSafe, true);
}

std::string ImageRegistryHost(std::string_view reference) {
  const auto slash = reference.find('/');
  if (slash == std::string_view::npos) return "docker.io";
  const std::string_view first = reference.substr(0, slash);
  if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
      first == "localhost") {
    return std::string(first);
  }
  return "docker.io";
}

struct EngineClient::Reply {
  long status = 0;
  std::string body;
};

EngineClient::EngineClient(EngineEndpoint endpoint, size_t body_limit)
    : endpoint_(std::move(endpoint)),
      http_(std::make_unique<HttpTransport>(HttpOptions{
          .allow_plain_http = true,
          .connect_timeout = std::chrono::milliseconds(5000),
          .stall_seconds = 0,  // an exec's stream may be silent for as long as its step is
          .unix_socket = endpoint_.unix_socket,
          .user_agent = "raibid-agent",
          .body_limit = body_limit})) {}

EngineClient::~EngineClient() = default;

void EngineClient::set_stop(const StopSource* stop) { http_->set_stop(stop); }

Result<EngineClient::Reply> EngineClient::Call(const std::string& method, const std::string& path,
                                               const std::string& body,
                                               std::vector<std::string> headers) {
  if (prefix_.empty() && path != "/version") {
    if (auto s = Negotiate(); !s) return std::unexpected(s.error());
  }
  HttpRequest req{
      .method = method, .url = endpoint_.base_url + prefix_ + path, .headers = std::move(headers)};
  if (method == "POST" || method == "PUT") {
    req.body = HttpBody{.bytes = body};
    if (!body.empty()) req.headers.push_back("Content-Type: application/json");
  }
  auto res = http_->Send(req);
  if (!res) {
    Error e = res.error();
    if (e.kind == ErrorKind::kInfrastructure) {
      e.message = "container engine at " + endpoint_.host + " unreachable: " + e.message;
      e.retryable = true;
    }
    return std::unexpected(e);
  }
  if (res->body_truncated) {
    return std::unexpected(BodyLimitError(
        "container engine at " + endpoint_.host + ": " + method + " " + path, http_->body_limit()));
  }
  return Reply{res->status, std::move(res->body)};
}

// Negotiates the way the docker CLI does: /_ping names the engine's API version in a header,
// and costs a few milliseconds where /version makes Podman ask its runtimes (most of a second).
Status EngineClient::Negotiate() {
  HttpRequest req{.url = endpoint_.base_url + "/_ping"};
  auto res = http_->Send(req);
  if (!res) {
    return Fail(res.error().kind,
                "container engine at " + endpoint_.host + " unreachable: " + res.error().message,
                res.error().kind == ErrorKind::kInfrastructure);
  }
  const std::string api = res->header("api-version");
  if (res->status != 200 || api.empty()) {
    auto v = Version();  // an engine without the header
    if (!v) return std::unexpected(v.error());
    return {};
  }
  set_api_version(ApiOlder(api, kClientApi) ? api : std::string(kClientApi));
  return {};
}

void EngineClient::set_api_version(const std::string& version) { prefix_ = "/v" + version; }

std::string EngineClient::api_version() const { return prefix_.empty() ? "" : prefix_.substr(2); }

Result<EngineVersion> EngineClient::Version() {
  const std::string saved = prefix_;
  prefix_.clear();
  HttpRequest req{.url = endpoint_.base_url + "/version"};
  auto res = http_->Send(req);
  prefix_ = saved;
  if (!res) {
    return Fail(res.error().kind,
                "container engine at " + endpoint_.host + " unreachable: " + res.error().message,
                res.error().kind == ErrorKind::kInfrastructure);
  }
  if (res->status != 200) {
    return Fail(ErrorKind::kInfrastructure,
                "container engine at " + endpoint_.host + ": /version answered " +
                    std::to_string(res->status),
                true);
  }
  auto doc = json::parse(res->body, nullptr, false);
  if (!doc.is_object()) {
    return Fail(ErrorKind::kInfrastructure,
                "container engine at " + endpoint_.host + ": /version is not JSON");
  }
  EngineVersion v{.version = Text(doc, "Version"),
                  .api_version = Text(doc, "ApiVersion"),
                  .os = Text(doc, "Os"),
                  .arch = Text(doc, "Arch")};
  if (auto comps = doc.find("Components");
      comps != doc.end() && comps->is_array() && !comps->empty() && (*comps)[0].is_object()) {
    v.name = Text((*comps)[0], "Name");
  }
  if (v.api_version.empty()) {
    return Fail(ErrorKind::kInfrastructure,
                "container engine at " + endpoint_.host + ": /version names no ApiVersion");
  }
  v.used_api = ApiOlder(v.api_version, kClientApi) ? v.api_version : std::string(kClientApi);
  prefix_ = "/v" + v.used_api;
  return v;
}

Status EngineClient::Ping() {
  auto r = Call("GET", "/_ping");
  if (!r) return std::unexpected(r.error());
  if (r->status != 200) {
    return Fail(
        ErrorKind::kInfrastructure,
        "container engine at " + endpoint_.host + ": ping answered " + std::to_string(r->status),
        true);
  }
  return {};
}

Result<std::optional<ImageInfo>> EngineClient::InspectImage(const std::string& reference) {
  auto r = Call("GET", "/images/" + Escape(reference) + "/json");
  if (!r) return std::unexpected(r.error());
  if (r->status == 404) return std::optional<ImageInfo>{};
  if (r->status != 200) {
    return Fail(ErrorKind::kInfrastructure,
                "inspecting image " + reference + ": " + EngineMessage(r->body));
  }
  auto doc = json::parse(r->body, nullptr, false);
  if (!doc.is_object())
    return Fail(ErrorKind::kInfrastructure, "inspecting image " + reference + ": not JSON");
  ImageInfo info{.id = Text(doc, "Id")};
  if (auto cfg = doc.find("Config"); cfg != doc.end() && cfg->is_object()) {
    info.user = Text(*cfg, "User");
    if (cfg->contains("Env")) info.env = Strings((*cfg)["Env"]);
  }
  return std::optional<ImageInfo>{std::move(info)};
}

Status EngineClient::PullImage(const std::string& reference, const std::string& registry_auth,
                               const std::function<void(const std::string&)>& progress) {
  if (prefix_.empty()) {
    if (auto s = Negotiate(); !s) return s;
  }
  // fromImage takes the whole reference; a tag or digest in it wins over `tag`.
  HttpRequest req{
      .method = "POST",
      .url = endpoint_.base_url + prefix_ + "/images/create?fromImage=" + Escape(reference)};
  req.body = HttpBody{};
  if (!registry_auth.empty()) req.headers.push_back("X-Registry-Auth: " + registry_auth);
  // The answer is a stream of JSON lines; a failed pull is a line with "error", after a 200.
  std::string pending, failure;
  req.sink = [&](std::string_view piece) {
    pending.append(piece);
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      auto doc = json::parse(pending.substr(0, nl), nullptr, false);
      pending.erase(0, nl + 1);
      if (!doc.is_object()) continue;
      if (auto e = Text(doc, "error"); !e.empty()) failure = e;
      if (auto s = Text(doc, "status"); !s.empty() && progress) {
        std::string line = Text(doc, "id");  // "<id>: <status>", or the status alone
        if (!line.empty()) line += ": ";
        line += s;
        progress(line);
      }
    }
    return pending.size() < (1 << 20);
  };
  auto res = http_->Send(req);
  if (!res) {
    return Fail(res.error().kind,
                "pulling " + reference + " from " + endpoint_.host + ": " + res.error().message,
                res.error().kind == ErrorKind::kInfrastructure);
  }
  if (failure.empty() && !pending.empty()) {
    auto doc = json::parse(pending, nullptr, false);
    if (doc.is_object()) failure = Text(doc, "error");
  }
  if (res->status != 200) failure = EngineMessage(res->body);
  if (!failure.empty()) {
    // A registry that cannot be reached may come back; a missing image or refused login not.
    const bool transient = failure.find("connection refused") != std::string::npos ||
                           failure.find("timeout") != std::string::npos ||
                           failure.find("i/o timeout") != std::string::npos;
    return Fail(ErrorKind::kInfrastructure, "pulling image " + reference + ": " + failure,
                transient);
  }
  return {};
}

Result<EngineClient::Pruned> EngineClient::PruneDanglingImages() {
  const json filters = {{"dangling", {"true"}}};
  auto r = Call("POST", "/images/prune?filters=" + Escape(filters.dump()));
  if (!r) return std::unexpected(r.error());
  auto doc = json::parse(r->body, nullptr, false);
  if (r->status != 200 || !doc.is_object()) {
    return Fail(ErrorKind::kInfrastructure, "pruning images: " + EngineMessage(r->body));
  }
  Pruned pruned;
  if (auto it = doc.find("ImagesDeleted"); it != doc.end() && it->is_array()) {
    for (const auto& d : *it) pruned.images += d.is_object() && d.contains("Deleted");
  }
  if (auto it = doc.find("SpaceReclaimed"); it != doc.end() && it->is_number_unsigned()) {
    pruned.bytes = it->get<uint64_t>();
  }
  return pruned;
}

Result<std::string> EngineClient::CreateContainer(const ContainerSpec& spec) {
  json host = {{"NetworkMode", spec.network_mode},
               {"Binds", spec.binds},
               {"CapDrop", spec.cap_drop},
               {"CapAdd", spec.cap_add},
               {"SecurityOpt", spec.security_opt}};
  if (!spec.tmpfs.empty()) host["Tmpfs"] = spec.tmpfs;
  if (spec.memory_bytes > 0) {
    host["Memory"] = spec.memory_bytes;
    host["MemorySwap"] = spec.memory_bytes;  // no swap beyond the limit
  }
  if (spec.nano_cpus > 0) host["NanoCpus"] = spec.nano_cpus;
  if (spec.pids_limit > 0) host["PidsLimit"] = spec.pids_limit;
  if (spec.privileged) host["Privileged"] = true;
  json body = {{"Image", spec.image},   {"Env", spec.env},
               {"Labels", spec.labels}, {"WorkingDir", spec.working_dir},
               {"User", spec.user},     {"HostConfig", host},
               {"AttachStdin", false},  {"AttachStdout", false},
               {"AttachStderr", false}, {"Tty", false},
               {"OpenStdin", false}};
  if (!spec.entrypoint.empty()) body["Entrypoint"] = spec.entrypoint;
  if (!spec.cmd.empty()) body["Cmd"] = spec.cmd;
  if (spec.network_mode == "none") body["NetworkDisabled"] = true;
  std::string path = "/containers/create";
  if (!spec.name.empty()) path += "?name=" + Escape(spec.name);
  auto r = Call("POST", path, body.dump());
  if (!r) return std::unexpected(r.error());
  if (r->status != 201 && r->status != 200) {
    return Fail(ErrorKind::kInfrastructure,
                "creating a container from " + spec.image + ": " + EngineMessage(r->body));
  }
  auto doc = json::parse(r->body, nullptr, false);
  std::string id = doc.is_object() ? Text(doc, "Id") : "";
  if (id.empty())
    return Fail(ErrorKind::kInfrastructure, "creating a container: no Id in the answer");
  return id;
}

Status EngineClient::StartContainer(const std::string& id) {
  auto r = Call("POST", "/containers/" + Escape(id) + "/start");
  if (!r) return std::unexpected(r.error());
  if (r->status != 204 && r->status != 304 && r->status != 200) {
    return Fail(ErrorKind::kInfrastructure, "starting the container: " + EngineMessage(r->body));
  }
  return {};
}

Status EngineClient::KillContainer(const std::string& id) {
  auto r = Call("POST", "/containers/" + Escape(id) + "/kill?signal=KILL");
  if (!r) return std::unexpected(r.error());
  // 409: not running; 404: gone. Either way nothing of it runs.
  if (r->status == 204 || r->status == 200 || r->status == 409 || r->status == 404) return {};
  // Podman answers 500 for a container that is no longer running.
  if (auto state = InspectContainer(id)) {
    const std::optional<ContainerState>& container = *state;
    if (!container || !container->running) return {};
  }
  return Fail(ErrorKind::kInfrastructure, "killing the container: " + EngineMessage(r->body));
}

Status EngineClient::RemoveContainer(const std::string& id) {
  auto r = Call("DELETE", "/containers/" + Escape(id) + "?force=true&v=true");
  if (!r) return std::unexpected(r.error());
  if (r->status != 204 && r->status != 200 && r->status != 404) {
    return Fail(ErrorKind::kInfrastructure, "removing the container: " + EngineMessage(r->body));
  }
  return {};
}

Result<std::optional<ContainerState>> EngineClient::InspectContainer(const std::string& id) {
  auto r = Call("GET", "/containers/" + Escape(id) + "/json");
  if (!r) return std::unexpected(r.error());
  if (r->status == 404) return std::optional<ContainerState>{};
  auto doc = json::parse(r->body, nullptr, false);
  if (r->status != 200 || !doc.is_object()) {
    return Fail(ErrorKind::kInfrastructure, "inspecting the container: " + EngineMessage(r->body));
  }
  return std::optional<ContainerState>{ParseState(doc)};
}

Result<std::vector<ContainerState>> EngineClient::ListContainers(const std::string& key,
                                                                 const std::string& value) {
  const json filters = {{"label", {key + "=" + value}}};
  auto r = Call("GET", "/containers/json?all=true&filters=" + Escape(filters.dump()));
  if (!r) return std::unexpected(r.error());
  auto doc = json::parse(r->body, nullptr, false);
  if (r->status != 200 || !doc.is_array()) {
    return Fail(ErrorKind::kInfrastructure, "listing containers: " + EngineMessage(r->body));
  }
  std::vector<ContainerState> out;
  for (const auto& c : doc) {
    if (!c.is_object()) continue;
    auto s = ParseState(c);
    // Filter again: an engine that ignored the filter must not make us remove others' containers.
    if (auto it = s.labels.find(key); it != s.labels.end() && it->second == value) out.push_back(s);
  }
  return out;
}

Result<std::string> EngineClient::CreateExec(const std::string& container, const ExecSpec& spec) {
  json body = {{"AttachStdin", false}, {"AttachStdout", true}, {"AttachStderr", true},
               {"Tty", false},         {"Cmd", spec.cmd},      {"Env", spec.env}};
  if (!spec.working_dir.empty()) body["WorkingDir"] = spec.working_dir;
  if (!spec.user.empty()) body["User"] = spec.user;
  auto r = Call("POST", "/containers/" + Escape(container) + "/exec", body.dump());
  if (!r) return std::unexpected(r.error());
  auto doc = json::parse(r->body, nullptr, false);
  if ((r->status != 201 && r->status != 200) || !doc.is_object() || Text(doc, "Id").empty()) {
    return Fail(ErrorKind::kInfrastructure,
                "starting a process in the container: " + EngineMessage(r->body));
  }
  return Text(doc, "Id");
}

Status EngineClient::StartExec(const std::string& exec_id, const MuxDecoder::Output& output,
                               const std::function<bool()>& keep_going) {
  return Stream("POST", "/exec/" + Escape(exec_id) + "/start", R"({"Detach":false,"Tty":false})",
                output, keep_going, "exec");
}

Status EngineClient::StreamLogs(const std::string& container, const MuxDecoder::Output& output,
                                const std::function<bool()>& keep_going) {
  return Stream("GET", "/containers/" + Escape(container) + "/logs?follow=1&stdout=1&stderr=1", "",
                output, keep_going, "logs");
}

Status EngineClient::Stream(const std::string& method, const std::string& path,
                            const std::string& body, const MuxDecoder::Output& output,
                            const std::function<bool()>& keep_going, const std::string& what) {
  if (prefix_.empty()) {
    if (auto s = Negotiate(); !s) return s;
  }
  MuxDecoder decoder(output);
  HttpRequest req{.method = method, .url = endpoint_.base_url + prefix_ + path};
  if (method == "POST") {
    req.headers.push_back("Content-Type: application/json");
    req.body = HttpBody{.bytes = body};
  }
  req.sink = [&](std::string_view piece) {
    if (!decoder.Feed(piece)) return false;
    return !keep_going || keep_going();
  };
  req.keep_going = keep_going;
  auto res = http_->Send(req);
  if (!res) {
    if (!decoder.error().empty()) return Fail(ErrorKind::kInfrastructure, decoder.error());
    if (res.error().kind == ErrorKind::kCancelled || (keep_going && !keep_going())) {
      return Fail(ErrorKind::kCancelled, what + " stopped");
    }
    return Fail(
        ErrorKind::kInfrastructure,
        "container engine at " + endpoint_.host + ": " + what + " stream: " + res.error().message,
        true);
  }
  if (res->status != 200 && res->status != 101) {
    return Fail(ErrorKind::kInfrastructure,
                (what == "exec" ? "starting a process in the container: "
                                : "reading the container's output: ") +
                    EngineMessage(res->body));
  }
  if (!decoder.complete()) {
    return Fail(ErrorKind::kInfrastructure, "container engine at " + endpoint_.host + ": the " +
                                                what + " stream ended inside a frame");
  }
  return {};
}

Result<ExecState> EngineClient::InspectExec(const std::string& exec_id) {
  auto r = Call("GET", "/exec/" + Escape(exec_id) + "/json");
  if (!r) return std::unexpected(r.error());
  auto doc = json::parse(r->body, nullptr, false);
  if (r->status != 200 || !doc.is_object()) {
    return Fail(ErrorKind::kInfrastructure,
                "inspecting a process in the container: " + EngineMessage(r->body));
  }
  ExecState s{.running = Flag(doc, "Running")};
  if (!s.running) {
    if (auto it = doc.find("ExitCode"); it != doc.end() && it->is_number_integer())
      s.exit_code = it->get<int>();
  }
  return s;
}

namespace {

std::optional<uint64_t> Unsigned(const json& doc, const json::json_pointer& at) {
  if (!doc.contains(at) || !doc.at(at).is_number()) return std::nullopt;
  const double v = doc.at(at).get<double>();
  return v >= 0 ? std::optional<uint64_t>(static_cast<uint64_t>(v)) : std::nullopt;
}

}  // namespace

Result<ContainerUsage> EngineClient::ContainerStats(const std::string& id) {
  auto r = Call("GET", "/containers/" + Escape(id) + "/stats?stream=false&one-shot=true");
  if (!r) return std::unexpected(r.error());
  auto doc = json::parse(r->body, nullptr, false);
  if (r->status != 200 || !doc.is_object()) {
    return Fail(ErrorKind::kInfrastructure,
                "reading the container's stats: " + EngineMessage(r->body));
  }
  ContainerUsage usage{
      .cpu_ns = Unsigned(doc, "/cpu_stats/cpu_usage/total_usage"_json_pointer).value_or(0),
      .memory_bytes = Unsigned(doc, "/memory_stats/usage"_json_pointer)};
  // Docker's own figure: cgroup v1 names it total_inactive_file, v2 inactive_file.
  for (const auto* at :
       {"/memory_stats/stats/total_inactive_file", "/memory_stats/stats/inactive_file"}) {
    const auto inactive = Unsigned(doc, json::json_pointer(at));
    if (!inactive || !usage.memory_bytes) continue;
    usage.memory_bytes = *usage.memory_bytes - std::min(*usage.memory_bytes, *inactive);
    break;
  }
  return usage;
}

}  // namespace raibid
