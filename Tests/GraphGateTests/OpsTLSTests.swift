import AsyncHTTPClient
import Foundation
import GraphGateApp
import GraphGateSettings
import NIOSSL
import Testing

@Suite("Ops: native TLS")
struct OpsTLSTests {
    @Test("serves HTTPS (HTTP/2 via ALPN, HTTP/1.1 too) with HSTS, and refuses TLS 1.0 and 1.1")
    func tls() async throws {
        let cert = try SelfSignedCertificate.make()
        defer { cert.remove() }
        try await TestServer.with(environment: [
            "GRAPHGATE_TLS_CERT": cert.certificatePath, "GRAPHGATE_TLS_KEY": cert.keyPath,
        ]) { server in
            #expect(server.config.publicURL.scheme == "https")
            let https = server.baseURL.replacingOccurrences(of: "http://", with: "https://")

            let client = try cert.client()
            defer { _ = client.shutdown() }
            let response = try await client.execute(HTTPClientRequest(url: https + "/healthz"), timeout: .seconds(10))
            #expect(response.status == .ok)
            #expect(response.version.major == 2)
            #expect(response.headers.first(name: "strict-transport-security")?.contains("max-age=") == true)

            let http1 = try cert.client(maximum: .tlsv12, http2: false)
            defer { _ = http1.shutdown() }
            let old = try await http1.execute(HTTPClientRequest(url: https + "/healthz"), timeout: .seconds(10))
            #expect(old.status == .ok)
            #expect(old.version.major == 1)

            for version in [TLSVersion.tlsv1, .tlsv11] {
                let legacy = try cert.client(minimum: version, maximum: version, http2: false)
                defer { _ = legacy.shutdown() }
                await #expect(throws: (any Error).self) {
                    _ = try await legacy.execute(HTTPClientRequest(url: https + "/healthz"), timeout: .seconds(10))
                }
            }

            // Plain HTTP on the TLS port gets nothing useful.
            let plain = try? await server.http.fetch(server.baseURL + "/healthz")
            #expect(plain?.status != 200)
        }
    }

    @Test("a TLS setting with only one of certificate and key is refused")
    func halfConfigured() throws {
        let cert = try SelfSignedCertificate.make()
        defer { cert.remove() }
        #expect { try GraphGateConfig.load(environment: ["GRAPHGATE_TLS_CERT": cert.certificatePath]) } throws: {
            ($0 as? ConfigError)?.variable == "GRAPHGATE_TLS_KEY"
        }
        #expect {
            try GraphGateConfig.load(environment: [
                "GRAPHGATE_TLS_CERT": "/nonexistent/cert.pem", "GRAPHGATE_TLS_KEY": cert.keyPath,
            ])
        } throws: {
            ($0 as? ConfigError)?.variable == "GRAPHGATE_TLS_CERT"
        }
    }

    @Test("production refuses a non-loopback public URL without TLS or a trusted proxy")
    func productionNeedsTLS() async throws {
        let base = [
            "GRAPHGATE_MS_CLIENT_ID": "11111111-2222-3333-4444-555555555555",
            "GRAPHGATE_MS_TENANT": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "GRAPHGATE_PUBLIC_URL": "https://graphgate.example.com",
            "GRAPHGATE_DATABASE_URL": "sqlite:/dev/null/graphgate.sqlite",
        ]
        let config = try GraphGateConfig.load(environment: base)
        await #expect {
            try await GraphGateServer.run(config: config, logger: .init(label: "t"), gracefulShutdownSignals: [])
        } throws: {
            ($0 as? ConfigError)?.variable == "GRAPHGATE_TRUSTED_PROXIES"
        }
        // Naming the proxy passes the rule (the run then fails later, on the unusable database path).
        var proxied = base
        proxied["GRAPHGATE_TRUSTED_PROXIES"] = "10.0.0.0/8"
        let proxiedConfig = try GraphGateConfig.load(environment: proxied)
        await #expect {
            try await GraphGateServer.run(config: proxiedConfig, logger: .init(label: "t"), gracefulShutdownSignals: [])
        } throws: {
            !($0 is ConfigError)
        }
    }
}
