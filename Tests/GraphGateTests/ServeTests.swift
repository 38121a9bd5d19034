import AsyncHTTPClient
import Foundation
import Storage
import Testing

@Suite("graphgate serve")
struct ServeTests {
    @Test("healthz names the mode and the store", arguments: TestDatabases.backends)
    func healthz(backend: Storage.Database.Backend) async throws {
        try await TestServer.with(backend: backend) { server in
            let response = try await server.http.fetch(server.url("/healthz"))
            #expect(response.status == 200)
            let json = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: String]
            #expect(json?["mode"] == "sandbox")
            #expect(json?["store"] == backend.rawValue)
        }
    }
}
