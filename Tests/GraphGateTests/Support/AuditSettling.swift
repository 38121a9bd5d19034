import Storage

/// The server writes audit rows behind the response (`AuditLog` write-behind, ~100 ms; longer on a loaded
/// machine): a test that reads the audit table right after a request waits for what it expects, bounded.
enum AuditSettling {
    /// Waits until the chain head has stopped moving: three reads 50 ms apart agree (at most 5 s).
    static func settled(_ database: Database) async throws {
        let store = SQLAuditStore(database: database)
        var last = try await store.head().seq
        var quiet = 0
        for _ in 0..<100 where quiet < 3 {
            try await Task.sleep(for: .milliseconds(50))
            let now = try await store.head().seq
            quiet = now == last ? quiet + 1 : 0
            last = now
        }
    }

    /// `read()` again every 50 ms until `done` holds for its result (at most `limit`); returns the last result, so
    /// the caller's expectations still say what was missing.
    static func eventually<T: Sendable>(
        within limit: Duration = .seconds(5), _ read: () async throws -> T, until done: (T) -> Bool
    ) async throws -> T {
        var result = try await read()
        for _ in 0..<Int(limit / .milliseconds(50)) where !done(result) {
            try await Task.sleep(for: .milliseconds(50))
            result = try await read()
        }
        return result
    }
}
