// TLS over a connected TCP socket, with OpenSSL: the transport of rediss:// endpoints.
#pragma once

#include <chrono>
#include <memory>

#include "redis/endpoint.h"
#include "redis/transport.h"
#include "util/error.h"
#include "util/unique_fd.h"

namespace raibid {

// Runs the TLS handshake on `fd` (connected to `endpoint`) as endpoint.tls says: the server's
// certificate verified against the CA file or the system's CAs and its subjectAltName against
// tls.server_name or the host (an IP address matches an IP entry), unless insecure_skip_verify;
// the client certificate presented when one is configured. Every wait is bounded by `timeout`.
//
// A handshake that fails names the reason: "certificate verify failed (unknown CA): unable to
// get local issuer certificate", "(name mismatch)", "(expired)", or OpenSSL's reason (a TLS alert
// from the server, a server not speaking TLS). Unreadable or mismatched CA, certificate or key
// files are kConfig errors; handshake failures are kInfrastructure, retryable only when the
// network failed (a certificate the agent refused stays refused until someone changes it).
//
// Connections share one OpenSSL context per TLS configuration (made again when a file changes)
// and resume the last session the same server gave (TLS 1.3 tickets), so a new connection costs
// an abbreviated handshake, not the server's signature; a server that refuses the session gets a
// full handshake instead.
Result<std::unique_ptr<RedisTransport>> OpenTlsTransport(UniqueFd fd, const RedisEndpoint& endpoint,
                                                         std::chrono::milliseconds timeout);

// TLS connections made by this process that resumed a session (a figure for tests and metrics).
uint64_t TlsResumedHandshakes();

}  // namespace raibid
