/// Lowercase hexadecimal text of bytes (digests, ids): two digits per byte, written straight into the string's
/// storage (no `String(format:)`, which goes through Foundation's formatter for every byte).
public enum Hex {
    public static func string<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        let digits: StaticString = "0123456789abcdef"
        let count = bytes.underestimatedCount
        var out: [UInt8] = []
        out.reserveCapacity(count * 2)
        digits.withUTF8Buffer { digits in
            for byte in bytes {
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
