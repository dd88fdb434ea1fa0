#include "registry/oci_manifest.h"

#include <nlohmann/json.hpp>

namespace raibid {
namespace {

using nlohmann::ordered_json;

ordered_json ToJson(const Descriptor& d) {
  ordered_json j;
  j["mediaType"] = d.media_type;
  j["digest"] = d.digest;
  j["size"] = d.size;
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  return j;
}

// nlohmann converts a float to an integer type with a plain cast, undefined when it does not fit
// (1e300), and a negative integer to uint64_t by wrapping; a registry's number is checked first.
uint64_t Size(const nlohmann::json& j) {
  if (!j.is_number_unsigned()) throw std::runtime_error("size is not a whole number >= 0");
  return j.get<uint64_t>();
}

Descriptor FromJson(const nlohmann::json& j) {
  Descriptor d;
  d.media_type = j.at("mediaType").get<std::string>();
  d.digest = j.at("digest").get<std::string>();
  d.size = Size(j.at("size"));
  if (j.contains("annotations")) {
    d.annotations = j["annotations"].get<std::map<std::string, std::string>>();
  }
  return d;
}

}  // namespace

Descriptor EmptyConfigDescriptor() {
  return Descriptor{.media_type = std::string(kOciEmptyType),
                    .digest = std::string(kEmptyJsonDigest),
                    .size = kEmptyJson.size()};
}

std::string SerializeManifest(const OciManifest& m) {
  ordered_json j;
  j["schemaVersion"] = 2;
  j["mediaType"] = kOciManifestType;
  if (!m.artifact_type.empty()) j["artifactType"] = m.artifact_type;
  j["config"] = ToJson(m.config);
  j["layers"] = ordered_json::array();
  for (const auto& l : m.layers) j["layers"].push_back(ToJson(l));
  if (m.subject) j["subject"] = ToJson(*m.subject);
  if (!m.annotations.empty()) j["annotations"] = m.annotations;
  return j.dump();
}

Result<OciManifest> ParseManifest(std::string_view text) {
  try {
    const auto j = nlohmann::json::parse(text);
    if (j.at("schemaVersion") != 2) throw std::runtime_error("schemaVersion is not 2");
    if (j.contains("mediaType") && j["mediaType"].get<std::string>() != kOciManifestType) {
      throw std::runtime_error("media type " + j["mediaType"].get<std::string>());
    }
    OciManifest m;
    m.artifact_type = j.value("artifactType", std::string());
    m.config = FromJson(j.at("config"));
    for (const auto& l : j.at("layers")) m.layers.push_back(FromJson(l));
    if (j.contains("subject")) m.subject = FromJson(j["subject"]);
    if (j.contains("annotations")) {
      m.annotations = j["annotations"].get<std::map<std::string, std::string>>();
    }
    return m;
  } catch (const std::exception& e) {
    return Fail(ErrorKind::kInfrastructure, std::string("not an OCI image manifest: ") + e.what());
  }
}

}  // namespace raibid
