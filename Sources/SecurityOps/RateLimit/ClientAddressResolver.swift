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
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
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
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return "ip:" + groups.joined(separator: ":") + "::/64"
    }

    /// The bytes of an IP address (4 for IPv4, 16 for IPv6, IPv4-mapped IPv6 as IPv4); nil if it is none.
    public static func bytes(of address: String) -> [UInt8]? { parse(address) }

    static func normalized(_ text: String) -> String {
        text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
    }

    /// IPv4 (4 bytes) or IPv6 (16 bytes); IPv4-mapped IPv6 becomes IPv4.
    static func parse(_ raw: String) -> [UInt8]? {
        let text = normalized(raw)
        if text.contains(":") {
            var bytes = [UInt8](repeating: 0, count: 16)
            let halves = text.components(separatedBy: "::")
            guard halves.count <= 2 else { return nil }
            func groups(_ part: String) -> [UInt16]? {
                guard !part.isEmpty else { return [] }
                var out: [UInt16] = []
                let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
                for (index, piece) in pieces.enumerated() {
                    if index == pieces.count - 1, piece.contains("."), let v4 = parse(String(piece)), v4.count == 4 {
                        out.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                        out.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                        continue
                    }
                    guard piece.count <= 4, let value = UInt16(piece, radix: 16) else { return nil }
                    out.append(value)
                }
                return out
            }
            guard let head = groups(halves[0]) else { return nil }
            let tail = halves.count == 2 ? groups(halves[1]) : []
            guard let tail else { return nil }
            if halves.count == 1 && head.count != 8 { return nil }
            if head.count + tail.count > (halves.count == 2 ? 7 : 8) { return nil }
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
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isNumber), let value = UInt8(part) else {
                return nil
            }
            bytes.append(value)
        }
        return bytes
    }
}
