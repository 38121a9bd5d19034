import Foundation
import JSONText
import Logging

/// A swift-log handler that writes one JSON object per line: `ts`, `level`, `logger`, `msg`, then every metadata
/// key (dotted, e.g. `gg.request_id`), then `source`. Used when stderr is not a terminal (systemd, Docker, log
/// shippers); `GraphGateLogging` wraps it in the redacting handler, so values are redacted before they get here.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    /// - Parameter write: receives each complete line (with its trailing newline); stderr by default.
    public init(
        label: String, metadataProvider: Logger.MetadataProvider? = nil,
        write: @escaping @Sendable (String) -> Void = JSONLogHandler.writeToStandardError
    ) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let level = event.level
        let message = event.message
        let source = event.source
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error, merged["gg.error"] == nil { merged["gg.error"] = .string("\(type(of: error))") }

        var out = "{\"ts\":\"\(Self.timestamp())\",\"level\":\"\(level.rawValue)\",\"logger\":"
        Self.appendString(label, to: &out)
        out += ",\"msg\":"
        Self.appendString(message.description, to: &out)
        for key in merged.keys.sorted() where !["ts", "level", "logger", "msg", "source"].contains(key) {
            out += ","
            Self.appendString(key, to: &out)
            out += ":"
            Self.appendValue(merged[key]!, to: &out)
        }
        out += ",\"source\":"
        Self.appendString(source, to: &out)
        out += "}\n"
        write(out)
    }

    @Sendable public static func writeToStandardError(_ line: String) {
        let bytes = Array(line.utf8)
        bytes.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    private static func appendValue(_ value: Logger.Metadata.Value, to out: inout String) {
        switch value {
        case .string(let text): appendString(text, to: &out)
        case .stringConvertible(let convertible): appendString(convertible.description, to: &out)
        case .array(let values):
            out += "["
            for (index, element) in values.enumerated() {
                if index > 0 { out += "," }
                appendValue(element, to: &out)
            }
            out += "]"
        case .dictionary(let dictionary):
            out += "{"
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                appendString(key, to: &out)
                out += ":"
                appendValue(dictionary[key]!, to: &out)
            }
            out += "}"
        }
    }

    /// Appends `text` as a JSON string literal; U+2028/U+2029 escaped too, so a line stays one line.
    package static func appendString(_ text: String, to out: inout String) {
        JSONString.append(text, to: &out, escaping: .lineSeparators)
    }

    /// The current UTC time as `2026-12-07T08:15:42.123Z`, formatted by hand (no Foundation formatter per line).
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return timestamp(seconds: now.tv_sec, milliseconds: Int(now.tv_nsec / 1_000_000))
    }

    static func timestamp(seconds: Int, milliseconds: Int) -> String {
        var seconds = seconds
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var at = 0
            func put(_ value: Int, digits: Int) {
                var value = value
                for offset in stride(from: digits - 1, through: 0, by: -1) {
                    buffer[at + offset] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                at += digits
            }
            func put(_ ascii: Unicode.Scalar) {
                buffer[at] = UInt8(ascii: ascii)
                at += 1
            }
            put(Int(parts.tm_year) + 1900, digits: 4)
            put("-")
            put(Int(parts.tm_mon) + 1, digits: 2)
            put("-")
            put(Int(parts.tm_mday), digits: 2)
            put("T")
            put(Int(parts.tm_hour), digits: 2)
            put(":")
            put(Int(parts.tm_min), digits: 2)
            put(":")
            put(Int(parts.tm_sec), digits: 2)
            put(".")
            put(milliseconds, digits: 3)
            put("Z")
            return at
        }
    }
}
