import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Synchronization

/// A strict reader of the Prometheus text exposition format (0.0.4): every line must be a `# HELP`/`# TYPE`
/// comment or a sample `name{label="value",...} number`; anything else fails the parse.
struct PrometheusText {
    struct Sample: Equatable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    struct ParseError: Error, CustomStringConvertible {
        let line: String
        var description: String { "not Prometheus text: \(line)" }
    }

    let samples: [Sample]
    let types: [String: String]

    init(_ text: String) throws {
        var samples: [Sample] = []
        var types: [String: String] = [:]
        let name = #"[a-zA-Z_:][a-zA-Z0-9_:]*"#
        let sampleRegex = try NSRegularExpression(
            pattern: "^(\(name))(\\{(.*)\\})? (\\S+)( \\d+)?$")
        let labelRegex = try NSRegularExpression(pattern: #"([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?"#)
        for line in text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3])
                else { throw ParseError(line: line) }
                types[String(parts[2])] = String(parts[3])
                continue
            }
            if line.hasPrefix("# HELP ") || line.hasPrefix("#") { continue }
            let range = NSRange(line.startIndex..., in: line)
            guard let match = sampleRegex.firstMatch(in: line, range: range),
                let nameRange = Range(match.range(at: 1), in: line),
                let valueRange = Range(match.range(at: 4), in: line)
            else { throw ParseError(line: line) }
            let valueText = String(line[valueRange])
            guard let value = Double(valueText) ?? (valueText == "+Inf" ? .infinity : nil) else {
                throw ParseError(line: line)
            }
            var labels: [String: String] = [:]
            if let labelsRange = Range(match.range(at: 3), in: line) {
                let labelText = String(line[labelsRange])
                var consumed = 0
                for label in labelRegex.matches(in: labelText, range: NSRange(labelText.startIndex..., in: labelText)) {
                    labels[String(labelText[Range(label.range(at: 1), in: labelText)!])] =
                        String(labelText[Range(label.range(at: 2), in: labelText)!])
                    consumed += label.range.length
                }
                guard consumed == labelText.utf16.count else { throw ParseError(line: line) }
            }
            samples.append(Sample(name: String(line[nameRange]), labels: labels, value: value))
        }
        self.samples = samples
        self.types = types
    }

    /// The sum of the samples named `name` whose labels include `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = samples.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
        return matching.isEmpty ? nil : matching.reduce(0) { $0 + $1.value }
    }
}

/// Throwaway TLS material made with the `openssl` CLI for one test.
struct SelfSignedCertificate {
    let directory: URL
    var certificatePath: String { directory.appendingPathComponent("cert.pem").path }
    var keyPath: String { directory.appendingPathComponent("key.pem").path }

    static func make() throws -> SelfSignedCertificate {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gg-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let made = SelfSignedCertificate(directory: directory)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", made.keyPath, "-out", made.certificatePath, "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ParseFailure("openssl could not make a certificate") }
        return made
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// A client that trusts only this certificate and speaks exactly the given TLS versions.
    func client(
        minimum: TLSVersion = .tlsv12, maximum: TLSVersion? = nil, http2: Bool = true
    ) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificatePath))
        tls.minimumTLSVersion = minimum
        tls.maximumTLSVersion = maximum
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = http2 ? .automatic : .http1Only
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}

struct ParseFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Collects log lines written by a handler under test.
final class LineCollector: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }
}
