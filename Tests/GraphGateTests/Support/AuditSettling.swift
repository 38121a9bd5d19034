import Storage

/// The server writes audit rows behind the response (`AuditLog` write-behind): a test that reads the audit table
/// right after a request first waits until the chain head has stopped moving (two reads 50 ms apart agree).
enum AuditSettling {
    static func settled(_ database: Database) async throws {
        let store = SQLAuditStore(database: database)
        var last = try await store.head().seq
        for _ in 0..<40 {
            try await Task.sleep(for: .milliseconds(50))
            let now = try await store.head().seq
            if now == last { return }
            last = now
        }
    }
}
