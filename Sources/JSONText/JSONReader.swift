/// A strict RFC 8259 pull reader over UTF-8 bytes: the caller asks for what it expects next (an object's members,
/// an array's elements, a string, a number) and skips what it does not need, so decoding builds no intermediate
/// tree and no dictionary of keys. The one JSON tokenizer: MCP's ``Value`` parser and the Graph models read
/// through it.
///
/// Refused, with an error saying what and where: invalid UTF-8, a lone surrogate escape, control characters in a
/// string, leading zeros, nesting deeper than ``maxDepth``, a missing or extra `,`, trailing bytes (``finish()``).
/// Repeated object members are the caller's business (a tree builder refuses them; a model keeps the last).
public struct JSONReader: ~Copyable {
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var offset: Int
        public init(reason: String, offset: Int) {
            self.reason = reason
            self.offset = offset
        }
        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// What the next value is, without consuming it.
    public enum Kind: Sendable, Equatable {
        case object, array, string, number, bool, null
    }

    /// A JSON number: an integer when it has no fraction or exponent and fits in `Int`.
    public enum Number: Sendable, Equatable {
        case int(Int)
        case double(Double)
    }

    /// Deeper nesting is refused (a stack-safe bound; no MCP message or Graph answer needs more).
    public static let maxDepth = 64

    /// Runs `body` with a reader over `bytes` (copied only when they are not contiguous).
    public static func read<Bytes: Collection<UInt8>, T>(
        _ bytes: Bytes, _ body: (inout JSONReader) throws(Failure) -> T
    ) throws(Failure) -> T {
        let result: Result<T, Failure>? = bytes.withContiguousStorageIfAvailable { buffer in
            var reader = JSONReader(buffer)
            do throws(Failure) { return .success(try body(&reader)) } catch { return .failure(error) }
        }
        if let result { return try result.get() }
        return try read(Array(bytes), body)
    }

