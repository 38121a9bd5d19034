// libFuzzer target: the search_messages query path: the tool's KQL check (MailTools.checkSearch), then the Graph
// `$search` request it becomes and the URL the Graph client would call. Whatever the query, the URL must name
// Graph's messages endpoint with exactly $search, $select and $top, and $search must be the checked query inside
// one pair of quotes.
import AsyncHTTPClient
import Foundation
import FuzzSupport
import MCPGateway
import MicrosoftGraph

enum Target {
    static let canary = "gg-canary-0123456789abcdef"
    /// KQL properties the tool documents (checked independently of MailTools' own list).
    static let fields: Set<String> = [
        "from", "to", "cc", "bcc", "subject", "body", "received", "sent", "hasattachments", "hasattachment",
        "attachment", "participants", "importance", "category", "kind",
    ]
    static let graph = GraphClient(
        httpClient: .shared, baseURL: URL(string: "https://graph.microsoft.com")!, tokenProvider: NoTokens(),
        mailboxKey: "fuzz", limiter: MailboxLimiter(), logger: Fuzz.silentLogger)

    struct NoTokens: AccessTokenProvider {
        struct Unavailable: Error {}
        func accessToken(forceRefresh: Bool) async throws -> String { throw Unavailable() }
        func accessToken(replacing rejected: String) async throws -> String { throw Unavailable() }
        func grantedScopes() async throws -> Set<String> { [] }
    }

    static func run(_ query: String, top: Int) {
        let checked: String
        do {
            checked = try MailTools.checkSearch(query)
        } catch {
            Fuzz.require(!error.description.contains(canary), "the refusal repeats the query")
            return
        }
        Fuzz.require(
            !checked.isEmpty && checked == checked.trimmingCharacters(in: .whitespacesAndNewlines), "not trimmed")
        Fuzz.require(!checked.contains("\"") && !checked.contains("\\"), "a quote or backslash passed")
        Fuzz.require(
            checked.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }, "a control character passed")
        for term in checked.split(separator: " ") where term.contains(":") {
            let field = term.prefix { $0 != ":" }.lowercased()
            Fuzz.require(fields.contains(field), "an unknown KQL field passed")
        }

        let url: String
        do {
            url = try graph.url(for: GraphClient.searchRequest(kql: checked, top: top))
        } catch {
            return Fuzz.require(false, "the search request has no URL: \(error)")
        }
        Fuzz.require(url.unicodeScalars.allSatisfy { (0x21...0x7E).contains($0.value) }, "the URL is not encoded")
        guard let components = URLComponents(string: url) else { return Fuzz.require(false, "the URL does not parse") }
        Fuzz.require(
            components.scheme == "https" && components.host == "graph.microsoft.com" && components.port == nil
                && components.user == nil && components.fragment == nil,
            "the search goes somewhere else than Graph")
        Fuzz.require(components.path == "/v1.0/me/messages", "the search path changed")
        let items = components.queryItems ?? []
        Fuzz.require(
            items.map(\.name) == ["$search", "$select", "$top"], "the query string gained or lost a parameter")
        Fuzz.require(items.first?.value == "\"" + checked + "\"", "$search is not the checked query in quotes")
        Fuzz.require(items.last?.value == String(top), "$top changed")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    Target.run(Fuzz.text(bytes, size), top: 1 + size % 100)
    return 0
}
