import Foundation
import GraphGateApp
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
        "http upstreams are accepted only for loopback hosts",
        arguments: [
            ("http://127.0.0.1:9999", true), ("http://localhost:1", true), ("http://[::1]:8", true),
            ("https://graph.microsoft.com", true), ("http://graph.microsoft.com", false), ("http://10.0.0.1", false),
            ("ftp://example.com", false),
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
