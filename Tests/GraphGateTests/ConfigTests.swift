import Foundation
import GraphGateSettings
import SecurityOps
import Storage
import Testing

@Suite("Configuration")
struct ConfigTests {
    @Test("defaults: sandbox, SQLite, loopback")
    func defaults() throws {
        let config = try GraphGateConfig.load(environment: [:])
        #expect(config.sandbox)
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 8080)
        #expect(config.publicURL.absoluteString == "http://127.0.0.1:8080")
        #expect(config.mcpResource == "http://127.0.0.1:8080/mcp")
        #expect(config.database == .sqlite(path: "graphgate.sqlite"))
        #expect(config.msTenant == "common")
        #expect(!config.readOnly)
    }

    @Test("a flag wins over the environment, which wins over the default")
    func precedence() throws {
        let env = ["GRAPHGATE_PORT": "9000", "GRAPHGATE_HOST": "127.0.0.2"]
        let config = try GraphGateConfig.load(flags: ["GRAPHGATE_PORT": "9100"], environment: env)
        #expect(config.port == 9100)
        #expect(config.host == "127.0.0.2")
        #expect(config.publicURL.absoluteString == "http://127.0.0.2:9100")
    }

    @Test(
        "malformed values fail naming the variable",
        arguments: [
            ("GRAPHGATE_PORT", "eighty"), ("GRAPHGATE_PORT", "70000"), ("GRAPHGATE_DATABASE_URL", "mysql://x@y/z"),
            ("GRAPHGATE_SANDBOX", "maybe"), ("GRAPHGATE_READ_ONLY", "2"), ("GRAPHGATE_RATE_LIMIT", "-1"),
            ("GRAPHGATE_PUBLIC_URL", "not a url"), ("GRAPHGATE_MS_TENANT", "a/b"), ("GRAPHGATE_PRT", "8080"),
        ])
    func malformed(variable: String, value: String) {
        #expect {
            try GraphGateConfig.load(environment: [variable: value])
        } throws: { error in
            (error as? ConfigError)?.variable == variable
        }
    }

    @Test(
        "settings of one kind say the same about a value they cannot use",
        arguments: [
            ("GRAPHGATE_PORT", "eighty", "expected a port number from 0 to 65535"),
            ("GRAPHGATE_METRICS_PORT", "0", "expected a port number from 1 to 65535"),
            ("GRAPHGATE_RATE_LIMIT", "0", "expected a whole number of calls per minute from 1 to 1000000"),
            ("GRAPHGATE_SEND_CAP", "-1", "expected a whole number of sends per user per hour from 0 to 100000"),
            ("GRAPHGATE_MAX_HEADER_BYTES", "10", "expected a whole number of bytes from 1024 to 1048576"),
            ("GRAPHGATE_GRANT_MAX_DAYS", "0", "expected a whole number of days from 1 to 3650"),
            ("GRAPHGATE_CLIENT_IDLE_DAYS", "x", "expected a whole number of days from 1 to 3650"),
            ("GRAPHGATE_AUDIT_RETENTION_DAYS", "-1", "expected a whole number of days from 0 to 36500"),
            ("GRAPHGATE_IDLE_TIMEOUT", "2h", "expected a duration such as 10s or 2m (at most 1h)"),
            ("GRAPHGATE_CONFIRM_SENDS", "maybe", "expected 1 or 0 (true/false)"),
            ("GRAPHGATE_CLIENT_METADATA_CA", "/nonexistent/ca.pem", "expected a readable PEM file"),
            ("GRAPHGATE_GRAPH_URL", "https://graph.example.com/v1.0", "expected a base URL without a path"),
        ])
    func messages(variable: String, value: String, problem: String) {
        #expect {
            try GraphGateConfig.load(environment: [variable: value])
        } throws: { error in
            (error as? ConfigError)?.description == "\(variable): \(problem)"
        }
    }

    /// The setting is checked when read, by the parser the rate limiter uses later: a value it accepts cannot
    /// stop the server at start.
    @Test(
        "trusted proxies are checked as the address resolver reads them",
        arguments: [
            ("10.0.0.0/8", true), ("127.0.0.1", true), ("::1", true), ("[::1]", true), ("2001:db8::/32", true),
            ("::ffff:10.0.0.1", true), ("10.0.0.256", false), ("1.2.3.4/33", false), ("1:2:3", false),
            ("::ffff:10.0.0.0/104", false), ("fe80::1%eth0", false), ("10.0.0.0/8/8", false),
        ])
    func trustedProxies(value: String, accepted: Bool) {
        let result = try? GraphGateConfig.load(environment: ["GRAPHGATE_TRUSTED_PROXIES": value])
        #expect((result != nil) == accepted)
        #expect(((try? ClientAddressResolver(trustedProxies: [value])) != nil) == accepted)
    }

    @Test(
        "http upstreams are accepted only for loopback hosts",
        arguments: [
            ("http://127.0.0.1:9999", true), ("http://localhost:1", true), ("http://[::1]:8", true),
            ("https://graph.microsoft.com", true), ("http://graph.microsoft.com", false), ("http://10.0.0.1", false),
            ("ftp://example.com", false), ("http://127.0.0.1.evil.example", false), ("http://127.evil.example", false),
        ])
    func upstreamScheme(url: String, accepted: Bool) {
        let result = try? GraphGateConfig.load(environment: ["GRAPHGATE_GRAPH_URL": url])
        #expect((result != nil) == accepted)
    }

    @Test("production mode needs an Entra app id")
    func productionNeedsClient() throws {
        #expect(throws: ConfigError.self) { try GraphGateConfig.load(environment: ["GRAPHGATE_SANDBOX": "0"]) }
        let config = try GraphGateConfig.load(environment: ["GRAPHGATE_MS_CLIENT_ID": "abc"])
        #expect(!config.sandbox)
    }

    @Test("secrets are redacted from the description")
    func redaction() throws {
        let config = try GraphGateConfig.load(environment: [
            "GRAPHGATE_MS_CLIENT_ID": "app", "GRAPHGATE_MS_CLIENT_SECRET": "s3cr3t-value",
            "GRAPHGATE_DATABASE_URL": "postgres://gg:pg-pass-123@db:5432/graphgate",
        ])
        #expect(!config.description.contains("s3cr3t-value"))
        #expect(!config.description.contains("pg-pass-123"))
        #expect(config.description.contains("postgres://gg:***@db:5432/graphgate"))
    }
}
