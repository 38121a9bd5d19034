import Foundation
import Logging
import SecurityOps
import Synchronization
import Testing

@testable import GraphGateApp

@Suite("Redaction")
struct RedactionTests {
    static let secret = "Qm9vZ2llV29vZ2llMTIzNDU2Nzg5QUJDREVGR0hJSktMTU5PUA"
    static let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhYmMiLCJ0aWQiOiJ4In0.c2lnbmF0dXJlLXZhbHVl"

    @Test(
        "every kind of secret and address is removed from free text",
        arguments: [
            "Authorization: Bearer \(secret)",
            "bearer \(jwt)",
            "Cookie: __Host-gg_session=\(secret); other=1",
            "POST /token failed: grant_type=refresh_token&refresh_token=\(secret)&client_id=abc",
            #"{"access_token":"\#(secret)","token_type":"Bearer"}"#,
            "TokenRequest(code: \"\(secret)\", verifier: \"\(secret)\")",
            "redirect to https://login.example.com/tenant/oauth2/v2.0/authorize?code=\(secret)&state=abc",
            "code_verifier=\(secret)",
            "client_secret=\(secret)",
            "opaque \(secret) token",
            "id_token \(jwt)",
            "postgres://gg:\(secret)@db.internal:5432/gg",
        ])
    func removesSecrets(text: String) {
        let out = Redactor.standard.redact(text)
        #expect(!out.contains(Self.secret), "\(out)")
        #expect(!out.contains(Self.jwt))
    }

    @Test("email addresses are removed, harmless text is kept")
    func keepsHarmless() {
        #expect(
            Redactor.standard.redact("no account for adele.vance@contoso.onmicrosoft.com") == "no account for [email]")
        let plain =
            "GET /mcp 200 in 12 ms; user 3f2a1c9e-8d7b-4c6a-9e5f-1a2b3c4d5e6f; hash 9f86d081884c7d659a2feaa0c55ad015"
        #expect(Redactor.standard.redact(plain) == plain)
        #expect(
            Redactor.standard.redact(detail: "AAMkAGI2TG93AAAuYQmRQ2ZBRTq1Rpk4xQAAAA=", key: "message_id").contains(
                "AAMk"))
        #expect(Redactor.standard.redact(detail: "abc", key: "refresh_token") == Redactor.mask)
        #expect(
            Redactor.standard.adding(secrets: ["s3cr3t-config-value"]).redact("x s3cr3t-config-value y")
                == "x \(Redactor.mask) y")
    }

    /// Collects what a wrapped handler was asked to print.
    final class Capture: @unchecked Sendable {
        let lines = Mutex<[String]>([])
    }

    struct CaptureHandler: LogHandler {
        let capture: Capture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            capture.lines.withLock { $0.append("\(event.message) \(event.metadata ?? [:]) \(self.metadata)") }
        }
    }

    @Test("the logging wrapper redacts messages, call metadata and handler metadata")
    func logHandler() {
        let capture = Capture()
        var logger = Logger(label: "t") { _ in RedactingLogHandler(wrapping: CaptureHandler(capture: capture)) }
        logger[metadataKey: "gg.cookie"] = "Cookie: session=\(Self.secret)"
        logger.error("refresh failed for refresh_token=\(Self.secret)", metadata: ["gg.body": "\(Self.jwt)"])
        let lines = capture.lines.withLock { $0 }
        #expect(lines.count == 1)
        #expect(!lines.joined().contains(Self.secret))
        #expect(!lines.joined().contains(Self.jwt))
        #expect(lines.joined().contains(Redactor.mask))
    }
}
