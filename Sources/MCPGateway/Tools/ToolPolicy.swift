import Foundation

/// What the tools may do, from configuration. The defaults are the safe ones except that writes are allowed.
public struct ToolPolicy: Sendable {
    /// No write tool is listed or callable, and no write scope is ever asked for.
    public var readOnly: Bool
    /// Tool names or globs (`list_*`) to expose; empty exposes all.
    public var toolPatterns: [String]
    /// Recipient domains mail may be sent to (exact domain or `*.example.com`); empty allows every domain.
    public var sendAllowedDomains: [String]
    /// Sends (send, reply, forward, invitations) per user per rolling hour.
    public var sendsPerHour: Int
    /// Ask the user to confirm every send through MCP elicitation when the client supports it.
    public var confirmSends: Bool

    public init(
        readOnly: Bool = false, toolPatterns: [String] = [], sendAllowedDomains: [String] = [], sendsPerHour: Int = 30,
        confirmSends: Bool = false
    ) {
        self.readOnly = readOnly
        self.toolPatterns = toolPatterns
        self.sendAllowedDomains = sendAllowedDomains.map { $0.lowercased().trimmingCharacters(in: .whitespaces) }
        self.sendsPerHour = max(0, sendsPerHour)
        self.confirmSends = confirmSends
    }

    /// Whether a tool is exposed.
    public func exposes(name: String, isWrite: Bool) -> Bool {
        if readOnly && isWrite { return false }
        if toolPatterns.isEmpty { return true }
        return toolPatterns.contains { Self.glob($0, matches: name) }
    }

    /// Whether mail may go to `address`'s domain.
    public func allowsRecipient(_ address: String) -> Bool {
        guard !sendAllowedDomains.isEmpty else { return true }
        let domain = Self.domain(of: address)
        return sendAllowedDomains.contains { allowed in
            if allowed.hasPrefix("*.") { return domain.hasSuffix(String(allowed.dropFirst(1))) }
            return domain == allowed
        }
    }

    static func domain(of address: String) -> String {
        String(address.split(separator: "@").last ?? "").lowercased()
    }

    /// `*` matches any run of characters, `?` one character; everything else literally.
    static func glob(_ pattern: String, matches name: String) -> Bool {
        let p = Array(pattern), n = Array(name)
        var pi = 0, ni = 0, star = -1, mark = 0
        while ni < n.count {
            if pi < p.count, p[pi] == "?" || p[pi] == n[ni] {
                pi += 1
                ni += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ni
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ni = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
