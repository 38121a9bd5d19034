import Foundation

/// One Graph call, relative to the client's base URL (`/v1.0/me/messages`).
public struct GraphRequest: Sendable {
    public enum Method: String, Sendable {
        case get = "GET", post = "POST", patch = "PATCH", put = "PUT", delete = "DELETE"
    }

    public var method: Method
    /// Path below the base URL, starting with `/` (`/v1.0/me/messages/{id}`); ids must be added with
    /// ``GraphRequest/segment(_:)``.
    public var path: String
    public var query: [(String, String)]
    /// An already percent-encoded query (from a validated `@odata.nextLink`); used instead of `query`.
    public var encodedQuery: String?
    public var body: Data?
    /// Extra `Prefer` values (`outlook.timezone="…"`); IdType and body content type are always sent.
    public var prefer: [String]
    /// Ask for HTML bodies instead of text.
    public var htmlBody: Bool
    /// Whether repeating the request cannot do anything twice: only those are retried after 5xx or a dropped
    /// connection. 429 is retried for every request (Graph did not process it).
    public var idempotent: Bool
    /// Largest answer accepted, in bytes.
    public var maxResponseBytes: Int

    public init(
        _ method: Method, _ path: String, query: [(String, String)] = [], body: Data? = nil, prefer: [String] = [],
        htmlBody: Bool = false, idempotent: Bool? = nil, maxResponseBytes: Int = 8 << 20
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.encodedQuery = nil
        self.body = body
        self.prefer = prefer
        self.htmlBody = htmlBody
        self.idempotent = idempotent ?? (method == .get || method == .put || method == .delete)
        self.maxResponseBytes = maxResponseBytes
    }

    /// The request for the next page given by a ``GraphPage/nextLink`` (path and query below the base URL).
    public static func continuation(_ link: String, maxResponseBytes: Int = 8 << 20) -> GraphRequest? {
        // Byte-wise: this runs for every page's nextLink (Foundation's `contains` went through CFString).
        let utf8 = link.utf8
        guard utf8.first == UInt8(ascii: "/"), utf8.dropFirst().first != UInt8(ascii: "/"),
            utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "#") })
        else { return nil }
        let queryStart = utf8.firstIndex(of: UInt8(ascii: "?")) ?? utf8.endIndex
        var previous: UInt8 = 0
        for byte in utf8[..<queryStart] {
            if byte == UInt8(ascii: "\\") || (byte == UInt8(ascii: ".") && previous == byte) { return nil }
            previous = byte
        }
        var request = GraphRequest(.get, String(link[..<queryStart]), maxResponseBytes: maxResponseBytes)
        let query = queryStart == utf8.endIndex ? "" : link[link.index(after: queryStart)...]
        request.encodedQuery = query.isEmpty ? nil : String(query)
        return request
    }

    /// Percent-encodes one path segment (an id) so it can never add a segment or a query.
    public static func segment(_ value: String) -> String { percentEncoded(value) }

    /// Encodes a query value strictly (RFC 3986 unreserved only), so `+`, `&`, `=` and `#` stay data.
    static func encodeQuery(_ value: String) -> String { percentEncoded(value) }

    /// Every UTF-8 byte outside RFC 3986's unreserved characters and `$` (OData's `$select`) as `%XX`, upper-case
    /// hex, as Foundation's `addingPercentEncoding` would (one pass over the bytes; that one cost about 2% of a
    /// tool call's CPU on Linux).
    static func percentEncoded(_ value: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            if unreserved[Int(byte)] {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(upperHex[Int(byte >> 4)])
                out.append(upperHex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Which bytes stay as they are: `A–Z a–z 0–9 - . _ ~ $`.
    static let unreserved: [Bool] = (0..<256).map { byte in
        switch UInt8(byte) {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "$"): true
        default: false
        }
    }

    private static let upperHex = Array("0123456789ABCDEF".utf8)
}
