// libFuzzer target: graphgate's OAuth authorization server on hostile input. The first byte picks the entry point:
//   R  the rest is a `/oauth/register` body (RFC 7591 JSON): AuthorizationServer.register
//   U  the rest is one redirect URI: RedirectURIPolicy.problem / matches / displayHost
//   *  anything else: the rest is an `/oauth/authorize` query string: AuthorizationServer.validateAuthorize
// against a real SQLite store holding two registered clients (fuzz-web and fuzz-native).
import Authorization
import Foundation
import FuzzSupport
import Storage

enum Target {
    /// Seeds put this in values; no error message or page may repeat it (they are fixed text).
    static let canary = "gg-canary-0123456789abcdef"

    static let settings: AuthorizationSettings = {
        AuthorizationSettings(
            issuer: "https://gg.example.com", resource: "https://gg.example.com/mcp",
            scopesSupported: ["mcp", "mcp:write"])
    }()

    static let clients = [
        OAuthClientRecord(
            clientId: "fuzz-web", clientName: "Fuzz Web",
            redirectURIs: ["https://app.example.com/callback", "https://app.example.com/cb?tenant=1"], scope: "",
            kind: .dynamic, clientURI: nil, createdAt: 0, refreshedAt: 0),
        OAuthClientRecord(
            clientId: "fuzz-native", clientName: "Fuzz Native",
            redirectURIs: [
                "http://127.0.0.1:33418/callback", "cursor://anysphere.cursor-retrieval/oauth/callback",
                "com.example.app:/oauth2redirect",
            ],
            scope: "mcp", kind: .dynamic, clientURI: nil, createdAt: 0, refreshedAt: 0),
    ]

    /// This process's SQLite file (with its -wal and -shm companions).
    static func databaseFiles() -> [String] {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("graphgate-fuzz-oauth-\(ProcessInfo.processInfo.processIdentifier).sqlite").path
        return ["", "-wal", "-shm"].map { path + $0 }
    }

    /// The server over a fresh SQLite file in the temporary directory (one per process, removed at exit).
    static let server: AuthorizationServer = Fuzz.blocking {
        for file in databaseFiles() { try? FileManager.default.removeItem(atPath: file) }
        atexit { for file in Target.databaseFiles() { try? FileManager.default.removeItem(atPath: file) } }
        let path = databaseFiles()[0]
        do {
            let database = try await Database.open(.sqlite(path: path), logger: Fuzz.silentLogger)
            try await Migrator(database: database).migrate(logger: Fuzz.silentLogger)
            let store = SQLOAuthStore(database: database)
            for client in clients { try await store.upsertClient(client) }
            return AuthorizationServer(
                settings: settings, store: store, browserSessions: SQLBrowserSessionStore(database: database),
                audit: NullAudit(), logger: Fuzz.silentLogger)
        } catch {
            fatalError("fuzz setup failed: \(error)")
        }
    }

    // MARK: authorize

