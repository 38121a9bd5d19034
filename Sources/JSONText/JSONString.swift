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

    /// Appends `text` as a quoted literal. Runs of bytes that need no escape are copied in bulk; a byte is
    /// classified by one table look-up (eight at a time by ``PlainWord`` when no extra escape is asked for).
    public static func append(_ text: String, to out: inout [UInt8], escaping extra: Extra = []) {
        out.append(UInt8(ascii: "\""))
        var mask = ByteClass.always
        if extra.contains(.angleBrackets) { mask |= ByteClass.angle }
        if extra.contains(.lineSeparators) { mask |= ByteClass.lineSeparatorLead }
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            var index = 0
            let count = bytes.count
            // Without extra escapes, runs of plain words are skipped eight bytes at a time.
            let wordWise = mask == ByteClass.always
            while index < count {
                if wordWise {
                    index = PlainWord.skip(bytes, from: index)
                    if index == count { break }
                }
                let byte = bytes[index]
                let byteClass = (wordWise ? ByteClass.ofPlain(byte) : classes[Int(byte)]) & mask
                if byteClass == 0 {
                    index += 1
                    continue
                }
                var length = 1
                if byteClass == ByteClass.lineSeparatorLead {
                    // U+2028 / U+2029 are E2 80 A8 / E2 80 A9; any other E2 sequence is copied as it is.
                    guard index + 2 < count, bytes[index + 1] == 0x80,
                        bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9
                    else {
                        index += 1
                        continue
                    }
                    length = 3
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(0x5C); out.append(byte)
                case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
                case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
                case 0xE2: appendUnicodeEscape(bytes[index + 2] == 0xA8 ? 0x2028 : 0x2029, to: &out)
                default: appendUnicodeEscape(UInt16(byte), to: &out)  // other controls, `<`, `>`
                }
                index += length
                start = index
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// What a byte may need: always an escape (controls, `"`, `\`), one with ``Extra/angleBrackets``, or a look at
    /// the next bytes with ``Extra/lineSeparators``.
    private enum ByteClass {
        static let always: UInt8 = 1
        static let angle: UInt8 = 2
        static let lineSeparatorLead: UInt8 = 4

        /// The class of a byte when no extra is asked for, without the table (a lazily made global).
        @inline(__always)
        static func ofPlain(_ byte: UInt8) -> UInt8 {
            byte < 0x20 || byte == 0x22 || byte == 0x5C ? always : 0
        }
    }

    private static let classes: [UInt8] = (0...255).map { byte -> UInt8 in
        switch byte {
        case 0..<0x20, 0x22, 0x5C: ByteClass.always
        case 0x3C, 0x3E: ByteClass.angle
        case 0xE2: ByteClass.lineSeparatorLead
        default: 0
        }
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

    private static func appendUnicodeEscape(_ value: UInt16, to out: inout [UInt8]) {
        out.append(0x5C)
        out.append(UInt8(ascii: "u"))
        out.append(hex[Int(value >> 12)])
        out.append(hex[Int(value >> 8 & 0xF)])
        out.append(hex[Int(value >> 4 & 0xF)])
        out.append(hex[Int(value & 0xF)])
    }
}
