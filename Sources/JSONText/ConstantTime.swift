/// Comparison of secrets (tokens, nonces, CSRF values, digests) in time that depends only on the lengths, never on
/// where the two first differ. Callers that must not reveal a secret's length compare digests of both sides.
public enum ConstantTime {
    public static func equals(_ a: String, _ b: String) -> Bool {
        equals(Array(a.utf8), Array(b.utf8))
    }

    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