    static func authorize(_ query: String) {
        let parameters: [(name: String, value: String)] =
            URLComponents(string: "https://gg.example.com/oauth/authorize?" + query)?.queryItems?.map {
                ($0.name, $0.value ?? "")
            }
            ?? query.split(separator: "&").map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }
        let result = Fuzz.blocking { await server.validateAuthorize(parameters, sourceIP: "192.0.2.1") }
        var values: [String: String] = [:]
        var repeated = false
        for (name, value) in parameters {
            if values[name] != nil { repeated = true }
            values[name] = value
        }
        let client = clients.first { $0.clientId == values["client_id"] }
        switch result {
        case .errorPage(let error):
            Fuzz.require(!error.message.contains(canary), "an error page repeats a request value")
        case .redirect(let location):
            Fuzz.require(!repeated, "a request with a repeated parameter was redirected")
            guard let client, let uri = values["redirect_uri"] else {
                return Fuzz.require(false, "redirected without a registered client and redirect_uri")
            }
            Fuzz.require(client.redirectURIs.contains(uri), "redirected to an unregistered URI")
            Fuzz.require(
                location.hasPrefix(uri + "?") || (uri.contains("?") && location.hasPrefix(uri + "&")),
                "the redirect does not start with the registered URI")
            Fuzz.require(
                URLComponents(string: location)?.host == URLComponents(string: uri)?.host,
                "the redirect goes to another host than the registered one")
            let query = String(location.dropFirst(uri.count + 1))
            Fuzz.require(query.hasSuffix("&iss=https%3A%2F%2Fgg.example.com"), "the redirect does not end with iss")
            Fuzz.require(!query.contains("#"), "the redirect carries a fragment")
            let items = URLComponents(string: "https://x/?" + query)?.queryItems ?? []
            let description = items.first { $0.name == "error_description" }?.value ?? ""
            Fuzz.require(!description.contains(canary), "error_description repeats a request value")
            if let state = items.first(where: { $0.name == "state" })?.value {
                Fuzz.require(state == values["state"], "state came back changed")
            }
        case .valid(let request):
            Fuzz.require(!repeated, "a request with a repeated parameter was accepted")
            Fuzz.require(request.client.clientId == values["client_id"], "accepted for another client")
            Fuzz.require(request.redirectURI == values["redirect_uri"], "accepted another redirect URI")
            Fuzz.require(
                client?.redirectURIs.contains { $0.utf8.elementsEqual(request.redirectURI.utf8) } == true,
                "accepted an unregistered redirect URI")
            Fuzz.require(PKCE.isValidChallenge(request.codeChallenge), "accepted a malformed code_challenge")
            Fuzz.require(values["code_challenge_method"] == "S256", "accepted without S256")
            Fuzz.require(
                !request.scopes.isEmpty && request.scopes.allSatisfy(settings.scopesSupported.contains),
                "accepted scopes the server does not offer")
            Fuzz.require(request.resource == settings.resource, "accepted another resource")
            Fuzz.require(request.state == values["state"], "state changed")
        }
    }

    // MARK: register

    static func register(_ body: Data) {
        let result = Fuzz.blocking { () -> Result<ClientRegistrationResponse, AuthorizationError> in
            do throws(AuthorizationError) {
                return .success(try await server.register(body: body, sourceIP: "192.0.2.1"))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let response):
            Fuzz.require(
                !response.redirectURIs.isEmpty && response.redirectURIs.count <= RedirectURIPolicy.maxCount,
                "registered a wrong number of redirect URIs")
            for uri in response.redirectURIs { checkAccepted(uri) }
            Fuzz.require(
                response.clientName.count <= 200
                    && response.clientName.unicodeScalars.allSatisfy { !CharacterSet.controlCharacters.contains($0) },
                "registered a client name with control characters or too long")
            Fuzz.require(
                response.scope.split(separator: " ").allSatisfy { settings.scopesSupported.contains(String($0)) },
                "registered an unsupported scope")
            if let clientURI = response.clientURI {
                Fuzz.require(URLComponents(string: clientURI)?.scheme == "https", "registered a non-https client_uri")
            }
        case .failure(let error):
            Fuzz.require(!error.message.contains(canary), "a registration error repeats a request value")
            Fuzz.require(error.status < 500, "registration failed with a server error: \(error.code)")
        }
    }

    // MARK: redirect URI policy

    static func redirectURI(_ uri: String) {
        _ = RedirectURIPolicy.displayHost(of: uri)
        Fuzz.require(RedirectURIPolicy.matches(uri, registered: [uri]), "a URI does not match itself")
        Fuzz.require(!RedirectURIPolicy.matches(uri + "/", registered: [uri]), "a longer URI matched")
        Fuzz.require(!RedirectURIPolicy.matches(uri, registered: []), "matched an empty list")
        guard RedirectURIPolicy.problem(with: uri) == nil else { return }
        checkAccepted(uri)
    }

    /// What every registrable redirect URI satisfies, checked independently of RedirectURIPolicy.
    static func checkAccepted(_ uri: String) {
        Fuzz.require(!uri.isEmpty && uri.utf8.count <= RedirectURIPolicy.maxLength, "accepted a URI of bad length")
        Fuzz.require(
            uri.unicodeScalars.allSatisfy { (0x21...0x7E).contains($0.value) },
            "accepted a URI with spaces, controls or non-ASCII")
        Fuzz.require(!uri.contains("#"), "accepted a URI with a fragment")
        guard let components = URLComponents(string: uri), let scheme = components.scheme else {
            return Fuzz.require(false, "accepted a relative or unparsable URI")
        }
        Fuzz.require(scheme == scheme.lowercased(), "accepted an upper-case scheme")
        Fuzz.require(
            !["javascript", "data", "file", "vbscript", "blob", "about"].contains(scheme), "accepted a dangerous scheme"
        )
        Fuzz.require(components.user == nil && components.password == nil, "accepted user information")
        if let separator = uri.range(of: "://") {
            let authority = uri[separator.upperBound...].prefix { $0 != "/" && $0 != "?" }
            Fuzz.require(!authority.contains("@"), "accepted an @ in the authority")
        }
        if scheme == "https" {
            Fuzz.require(components.host?.isEmpty == false, "accepted https without a host")
        }
        if scheme == "http" {
            let host = (components.host ?? "").lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            let octets = host.split(separator: ".", omittingEmptySubsequences: false)
            let loopbackV4 = octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
            Fuzz.require(host == "localhost" || host == "::1" || loopbackV4, "accepted http on a non-loopback host")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let rest = Fuzz.data(bytes + 1, size - 1)
    switch bytes[0] {
    case UInt8(ascii: "R"): Target.register(rest)
    case UInt8(ascii: "U"): Target.redirectURI(String(decoding: rest, as: UTF8.self))
    default: Target.authorize(String(decoding: rest, as: UTF8.self))
    }
    return 0
}
