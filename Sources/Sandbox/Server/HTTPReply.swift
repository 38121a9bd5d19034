import Foundation
import Hummingbird
import NIOCore

/// Small builders for the responses the tenant sends.
enum HTTPReply {
    static func json(_ status: Int, _ body: JSONValue, headers: HTTPFields = [:]) -> Response {
        var h = headers
        h[.contentType] = "application/json; charset=utf-8"
        return bytes(status, Data(body.serialized().utf8), headers: h)
    }

    static func html(_ status: Int, _ text: String, headers: HTTPFields = [:]) -> Response {
        var h = headers
        h[.contentType] = "text/html; charset=utf-8"
        h[.cacheControl] = "no-store"
        h[HTTPReply.name("X-Frame-Options")] = "DENY"
        return bytes(status, Data(text.utf8), headers: h)
    }

    static func bytes(_ status: Int, _ data: Data, headers: HTTPFields = [:]) -> Response {
        Response(
            status: HTTPResponse.Status(code: status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func redirect(_ location: String, headers: HTTPFields = [:]) -> Response {
        var h = headers
        h[.location] = location
        h[.cacheControl] = "no-store"
        return Response(status: .found, headers: h)
    }

    static func empty(_ status: Int, headers: HTTPFields = [:]) -> Response {
        Response(status: HTTPResponse.Status(code: status), headers: headers)
    }

    /// A named header field (names here are all valid tokens).
    static func name(_ text: String) -> HTTPFields.Element.Name { HTTPFields.Element.Name(text)! }
}

extension Request {
    /// Query parameters, percent-decoded (later duplicates win).
    var queryItems: [String: String] { WireFormat.form(uri.query ?? "") }

    /// Path segments, percent-decoded.
    var pathSegments: [String] {
        uri.path.split(separator: "/").map { WireFormat.decodeComponentKeepingPlus(String($0)) }
    }

    /// A request header by name.
    func header(_ name: String) -> String? { headers[HTTPReply.name(name)] }

    /// The cookie values sent by the client.
    var cookieValues: [String: String] {
        var out: [String: String] = [:]
        for line in headers[values: .cookie] {
            for part in line.split(separator: ";") {
                let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if kv.count == 2 { out[kv[0]] = kv[1] }
            }
        }
        return out
    }

    /// The whole body, up to `limit` bytes; nil when larger.
    mutating func bodyData(limit: Int = 40 * 1024 * 1024) async -> Data? {
        guard let buffer = try? await collectBody(upTo: limit) else { return nil }
        return Data(buffer.readableBytesView)
    }
}

extension WireFormat {
    /// Percent-decodes a path segment ('+' stays '+').
    static func decodeComponentKeepingPlus(_ s: String) -> String { s.removingPercentEncoding ?? s }
}
