import Foundation
import Logging
import Testing

@testable import GraphGateApp
@testable import GraphGateSettings
@testable import Observability

@Suite("Ops: structured logs")
struct OpsLoggingTests {
    @Test("JSON lines are valid JSON, carry metadata, and are redacted")
    func jsonLines() throws {
        let lines = LineCollector()
        let handler = GraphGateLogging.makeHandler(
            label: "graphgate", environment: ["GRAPHGATE_LOG_FORMAT": "json"], write: { lines.append($0) })
        let logger = Logger(label: "graphgate", factory: { _ in handler })
        logger.info(
            "refresh failed for Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789 \"quoted\"\n next",
            metadata: ["gg.user": "u-1", "gg.nested": ["a": "1"]])
        let all = lines.all
        #expect(all.count == 1)
        #expect(all[0].hasSuffix("\n") && !all[0].dropLast().contains("\n"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(all[0].utf8)) as? [String: Any])
        #expect(json["level"] as? String == "info")
        #expect(json["gg.user"] as? String == "u-1")
        #expect((json["gg.nested"] as? [String: String])?["a"] == "1")
        let stamp = try #require(json["ts"] as? String)
        let parsed = try #require(Self.iso8601.date(from: stamp), "\(stamp)")
        #expect(abs(parsed.timeIntervalSinceNow) < 5)
        #expect(!all[0].contains("abcdefghijklmnopqrstuvwxyz0123456789"))
    }

    nonisolated(unsafe) static let iso8601: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()

    @Test("line timestamps are UTC with milliseconds, as Foundation's ISO 8601 formatter writes them")
    func timestamps() {
        for seconds in [0, 951_782_400, 1_709_164_799, 1_765_092_942, 4_102_444_799, Int(Date().timeIntervalSince1970)]
        {
            for milliseconds in [0, 7, 999] {
                let expected = Self.iso8601.string(
                    from: Date(timeIntervalSince1970: Double(seconds) + Double(milliseconds) / 1000 + 0.0001))
                #expect(JSONLogHandler.timestamp(seconds: seconds, milliseconds: milliseconds) == expected)
            }
        }
    }

    @Test("every line logged for a request carries its request id, echoed in X-Request-Id")
    func requestIds() async throws {
        let lines = LineCollector()
        let handler = GraphGateLogging.makeHandler(
            label: "graphgate", environment: ["GRAPHGATE_LOG_FORMAT": "json"], write: { lines.append($0) })
        let logger = Logger(label: "graphgate", factory: { _ in handler })
        try await TestApp.with(logger: logger) { app in
            let chosen = try await app.http.fetch(
                app.url("/healthz"), headers: [("X-Request-Id", "proxy-req-0001")])
            #expect(chosen.headers.first(name: "x-request-id") == "proxy-req-0001")
            let generated = try await app.http.fetch(
                app.url("/healthz"), headers: [("X-Request-Id", "bad id\" with quote")])
            let id = try #require(generated.headers.first(name: "x-request-id"))
            #expect(id != "bad id\" with quote" && id.count == 24)

            let requestLines = lines.all.filter { $0.contains("/healthz") }
            #expect(requestLines.count >= 2)
            for line in requestLines {
                let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(json?["gg.request_id"] as? String != nil)
            }
            #expect(requestLines.contains { $0.contains("\"gg.request_id\":\"proxy-req-0001\"") })
            #expect(requestLines.contains { $0.contains("\"gg.request_id\":\"\(id)\"") })
        }
    }
}
