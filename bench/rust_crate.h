// The small Rust crate the cargo and docker benchmarks build: serde + serde_json from Debian's
// vendored crates (/usr/share/cargo/registry), offline.
#pragma once

#include <string>

namespace raibid::bench {

inline const char* kCargoToml = R"([package]
name = "bench-app"
version = "0.1.0"
edition = "2021"

[dependencies]
serde_json = "1"
serde = { version = "1", features = ["derive"] }
)";

inline const char* kCargoConfig = R"([source.crates-io]
replace-with = "debian"

[source.debian]
directory = "/usr/share/cargo/registry"

[net]
offline = true
)";

inline std::string MainRs(int n) {
  return "#[derive(serde::Serialize)]\nstruct Build { id: u32, ok: bool }\nfn main() { "
         "println!(\"{}\", "
         "serde_json::to_string(&Build { id: " +
         std::to_string(n) + ", ok: true }).unwrap()); }\n";
}

}  // namespace raibid::bench
