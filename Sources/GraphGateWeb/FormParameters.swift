import Foundation
import Hummingbird

/// `application/x-www-form-urlencoded` parsing (query strings and form bodies), keeping every occurrence of a
/// name so repeated OAuth parameters can be refused. Shared by the pages and the OAuth endpoints.
package enum FormParameters {
    /// Form bodies (the pages' and the OAuth endpoints') are read up to this many bytes.
    package static let bodyLimit = 16 * 1024

    /// Parses `a=1&b=2`; `+` is a space, `%XX` is decoded. Nil when the percent-encoding is broken.
    package static func parse(_ text: String) -> [(name: String, value: String)]? {
        var result: [(name: String, value: String)] = []
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]) else { return nil }
            guard let value = parts.count > 1 ? decode(parts[1]) : "" else { return nil }
            if name.isEmpty { continue }
            result.append((name, value))
        }
        return result
    }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// The query string of a request, parsed.
    package static func query(of request: Request) -> [(name: String, value: String)]? {
        parse(request.uri.query ?? "")
    }

    /// The form body of a request (at most `limit` bytes), parsed. Throws 413 when larger, 415 when the content
    /// type is not a form.
    package static func body(of request: Request, limit: Int) async throws -> [(name: String, value: String)]? {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") else {
            throw HTTPError(.unsupportedMediaType, message: "expected application/x-www-form-urlencoded")
        }
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        return parse(String(buffer: buffer))
    }

    package static func first(_ name: String, in parameters: [(name: String, value: String)]) -> String? {
        parameters.first { $0.name == name }?.value
    }
}