    /// Reads one whole JSON document with `body`: only whitespace may follow the value it read.
    public static func readDocument<Bytes: Collection<UInt8>, T>(
        _ bytes: Bytes, _ body: (inout JSONReader) throws(Failure) -> T
    ) throws(Failure) -> T {
        try read(bytes) { (reader: inout JSONReader) throws(Failure) -> T in
            let value = try body(&reader)
            try reader.finish()
            return value
        }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    /// Where the reader is, in bytes from the start (for error messages).
    public private(set) var offset = 0
    private var depth = 0
    /// True right after `{` or `[`: the next member or element must not be preceded by `,`.
    private var atContainerStart = false

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// An error at the current offset (for a caller's own checks, e.g. a missing required member).
    public func failure(_ reason: String) -> Failure { Failure(reason: reason, offset: offset) }

    private func fail(_ reason: String) -> Failure { failure(reason) }

    // MARK: - Structure

    /// The kind of the next value (whitespace before it is skipped).
    public mutating func peek() throws(Failure) -> Kind {
        skipSpace()
        guard offset < bytes.count else { throw fail("unexpected end of JSON") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw fail("unexpected character")
        }
    }

    /// Consumes `{`; then call ``nextMember()`` until it returns nil.
    public mutating func beginObject() throws(Failure) { try open(UInt8(ascii: "{"), "expected an object") }

    /// Consumes `[`; then call ``nextElement()`` until it returns false.
    public mutating func beginArray() throws(Failure) { try open(UInt8(ascii: "["), "expected an array") }

    /// The next member's name (its value is to be read or skipped next), or nil after the closing `}`.
    public mutating func nextMember() throws(Failure) -> String? { try nextMemberKey()?.string }

    /// The next member's name as it stands in the document, for a `switch` with string-literal cases (compared
    /// byte for byte, no `String` built); nil after the closing `}`. Valid until the reader moves on.
    public mutating func nextMemberKey() throws(Failure) -> JSONKey? {
        guard try advance(closing: UInt8(ascii: "}"), "expected ',' or '}'") else { return nil }
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else {
            throw fail("expected a member name in quotes")
        }
        let start = offset + 1
        // Checked as strictly as `string()`; built only when it has escapes (then never empty).
        let unescaped = try readString(.escapedOnly)
        let key =
            unescaped.isEmpty
            ? JSONKey(raw: UnsafeBufferPointer(rebasing: bytes[start..<(offset - 1)]), unescaped: nil)
            : JSONKey(raw: UnsafeBufferPointer(start: nil, count: 0), unescaped: unescaped)
        skipSpace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { throw fail("expected ':'") }
        offset += 1
        return key
    }

    /// True when another element follows (read or skip it next); false after the closing `]`.
    public mutating func nextElement() throws(Failure) -> Bool {
        try advance(closing: UInt8(ascii: "]"), "expected ',' or ']'")
    }

    /// Checks that nothing but whitespace follows the value read.
    public mutating func finish() throws(Failure) {
        skipSpace()
        guard offset == bytes.count else { throw fail("unexpected data after the JSON value") }
    }

    // MARK: - Values

    /// Reads a string.
    public mutating func string() throws(Failure) -> String { try readString(.always) }

    /// When ``readString(_:)`` builds the string it checked.
    private enum Building {
        /// Every time.
        case always
        /// Only when it has escapes (a member name: the document's bytes serve otherwise); else "".
        case escapedOnly
        /// Never: the string is skipped (its escapes and UTF-8 checked all the same); "".
        case never
    }

    /// Reads a string, checked the same whether it is built or not.
    private mutating func readString(_ building: Building) throws(Failure) -> String {
        skipSpace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw fail("expected a string") }
        offset += 1
        let start = offset
        // Fast path: no escapes (the common case). An all-ASCII string needs no UTF-8 check; any other is checked
        // by `isWellFormedUTF8` (the standard library's `String(validating:)` is generic and, called from here,
        // unspecialised: it cost a third of reading a Graph page in metadata look-ups).
        var high: UInt8 = 0
        skipPlainWords(high: &high)
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<offset])
                offset += 1
                guard high < 0x80 || Self.isWellFormedUTF8(slice) else {
                    throw Failure(reason: "invalid UTF-8 in a string", offset: start)
                }
                return building == .always ? String(decoding: slice, as: UTF8.self) : ""
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw fail("control character in a string") }
            high |= byte
            offset += 1
        }
        if building == .never {
            // Escapes produce whole scalars in place of ASCII, so the document's bytes are well-formed UTF-8
            // exactly when the unescaped text would be.
            var nothing: [UInt8]? = nil
            try unescape(into: &nothing)
            guard Self.isWellFormedUTF8(UnsafeBufferPointer(rebasing: bytes[start..<(offset - 1)])) else {
                throw Failure(reason: "invalid UTF-8 in a string", offset: start)
            }
            return ""
        }
        var out: [UInt8]? = Array(UnsafeBufferPointer(rebasing: bytes[start..<offset]))
        try unescape(into: &out)
        return try out!.withUnsafeBufferPointer { (text) throws(Failure) -> String in
            guard Self.isWellFormedUTF8(text) else { throw Failure(reason: "invalid UTF-8 in a string", offset: start) }
            return String(decoding: text, as: UTF8.self)
        }
    }

    /// Moves `offset` over whole 8-byte words of string content that hold no quote, backslash or control
    /// character (the bulk of a long string), eight bytes per step; `high` collects their high bits for the UTF-8
    /// check. The byte loop after it takes over at the first word that holds one of those (or at the end).
    private mutating func skipPlainWords(high: inout UInt8) {
        guard let base = bytes.baseAddress else { return }
        let tops: UInt64 = 0x8080_8080_8080_8080
        var highBits: UInt64 = 0
        while bytes.count - offset >= 8 {
            let word = UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)
            if !PlainWord.isPlain(word) { break }
            highBits |= word
            offset += 8
        }
        if highBits & tops != 0 { high = 0x80 }
    }

    /// True when `bytes` are well-formed UTF-8 (Unicode's table 3-7: no overlong forms, no surrogates, nothing
    /// above U+10FFFF, no truncated sequence).
    public static func isWellFormedUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            // How many continuation bytes follow, and the range the first of them must be in.
            let count: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: count = 1
            case 0xE0: count = 2; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: count = 2
            case 0xED: count = 2; high = 0x9F
            case 0xF0: count = 3; low = 0x90
            case 0xF1...0xF3: count = 3
            case 0xF4: count = 3; high = 0x8F
            default: return false
            }
            guard bytes.count - index > count, (low...high).contains(bytes[index + 1]) else { return false }
            for next in stride(from: index + 2, through: index + count, by: 1) where bytes[next] & 0xC0 != 0x80 {
                return false
            }
            index += count + 1
        }
        return true
    }

    /// Reads a string, or `null` as nil.
    public mutating func optionalString() throws(Failure) -> String? {
        try consumeNull() ? nil : try string()
    }

    /// Reads `true` or `false`.
    public mutating func bool() throws(Failure) -> Bool {
        skipSpace()
        guard offset < bytes.count else { throw fail("unexpected end of JSON") }
        switch bytes[offset] {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        default: throw fail("expected true or false")
        }
    }

    /// Reads a boolean, or `null` as nil.
    public mutating func optionalBool() throws(Failure) -> Bool? { try consumeNull() ? nil : try bool() }

    /// Reads a number.
    public mutating func number() throws(Failure) -> Number {
        skipSpace()
        let start = offset
        var integral = true
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        guard offset < bytes.count, isDigit(bytes[offset]) else { throw fail("invalid number") }
        if bytes[offset] == UInt8(ascii: "0") {
            offset += 1
            if offset < bytes.count, isDigit(bytes[offset]) { throw fail("leading zero in a number") }
        } else {
            skipDigits()
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            integral = false
            offset += 1
            guard offset < bytes.count, isDigit(bytes[offset]) else { throw fail("invalid number") }
            skipDigits()
        }
        if offset < bytes.count, bytes[offset] | 0x20 == UInt8(ascii: "e") {
            integral = false
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") {
                offset += 1
            }
            guard offset < bytes.count, isDigit(bytes[offset]) else { throw fail("invalid number") }
            skipDigits()
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        if integral, let int = Int(text) { return .int(int) }
        guard let double = Double(text), double.isFinite else {
            throw Failure(reason: "number out of range", offset: start)
        }
        return .double(double)
    }

    /// Reads an array of strings, or `null` as nil.
    public mutating func optionalStrings() throws(Failure) -> [String]? {
        if try consumeNull() { return nil }
        var strings: [String] = []
        try beginArray()
        while try nextElement() { strings.append(try string()) }
        return strings
    }

    /// Reads an integer, or `null` as nil; a fraction or an out-of-range number is refused.
    public mutating func optionalInt() throws(Failure) -> Int? {
        if try consumeNull() { return nil }
        let start = offset
        guard case .int(let value) = try number() else { throw Failure(reason: "expected an integer", offset: start) }
        return value
    }

    /// Consumes `null` if it is next; false (consuming nothing) otherwise.
    public mutating func consumeNull() throws(Failure) -> Bool {
        guard try peek() == .null else { return false }
        try literal("null")
        return true
    }

    /// Skips the next value whole (checked as strictly as if it were read).
    public mutating func skip() throws(Failure) {
        switch try peek() {
        case .object:
            try beginObject()
            while try nextMemberKey() != nil { try skip() }  // the name checked, no `String` made
        case .array:
            try beginArray()
            while try nextElement() { try skip() }
        case .string: _ = try readString(.never)
        case .number: _ = try number()
        case .bool: _ = try bool()
        case .null: try literal("null")
        }
    }

    // MARK: - Tokens

    private mutating func open(_ byte: UInt8, _ reason: String) throws(Failure) {
        skipSpace()
        guard offset < bytes.count, bytes[offset] == byte else { throw fail(reason) }
        depth += 1
        if depth > Self.maxDepth { throw fail("nesting deeper than \(Self.maxDepth) levels") }
        offset += 1
        atContainerStart = true
    }

    /// Past the `,` before the next item: true; past the closing byte: false.
    private mutating func advance(closing: UInt8, _ reason: String) throws(Failure) -> Bool {
        skipSpace()
        guard offset < bytes.count else { throw fail("unexpected end of JSON") }
        let byte = bytes[offset]
        if byte == closing {
            offset += 1
            depth -= 1
            // The enclosing container (if any) has at least this item, so its next one needs a comma.
            atContainerStart = false
            return false
        }
        if atContainerStart {
            atContainerStart = false
        } else {
            guard byte == UInt8(ascii: ",") else { throw fail(reason) }
            offset += 1
        }
        skipSpace()
        return true
    }

    private mutating func skipSpace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    private mutating func skipDigits() {
        while offset < bytes.count, isDigit(bytes[offset]) { offset += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - offset >= count else { throw fail("unexpected end of JSON") }
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: count)
        for index in 0..<count where bytes[offset + index] != expected[index] {
            throw fail("invalid literal")
        }
        offset += count
    }

    /// The rest of a string from the current byte (an escape or later) up to and past its closing quote, checked,
    /// and unescaped into `out` unless it is nil.
    private mutating func unescape(into out: inout [UInt8]?) throws(Failure) {
        while offset < bytes.count {
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                return
            case UInt8(ascii: "\\"):
                offset += 1
                guard offset < bytes.count else { throw fail("unexpected end of JSON") }
                let escape = bytes[offset]
                offset += 1
                switch escape {
                case UInt8(ascii: "\""): out?.append(0x22)
                case UInt8(ascii: "\\"): out?.append(0x5C)
                case UInt8(ascii: "/"): out?.append(0x2F)
                case UInt8(ascii: "b"): out?.append(0x08)
                case UInt8(ascii: "f"): out?.append(0x0C)
                case UInt8(ascii: "n"): out?.append(0x0A)
                case UInt8(ascii: "r"): out?.append(0x0D)
                case UInt8(ascii: "t"): out?.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard bytes.count - offset >= 6, bytes[offset] == UInt8(ascii: "\\"),
                            bytes[offset + 1] == UInt8(ascii: "u")
                        else { throw fail("lone surrogate escape") }
                        offset += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("lone surrogate escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("lone surrogate escape")
                    }
                    out?.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
                default: throw fail("invalid escape")
                }
            default:
                if byte < 0x20 { throw fail("control character in a string") }
                out?.append(byte)
                offset += 1
            }
        }
        throw fail("unterminated string")
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw fail("unexpected end of JSON") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | digit
            offset += 1
        }
        return value
    }
}

/// A member name read by ``JSONReader/nextMemberKey()``: the document's bytes when the name has no escapes (the
/// common case), else the unescaped text. `case "id":` in a `switch` compares it with the literal's bytes.
public struct JSONKey {
    @usableFromInline let raw: UnsafeBufferPointer<UInt8>
    @usableFromInline let unescaped: String?

    init(raw: UnsafeBufferPointer<UInt8>, unescaped: String?) {
        self.raw = raw
        self.unescaped = unescaped
    }

    /// The name as a `String`.
    public var string: String { unescaped ?? String(decoding: raw, as: UTF8.self) }

    /// Inlined into each model's `switch`, where the literal's length is a constant: most cases end at the length
    /// test.
    @inlinable
    public static func ~= (pattern: StaticString, key: JSONKey) -> Bool {
        guard key.unescaped == nil, pattern.hasPointerRepresentation else { return key.string == pattern.description }
        let count = pattern.utf8CodeUnitCount
        guard count == key.raw.count else { return false }
        let literal = pattern.utf8Start
        for index in 0..<count where literal[index] != key.raw[index] { return false }
        return true
    }
}
