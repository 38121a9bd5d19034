import Crypto
import Foundation
import JSONText
import Storage

/// The hash chain's arithmetic: the canonical bytes of a row and `hash = SHA-256(previous hash ‖ canonical row)`.
///
/// Canonical form (version 1): the fields `seq, at, type, outcome, user, client, ip, details` each written as
/// `<utf8 length>:<value>` (absent values as `~`), joined by `\n`, prefixed by `gg-audit-v1\n`. Length prefixes
/// make the encoding unambiguous, so no two different rows share canonical bytes.
public enum AuditChain {
    public static let genesisHash = SQLAuditStore.genesisHash

    public static func canonicalBytes(_ row: AuditRow) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(
            64 + row.eventType.utf8.count + row.outcome.utf8.count + (row.userId?.utf8.count ?? 0)
                + (row.clientId?.utf8.count ?? 0) + (row.sourceIP?.utf8.count ?? 0) + row.details.utf8.count)
        out.append(contentsOf: "gg-audit-v1".utf8)
        func field(_ value: String?) {
            out.append(UInt8(ascii: "\n"))
            guard let value else {
                out.append(UInt8(ascii: "~"))
                return
            }
            out.append(contentsOf: String(value.utf8.count).utf8)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: value.utf8)
        }
        field(String(row.seq))
        field(String(row.at))
        field(row.eventType)
        field(row.outcome)
        field(row.userId)
        field(row.clientId)
        field(row.sourceIP)
        field(row.details)
        return out
    }

    /// The chain hash of `row` after `previousHash` (lower-case hex). `row.hash` is ignored.
    public static func hash(previous previousHash: String, row: AuditRow) -> String {
        var hasher = SHA256()
        hasher.update(data: hexBytes(previousHash) ?? Array(previousHash.utf8))
        hasher.update(data: canonicalBytes(row))
        return Hex.string(hasher.finalize())
    }

    /// Details as canonical JSON: keys sorted, no whitespace, so the same map always gives the same text.
    public static func canonicalDetails(_ details: [String: String]) -> String {
        guard !details.isEmpty else { return "{}" }
        var out = "{"
        for (index, key) in details.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            out += JSONString.quoted(key) + ":" + JSONString.quoted(details[key] ?? "")
        }
        return out + "}"
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var index = 0
        while index < chars.count {
            guard let high = nibble(chars[index]), let low = nibble(chars[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}
