# raibid-agent container image: a build stage that compiles the agent from Debian's packages, and
# a slim runtime stage with the binary, the shared libraries it links, and the tools a job needs
# (git, bash, ca-certificates, runc, ssh for ssh:// repositories).
#
# Nothing in it is specific to one CPU architecture: the same file builds linux/amd64 and
# linux/arm64 images, each compiled natively on (or emulated as) its own platform:
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t raibid/agent:0.1.0 .
#
# Without a registry the base images can be given (scripts/image.sh makes one with debootstrap):
#
#   buildah bud --isolation chroot --build-arg BUILD_BASE=localhost/debian:bookworm \
#     --build-arg RUNTIME_BASE=localhost/debian:bookworm -t localhost/raibid-agent .
#
# docs/deploy.md says what was verified and how.

ARG BUILD_BASE=docker.io/library/debian:bookworm
ARG RUNTIME_BASE=docker.io/library/debian:bookworm-slim

# ---- build ------------------------------------------------------------------------------------
FROM ${BUILD_BASE} AS build

# The -dev packages of scripts/install-deps.sh (deploy/test/dockerfile.test.mjs keeps the two
# lists in step). GoogleTest is among them because the top-level CMakeLists.txt requires it to
# configure, though only the agent itself is built here.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config git ca-certificates file \
      libhiredis-dev libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev \
      libcurl4-openssl-dev libgtest-dev libgmock-dev libbenchmark-dev \
      libcpp-httplib-dev prometheus-cpp-dev libssl-dev zlib1g-dev libarchive-dev libzstd-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY src/ src/
COPY tests/ tests/
COPY bench/ bench/
COPY deploy/CMakeLists.txt deploy/
COPY packaging/ packaging/
COPY examples/ examples/

ARG BUILD_JOBS=2
RUN cmake -B /build -S /src -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build --target raibid-agent -j"${BUILD_JOBS}" \
 && install -D -m 0755 /build/raibid-agent /out/usr/local/bin/raibid-agent \
 && install -D -m 0755 /build/raibid-agent-reaper /out/usr/local/bin/raibid-agent-reaper \
 && strip /out/usr/local/bin/raibid-agent /out/usr/local/bin/raibid-agent-reaper

# The runtime stage installs exactly the packages that own the shared libraries the binary loads,
# so this list follows the code when a dependency is added or dropped. libcurl4, libarchive13 and
# libssl3 are opened on first use (dlopen), so ldd does not list them: they are named here.
RUN set -e; \
    { for lib in $(ldd /out/usr/local/bin/raibid-agent | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do \
        owner=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(realpath "$lib")" 2>/dev/null) \
          || { echo "no package owns $lib" >&2; exit 1; }; \
        echo "${owner%%:*}"; \
      done; \
      printf '%s\n' libcurl4 libarchive13 libssl3; \
    } | sort -u > /out/runtime-packages.txt; \
    cat /out/runtime-packages.txt; \
    test -s /out/runtime-packages.txt; \
    dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n' \
      | awk -F '\t' '$1 ~ /-dev$/' > /out/build-packages.txt

# ---- runtime ----------------------------------------------------------------------------------
FROM ${RUNTIME_BASE} AS runtime

COPY --from=build /out/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      bash git ca-certificates runc openssh-client procps \
      $(cat /tmp/runtime-packages.txt) \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt
# Both package lists stay in the image for its SBOM (scripts/image.sh): what the agent loads, and
# the -dev packages it was compiled against.
COPY --from=build /out/runtime-packages.txt /out/build-packages.txt /usr/share/doc/raibid-agent/

# A fixed numeric id, so a pod's securityContext (runAsUser, fsGroup) can name it.
RUN groupadd --system --gid 10001 raibid \
 && useradd --system --uid 10001 --gid raibid --home-dir /var/lib/raibid --shell /bin/bash raibid \
 && install -d -o raibid -g raibid /var/lib/raibid /var/lib/raibid/work /var/cache/raibid \
 && install -d /etc/raibid

COPY --from=build /out/usr/local/bin/raibid-agent /usr/local/bin/raibid-agent
COPY --from=build /out/usr/local/bin/raibid-agent-reaper /usr/local/bin/raibid-agent-reaper
COPY examples/agent.yaml /etc/raibid/agent.yaml

USER 10001:10001
WORKDIR /var/lib/raibid
ENV RAIBID_CONFIG=/etc/raibid/agent.yaml
EXPOSE 9090
VOLUME ["/var/cache/raibid"]
ENTRYPOINT ["raibid-agent", "run"]
