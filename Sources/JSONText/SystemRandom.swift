#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Random bytes and identifiers from the system's cryptographically secure generator, one draw per call (one
/// `getrandom` on Linux, through `getentropy`; `arc4random_buf` elsewhere). Foundation's `UUID()` there opens,
/// reads and closes /dev/urandom for every UUID, and the standard library's generator makes one system call per
/// eight bytes (a tool call made seven).
public enum SystemRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// Fills `buffer` with random bytes.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        #if canImport(Glibc) || canImport(Musl)
            // `getentropy`: one `getrandom` of up to 256 bytes (the standard library's generator traps rather than
            // return predictable bytes; so does this).
            var filled = 0
            while filled < buffer.count {
                let chunk = min(256, buffer.count - filled)
                guard getentropy(buffer.baseAddress! + filled, chunk) == 0 else {
                    fatalError("the system's random generator failed")
                }
                filled += chunk
            }
        #else
            if let base = buffer.baseAddress { arc4random_buf(base, buffer.count) }
        #endif
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
