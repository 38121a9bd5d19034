import Crypto
import Foundation
import JSONText

extension ConstantTime {
    /// Compares two secrets through their SHA-256 digests: the time taken shows neither where they differ nor
    /// either one's length (for a presented value against a configured token or a login's state).
    public static func digestsEqual(_ a: String, _ b: String) -> Bool {
        equals(Array(SHA256.hash(data: Data(a.utf8))), Array(SHA256.hash(data: Data(b.utf8))))
    }
}
