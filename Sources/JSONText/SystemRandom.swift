/// Random bytes and identifiers from the system's cryptographically secure generator, eight bytes per draw (one
/// `getrandom` each on Linux). Foundation's `UUID()` there opens, reads and closes /dev/urandom for every UUID, and
/// `UInt8.random` costs a draw per byte.
public enum SystemRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(count + 7)
        while out.count < count {
            let draw: UInt64 = generator.next()
            withUnsafeBytes(of: draw) { out.append(contentsOf: $0) }
        }
        out.removeLast(out.count - count)
        return out
    }

    /// `count` random bytes as lowercase hex.
    public static func hex(_ count: Int) -> String { Hex.string(bytes(count)) }

    /// A random (version 4) UUID in lowercase text, e.g. `0f8fad5b-d9cb-469f-a165-70867728950e`.
    public static func uuid() -> String {
        var bytes = bytes(16)
        bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 9562 variant
        let hex = Array(Hex.string(bytes).utf8)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (index, digit) in hex.enumerated() {
            if index == 8 || index == 12 || index == 16 || index == 20 { text.append(UInt8(ascii: "-")) }
            text.append(digit)
        }
        return String(decoding: text, as: UTF8.self)
    }
}
