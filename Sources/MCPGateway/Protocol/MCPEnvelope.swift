import Foundation

/// The per-request envelope of a 2026-07-28 request (`params._meta`), checked as the specification orders it:
/// envelope present → HTTP headers agree with the body → version supported.
public struct MCPEnvelope: Sendable {
    public var version: String
    public var clientCapabilities: Value
    /// `clientInfo.name`, for logs only (self-reported).
    public var clientName: String?

    /// `_meta` larger than this is refused (the whole body is capped separately).
    public static let maxMetaBytes = 16 * 1024

    /// Header values by lower-case name (every occurrence), for the HTTP checks; nil on stdio.
    public typealias Headers = @Sendable (String) -> [String]

    /// Whether `request` claims the modern era (its `_meta` names a protocol version).
    public static func claimsModern(_ request: JSONRPCRequest) -> Bool {
        request.meta?[MCPVersions.protocolVersionKey] != nil
    }

    public static func check(_ request: JSONRPCRequest, headers: Headers?) -> Result<MCPEnvelope, JSONRPCError> {
        guard let meta = request.meta else {
            return .failure(
                .invalidParams(
                    "Invalid params: params._meta must be an object carrying \(MCPVersions.protocolVersionKey) "
                        + "and \(MCPVersions.clientCapabilitiesKey)"))
        }
        let missing = [MCPVersions.protocolVersionKey, MCPVersions.clientCapabilitiesKey].filter { meta[$0] == nil }
        if !missing.isEmpty {
            return .failure(
                .invalidParams("Invalid params: params._meta is missing \(missing.joined(separator: ", "))"))
        }
        if JSONWriter.bytes(.object(meta)).count > maxMetaBytes {
            return .failure(.invalidParams("Invalid params: params._meta is larger than \(maxMetaBytes / 1024) KiB"))
        }
        let version = meta[MCPVersions.protocolVersionKey]!
        if let headers {
            for name in ["mcp-protocol-version", "mcp-method", "mcp-name"] where headers(name).count > 1 {
                return .failure(.headerMismatch("Header mismatch: \(name) appears more than once"))
            }
            guard let header = headers("mcp-protocol-version").first, .string(header) == version else {
                return .failure(
                    .headerMismatch(
                        "Header mismatch: MCP-Protocol-Version must equal params._meta \(MCPVersions.protocolVersionKey)"
                    ))
            }
            guard headers("mcp-method").first == request.method else {
                return .failure(.headerMismatch("Header mismatch: Mcp-Method must equal the body's method"))
            }
            if request.method == "tools/call", let name = request.params["name"]?.stringValue,
                decodeHeaderValue(headers("mcp-name").first) != name
            {
                return .failure(.headerMismatch("Header mismatch: Mcp-Name must equal params.name"))
            }
        }
        guard case .string(let versionText) = version else {
            return .failure(.invalidParams("Invalid params: the protocol version in params._meta must be a string"))
        }
        guard MCPVersions.modern.contains(versionText) else { return .failure(unsupported(versionText)) }
        guard case .object = meta[MCPVersions.clientCapabilitiesKey]! else {
            return .failure(.invalidParams("Invalid params: \(MCPVersions.clientCapabilitiesKey) must be an object"))
        }
        return .success(
            MCPEnvelope(
                version: versionText, clientCapabilities: meta[MCPVersions.clientCapabilitiesKey]!,
                clientName: meta[MCPVersions.clientInfoKey]?["name"]?.stringValue))
    }

    /// The HTTP header checks a notification gets (it has no `_meta` to agree with): an `MCP-Protocol-Version`
    /// this server does not speak is refused, and with a 2026-07-28 version `Mcp-Method` must name the
    /// notification, as for requests. Nil when the headers are acceptable.
    public static func checkNotification(method: String, headers: Headers) -> JSONRPCError? {
        let versions = headers("mcp-protocol-version")
        guard let version = versions.first else { return nil }
        guard versions.count == 1 else {
            return .headerMismatch("Header mismatch: mcp-protocol-version appears more than once")
        }
        guard MCPVersions.all.contains(version) else { return unsupported(version) }
        if MCPVersions.modern.contains(version), headers("mcp-method") != [method] {
            return .headerMismatch("Header mismatch: Mcp-Method must equal the body's method")
        }
        return nil
    }

    static func unsupported(_ version: String) -> JSONRPCError {
        JSONRPCError(
            code: JSONRPCError.unsupportedVersionCode,
            message: "Unsupported protocol version: this server speaks \(MCPVersions.all.joined(separator: ", "))",
            data: ["supported": .array(MCPVersions.all.map { .string($0) }), "requested": .string(shown(version))])
    }

    /// A requested version is repeated only when it looks like one (a client's string could be anything).
    static func shown(_ version: String) -> String {
        let plain = version.count <= 32 && version.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "-" || $0 == "."
        }
        return plain ? version : "(not shown)"
    }

    /// A header value as the client encoded it: verbatim, or `=?base64?…?=` for values that are not plain ASCII.
    static func decodeHeaderValue(_ value: String?) -> String? {
        guard let value else { return nil }
        guard value.hasPrefix("=?base64?"), value.hasSuffix("?="), value.count >= 11 else { return value }
        let payload = String(value.dropFirst(9).dropLast(2))
        guard let data = Data(base64Encoded: payload), data.base64EncodedString() == payload else { return nil }
        return String(data: data, encoding: .utf8)
    }
}
