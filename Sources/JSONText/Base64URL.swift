import Foundation

/// Unpadded base64url (RFC 4648 §5), for tokens that travel in URLs, JSON and headers: session ids, sealed cursors
/// and request states, opaque secrets, PKCE, JWT parts. One table walk each way (Foundation's base64 followed by
/// three `replacingOccurrences` passes cost more than the encryption of the cursors it encoded).
///
/// Decoding accepts the url alphabet only: no padding, no whitespace, no `+` or `/`, and no length that encoding
/// cannot produce (one character left over).
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Each byte's 6-bit value, or 0xFF outside the alphabet.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        return table
    }()

    public static func encode(_ data: Data) -> String {
        data.withUnsafeBytes { raw in
            encode(UnsafeBufferPointer(start: raw.bindMemory(to: UInt8.self).baseAddress, count: raw.count))
        }
    }

    public static func encode(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { encode($0) }
    }

    private static func encode(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let length = bytes.count / 3 * 4 + [0, 2, 3][bytes.count % 3]
        return String(unsafeUninitializedCapacity: length) { out in
            var written = 0
            var index = 0
            func put(_ sextet: UInt32) {
                out[written] = alphabet[Int(sextet & 0x3F)]
                written += 1
            }
            while index + 3 <= bytes.count {
                let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                put(group >> 18)
                put(group >> 12)
                put(group >> 6)
                put(group)
                index += 3
            }
            switch bytes.count - index {
            case 1:
                let group = UInt32(bytes[index]) << 16
                put(group >> 18)
                put(group >> 12)
            case 2:
                let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
                put(group >> 18)
                put(group >> 12)
                put(group >> 6)
            default: break
            }
            return written
        }
    }

    /// The bytes `text` encodes, or nil when it is not unpadded base64url.
    public static func decode(_ text: String) -> Data? {
        var text = text
        return text.withUTF8 { chars -> Data? in
            guard chars.count % 4 != 1 else { return nil }
            var out = Data(capacity: chars.count / 4 * 3 + 2)
            var group: UInt32 = 0
            var pending = 0
            for char in chars {
                let value = values[Int(char)]
                guard value != 0xFF else { return nil }
                group = group << 6 | UInt32(value)
                pending += 1
                if pending == 4 {
                    out.append(UInt8(truncatingIfNeeded: group >> 16))
                    out.append(UInt8(truncatingIfNeeded: group >> 8))
                    out.append(UInt8(truncatingIfNeeded: group))
                    group = 0
                    pending = 0
                }
            }
            if pending == 2 {
                out.append(UInt8(truncatingIfNeeded: group >> 4))
            } else if pending == 3 {
                out.append(UInt8(truncatingIfNeeded: group >> 10))
                out.append(UInt8(truncatingIfNeeded: group >> 2))
            }
            return out
        }
    }
}
