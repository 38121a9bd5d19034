import Foundation

/// Finds the real client address of a request. `X-Forwarded-For` is believed only when the TCP peer is one of
/// the configured trusted proxies; then the list is read from the right, skipping trusted proxies, and the first
/// address not trusted is the client. Anything else a client writes into the header is ignored.
public struct ClientAddressResolver: Sendable {
    struct Network: Sendable, Equatable {
        var address: [UInt8]
        var prefix: Int

        func contains(_ other: [UInt8]) -> Bool {
            guard other.count == address.count else { return false }
            var bits = prefix
            for index in 0..<address.count {
                if bits <= 0 { return true }
                let mask: UInt8 = bits >= 8 ? 0xff : ~(0xff >> UInt8(bits))
                if address[index] & mask != other[index] & mask { return false }
                bits -= 8
            }
            return true
        }
    }

    let proxies: [Network]

    /// `trustedProxies`: IP addresses or CIDR ranges (`10.0.0.0/8`, `::1`).
    public init(trustedProxies: [String]) throws(SecurityError) {
        var networks: [Network] = []
        for entry in trustedProxies {
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let address = Self.parse(parts[0]) else { throw .invalidProxy(entry) }
            var prefix = address.count * 8
            if parts.count == 2 {
                guard let bits = Int(parts[1]), (0...address.count * 8).contains(bits) else {
                    throw .invalidProxy(entry)
                }
                prefix = bits
            }
            networks.append(Network(address: address, prefix: prefix))
        }
        self.proxies = networks
    }

    public static let none = try! ClientAddressResolver(trustedProxies: [])

    public func isTrusted(_ address: String) -> Bool {
        guard let bytes = Self.parse(address) else { return false }
        return proxies.contains { $0.contains(bytes) }
    }

    /// The client address for a request from `peer` carrying these `X-Forwarded-For` header values.
    public func clientAddress(peer: String?, forwardedFor: [String]) -> String? {
        guard let peer, isTrusted(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map(Self.trimmingBlanks)
        for hop in hops.reversed() {
            guard let bytes = Self.parse(hop) else { return peer }  // garbage: do not guess further
            if !proxies.contains(where: { $0.contains(bytes) }) { return Self.normalized(hop) }
        }
        return hops.first.flatMap { Self.parse($0) != nil ? Self.normalized($0) : nil } ?? peer
    }

    /// The rate-limit key of a client address: `ip:` and the IPv4 address, or the IPv6 /64 it belongs to (one
    /// subscriber or one LAN usually holds a whole /64, so per-/128 keys would give each of them 2⁶⁴ budgets).
    public static func limiterKey(_ address: String) -> String {
        guard let bytes = parse(address) else { return "ip:" + address }
        guard bytes.count == 16 else { return "ip:" + bytes.map(String.init).joined(separator: ".") }
        let groups = stride(from: 0, to: 8, by: 2).map {
            String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16)
        }
        return "ip:" + groups.joined(separator: ":") + "::/64"
    }

    /// The bytes of an IP address (4 for IPv4, 16 for IPv6, IPv4-mapped IPv6 as IPv4); nil if it is none.
    public static func bytes(of address: String) -> [UInt8]? { parse(address) }

    static func normalized(_ text: String) -> String {
        text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
    }

    /// A header list entry without the spaces and tabs around it.
    static func trimmingBlanks(_ text: Substring) -> String {
        let utf8 = text.utf8
        guard let first = utf8.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return "" }
        let last = utf8.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })!
        return String(text[first...last])
    }

    typealias Bytes = Slice<UnsafeBufferPointer<UInt8>>

    /// IPv4 (4 bytes) or IPv6 (16 bytes); IPv4-mapped IPv6 becomes IPv4. Read from the UTF-8 bytes: this runs for
    /// the peer and every forwarded hop of every request.
    static func parse(_ raw: String) -> [UInt8]? {
        var raw = raw
        return raw.withUTF8 { all -> [UInt8]? in
            var text = all[...]
            if text.first == UInt8(ascii: "["), text.last == UInt8(ascii: "]") {
                text = text.count >= 2 ? text.dropFirst().dropLast() : text[text.startIndex..<text.startIndex]
            }
            return text.contains(UInt8(ascii: ":")) ? parseV6(text) : parseV4(text)
        }
    }

    /// Four decimal parts of one to three digits, each at most 255.
    private static func parseV4(_ text: Bytes) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(4)
        var value = 0, digits = 0
        for byte in text {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, out.count < 3 else { return nil }
                out.append(UInt8(value))
                value = 0
                digits = 0
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                digits += 1
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                guard digits <= 3, value <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, out.count == 3 else { return nil }
        out.append(UInt8(value))
        return out
    }

    /// Up to eight groups of one to four hex digits, at most one `::`, an IPv4 address as the last two groups.
    private static func parseV6(_ text: Bytes) -> [UInt8]? {
        let colon = UInt8(ascii: ":")
        var split: Int?
        var index = text.startIndex
        while index + 1 < text.endIndex {
            if text[index] == colon && text[index + 1] == colon {
                guard split == nil else { return nil }
                split = index
                index += 2
            } else {
                index += 1
            }
        }
        let headPart = split.map { text[text.startIndex..<$0] } ?? text
        let tailPart = split.map { text[($0 + 2)...] } ?? text[text.endIndex...]
        guard let head = groups(headPart), let tail = groups(tailPart) else { return nil }
        if split == nil && head.count != 8 { return nil }
        if head.count + tail.count > (split == nil ? 8 : 7) { return nil }
        var bytes = [UInt8](repeating: 0, count: 16)
        for (index, group) in head.enumerated() {
            bytes[index * 2] = UInt8(group >> 8)
            bytes[index * 2 + 1] = UInt8(group & 0xff)
        }
        for (index, group) in tail.enumerated() {
            let position = 8 - tail.count + index
            bytes[position * 2] = UInt8(group >> 8)
            bytes[position * 2 + 1] = UInt8(group & 0xff)
        }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return Array(bytes[12..<16])
        }
        return bytes
    }

    /// The groups of one side of `::` (none for an empty side).
    private static func groups(_ part: Bytes) -> [UInt16]? {
        guard !part.isEmpty else { return [] }
        var out: [UInt16] = []
        let pieces = part.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        for (index, piece) in pieces.enumerated() {
            if index == pieces.count - 1, piece.contains(UInt8(ascii: ".")) {
                guard let v4 = parseV4(piece) else { return nil }
                out.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                out.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                continue
            }
            guard (1...4).contains(piece.count) else { return nil }
            var value: UInt16 = 0
            for byte in piece {
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt16(digit)
            }
            out.append(value)
        }
        return out
    }
}
