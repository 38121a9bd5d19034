import Foundation
import Storage
import Testing
import TokenVault

@Suite("Ops: /readyz")
struct OpsReadinessTests {
    @Test("ready when the database answers and Microsoft's discovery was fetched", arguments: TestDatabases.backends)
    func ready(backend: Storage.Database.Backend) async throws {
        try await TestApp.with(backend: backend) { app in
            let client = app.client
            // Polled like a load balancer does: on a loaded machine one probe may miss its time budget.
            var response = try await client.fetch("/readyz")
            for _ in 0..<5 where response.status != 200 {
                try await Task.sleep(for: .milliseconds(500))
                response = try await client.fetch("/readyz")
            }
            #expect(response.status == 200)
            let json = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
            #expect(json?["status"] as? String == "ready")
            let checks = json?["checks"] as? [String: String]
            #expect(checks?["database"] == "ok")
            #expect(checks?["upstream_discovery"] == "ok")
        }
    }

    @Test("not ready (503) while the identity platform cannot be reached; /healthz stays 200")
    func notReady() async throws {
        let closed = try TestServer.freePort()
        // Production mode needs a keyring file (the sandbox generates one).
        let keyring = FileManager.default.temporaryDirectory.appendingPathComponent("gg-keyring-\(UUID().uuidString)")
        _ = try KeyringFile.create(at: keyring.path)
        defer { try? FileManager.default.removeItem(at: keyring) }
        try await TestApp.with(environment: [
            "GRAPHGATE_MS_CLIENT_ID": "11111111-2222-3333-4444-555555555555", "GRAPHGATE_SANDBOX": "0",
            "GRAPHGATE_MS_TENANT": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "GRAPHGATE_MS_AUTHORITY": "http://127.0.0.1:\(closed)", "GRAPHGATE_KEYRING": keyring.path,
        ]) { app in
            let client = app.client
            // /readyz is polled; on a loaded machine one database probe may miss its 5 s budget, so ask again.
            var response = try await client.fetch("/readyz")
            var checks: [String: String]?
            for _ in 0..<3 {
                checks =
                    (try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])?["checks"]
                    as? [String: String]
                if checks?["database"] == "ok" { break }
                response = try await client.fetch("/readyz")
            }
            #expect(response.status == 503)
            let json = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
            #expect(json?["status"] as? String == "not_ready")
            #expect(checks?["database"] == "ok")
            #expect(checks?["upstream_discovery"] != "ok")
            #expect(try await client.fetch("/healthz").status == 200)
        }
    }
}

@Suite("Ops: home page")
struct OpsHomePageTests {
    @Test("/ shows the MCP URL and a snippet for each client, passes the CSP, and loads nothing external")
    func home() async throws {
        try await TestApp.with { app in
            let (client, config) = (app.client, app.config)
            let response = try await client.fetch("/")
            #expect(response.status == 200)
            #expect(response.headers.first(name: "content-type")?.hasPrefix("text/html") == true)
            let mcp = config.mcpResource
            #expect(response.body.contains("<code id=\"mcp-url\">\(mcp)</code>"))
            for client in ["Claude", "VS Code", "Cursor", "MCP Inspector"] {
                #expect(response.body.contains("<h2>\(client)</h2>"))
            }
            #expect(response.body.contains("claude mcp add --transport http graphgate \(mcp)"))
            #expect(response.body.contains("&quot;url&quot;: &quot;\(mcp)&quot;"))
            #expect(response.body.contains("Sign in with Microsoft"))
            #expect(!response.body.contains("<script"))
            #expect(!response.body.contains(" style=\""))
            #expect(!response.body.contains("http://") || !response.body.contains("src=\"http"))
            #expect(response.headers.first(name: "content-security-policy")?.contains("default-src 'self'") == true)
        }
    }
}
