import Foundation
import Logging
import SecurityOps
import Synchronization
import Testing

@testable import GraphGateApp
@testable import SecurityOps

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

    /// What redaction means with every rule's regex run on every text (the shape scan and the byte-wise secret
    /// search only decide which of them can be skipped).
    static func everyRule(_ text: String, secrets: [String]) -> String {
        var out = text
        for secret in secrets where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: Redactor.mask)
        }
        let rules = Redactor.Rules.shared
        for (regex, template, _) in rules.templated {
            out = regex.stringByReplacingMatches(
                in: out, range: NSRange(out.startIndex..., in: out), withTemplate: template)
        }
        for match in rules.opaque.matches(in: out, range: NSRange(out.startIndex..., in: out)).reversed() {
            guard let range = Range(match.range, in: out), Redactor.Rules.looksRandom(String(out[range])) else {
                continue
            }
            out.replaceSubrange(range, with: Redactor.mask)
        }
        return out
    }

    @Test("the skipped rules are exactly the ones that could not match (random texts against every rule run)")
    func skipsOnlyWhatCannotMatch() {
        var random = SystemRandomNumberGenerator()
        func run(_ length: Int, _ alphabet: String) -> String {
            String((0..<length).map { _ in alphabet.randomElement(using: &random)! })
        }
        let mixed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        let pieces: [() -> String] = [
            { run(Int.random(in: 1...48, using: &random), mixed) },
            { run(Int.random(in: 20...40, using: &random), "0123456789abcdef") },
            { run(Int.random(in: 30...36, using: &random), "ABCDEFGH0123456789-_~+") },
            { "/" }, { "." }, { "=" }, { "==" }, { " " }, { ":" }, { "@" }, { "?" }, { "&" }, { "-" }, { "\"" },
            { "https://" }, { "bearer " }, { "code=" }, { "ü" }, { "\u{2028}" }, { UUID().uuidString },
            { Self.jwt }, { "eyJ" + run(8, mixed) + "." + run(8, mixed) + "." }, { "s3cr3t-config-value" },
            { "a@b.co" }, { "Authorization: x" },
        ]
        let redactor = Redactor.standard.adding(secrets: ["s3cr3t-config-value"])
        var differences: [String] = []
        for _ in 0..<4000 {
            let text = (0..<Int.random(in: 1...8, using: &random)).map { _ in
                pieces.randomElement(using: &random)!()
            }.joined()
            let expected = Self.everyRule(text, secrets: ["s3cr3t-config-value"])
            if redactor.redact(text) != expected { differences.append(text) }
        }
        #expect(differences.count == 0, "first: \(differences.prefix(3))")
        // The case that needs the second look: a JWT inside a path leaves a random-looking run behind.
        let path = "/" + String(repeating: "Ab1", count: 12) + "/" + Self.jwt
        #expect(redactor.redact(path) == Self.everyRule(path, secrets: []))
        #expect(!redactor.redact(path).contains("Ab1Ab1"))
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
