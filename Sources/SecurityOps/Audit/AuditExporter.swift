import Foundation
import JSONText
import Storage

/// Writes the audit chain as JSON lines for a SIEM: one object per row, in chain order, with its hash, so the
/// receiver can re-verify the chain on its side.
public struct AuditExporter: Sendable {
    let store: any AuditStore

    public init(store: any AuditStore) { self.store = store }

    /// One exported line (without the newline).
    public static func line(_ row: AuditRow) -> String {
        var out = "{\"seq\":\(row.seq),\"at\":\(row.at),"
        var fields: [(String, String?)] = [
            ("time", iso8601(row.at)), ("type", row.eventType),
            ("outcome", row.outcome), ("user_id", row.userId), ("client_id", row.clientId),
            ("source_ip", row.sourceIP),
        ]
        fields.append(("hash", row.hash))
        for (name, value) in fields {
            out += JSONString.quoted(name) + ":" + (value.map { JSONString.quoted($0) } ?? "null") + ","
        }
        out += "\"details\":" + row.details + "}"
        return out
    }

    /// Streams rows with `seq > after` to `write`, `pageSize` rows at a time. Returns the number written.
    @discardableResult
    public func export(
        after: Int64 = 0, pageSize: Int = 5_000, write: (String) throws -> Void
    )
        async throws -> Int64
    {
        var cursor = after
        var count: Int64 = 0
        while true {
            let page = try await store.rows(after: cursor, limit: pageSize)
            for row in page {
                try write(Self.line(row) + "\n")
                count += 1
            }
            guard let last = page.last, page.count == pageSize else { return count }
            cursor = last.seq
        }
    }

    static func iso8601(_ seconds: Int64) -> String {
        Timestamp.date(seconds).formatted(.iso8601)
    }
}
