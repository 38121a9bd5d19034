/// JSON string literals (RFC 8259), written one way everywhere: `"` and `\` escaped, newline, return and tab as
/// `\n` `\r` `\t`, other control characters as `\u00xx`, everything else as its UTF-8 bytes. The audit chain hashes
/// these bytes, so the rules never change; a sink that needs more asks for it with ``Extra``.
public enum JSONString {
    public struct Extra: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// U+2028 and U+2029 as `\u2028` / `\u2029`: a log line stays one line for JavaScript-based readers.
        public static let lineSeparators = Extra(rawValue: 1)
        /// `<` and `>` as `\u003c` / `\u003e`: JSON that may be embedded in HTML cannot close a tag.
        public static let angleBrackets = Extra(rawValue: 2)
    }

    /// Appends `text` as a quoted literal. Runs of bytes that need no escape are copied in bulk.
    public static func append(_ text: String, to out: inout [UInt8], escaping extra: Extra = []) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                let escape: [UInt8]?
                var length = 1
                switch byte {
                case UInt8(ascii: "\""): escape = [0x5C, byte]
                case UInt8(ascii: "\\"): escape = [0x5C, byte]
                case 0x0A: escape = [0x5C, UInt8(ascii: "n")]
                case 0x0D: escape = [0x5C, UInt8(ascii: "r")]
                case 0x09: escape = [0x5C, UInt8(ascii: "t")]
                case 0..<0x20: escape = unicodeEscape(UInt16(byte))
                case UInt8(ascii: "<") where extra.contains(.angleBrackets): escape = unicodeEscape(0x3C)
                case UInt8(ascii: ">") where extra.contains(.angleBrackets): escape = unicodeEscape(0x3E)
                case 0xE2 where extra.contains(.lineSeparators) && index + 2 < bytes.count
                    && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                    escape = unicodeEscape(bytes[index + 2] == 0xA8 ? 0x2028 : 0x2029)
                    length = 3
                default: escape = nil
                }
                if let escape {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                    out.append(contentsOf: escape)
                    start = index + length
                }
                index += length
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends `text` as a quoted literal to a string.
    public static func append(_ text: String, to out: inout String, escaping extra: Extra = []) {
        out += quoted(text, escaping: extra)
    }

    /// `text` as a quoted literal.
    public static func quoted(_ text: String, escaping extra: Extra = []) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 2)
        append(text, to: &bytes, escaping: extra)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private static func unicodeEscape(_ value: UInt16) -> [UInt8] {
        [
            0x5C, UInt8(ascii: "u"), hex[Int(value >> 12)], hex[Int(value >> 8 & 0xF)], hex[Int(value >> 4 & 0xF)],
            hex[Int(value & 0xF)],
        ]
    }
}
