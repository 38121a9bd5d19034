/// The token of an HTTP `Authorization: Bearer <token>` header (RFC 6750 §2.1), read byte by byte: the scheme
/// matched without regard to case, spaces and tabs around the token dropped.
public enum BearerHeader {
    /// The token (empty when only spaces follow the scheme), or nil when `header` is not `Bearer ` and more.
    public static func token(_ header: String) -> String? {
        var header = header
        return header.withUTF8 { bytes -> String? in
            guard hasScheme(bytes) else { return nil }
            var start = 7
            var end = bytes.count
            while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
            while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }
    }

    /// Whether `header` is `Bearer ` and more (the token not read).
    public static func isBearer(_ header: String) -> Bool {
        var header = header
        return header.withUTF8(hasScheme)
    }

    private static func hasScheme(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count > 7, bytes[6] == UInt8(ascii: " ") else { return false }
        // Each byte of the scheme, ASCII-lowercased (only letters: `| 0x20` maps nothing else onto them).
        for (index, letter) in "bearer".utf8.enumerated() where bytes[index] | 0x20 != letter { return false }
        return true
    }
}
