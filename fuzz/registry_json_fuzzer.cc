// JSON from a registry: an image manifest (ParseManifest) and an error body
// (RegistryErrorDetail). A manifest that parses survives a serialize/parse round trip.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "registry/oci_manifest.h"
#include "registry/registry_session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)raibid::RegistryErrorDetail(text);
  auto m = raibid::ParseManifest(text);
  if (!m) {
    FUZZ_CHECK(!m.error().message.empty(), "error message");
    return 0;
  }
  const std::string again = raibid::SerializeManifest(*m);
  auto back = raibid::ParseManifest(again);
  FUZZ_CHECK(back.has_value(), "a serialized manifest parses");
  FUZZ_CHECK(back->artifact_type == m->artifact_type, "round trip: artifactType");
  FUZZ_CHECK(back->config == m->config, "round trip: config");
  FUZZ_CHECK(back->layers == m->layers, "round trip: layers");
  FUZZ_CHECK(back->annotations == m->annotations, "round trip: annotations");
  return 0;
}
