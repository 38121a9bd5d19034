import AsyncHTTPClient
import Foundation
import Logging
import MCPGateway
import Sandbox
import Synchronization
import Testing

@testable import GraphGateDesktop

/// Desktop mode (`graphgate login` / `logout` / `stdio`) against a real emulated tenant: the device code flow
/// approved through the tenant's pages, the local store's files and permissions, several accounts under one owner,
/// the stdio tools' Graph source, and logout. The desktop store is SQLite by design (one person's file), so these
/// run on SQLite only.
@Suite("Desktop mode")
struct DesktopTests {
    typealias Client = SandboxTestClient

    static let logger: Logger = {
        var logger = Logger(label: "test.desktop")
        logger.logLevel = .warning
        return logger
    }()

    static func temporaryHome() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gg-desk-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func options(home: String, sandboxURL: String? = nil) -> DesktopOptions {
        DesktopOptions(
            sandbox: true, sandboxURL: sandboxURL,
            environment: ["HOME": home, "XDG_DATA_HOME": home + "/data"])
    }

    /// Runs `graphgate login --sandbox` in-process; the person approves (or declines) the printed code as `upn`.
    static func login(
        _ c: Client, home: String, upn: String, label: String? = nil, decision: String = "accept"
    ) async throws -> Result<String, DesktopError> {
        let (codes, sink) = AsyncStream<String>.makeStream()
        return try await withThrowingTaskGroup(of: Result<String, DesktopError>?.self) { group in
            group.addTask {
                do throws(DesktopError) {
                    return .success(
                        try await DesktopCommands.login(
                            options: options(home: home, sandboxURL: c.base), label: label, readOnly: false,
                            browser: false, openBrowser: false, logger: logger,
                            say: { line in
                                if let code = Client.capture(#"enter the code (\S+)"#, in: line) { sink.yield(code) }
                            }))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                var iterator = codes.makeAsyncIterator()
                let code = try #require(await iterator.next())
                let picker = try await c.send(.GET, "/devicelogin?otc=\(code)")
                let oid = try #require(
                    Client.capture(#"value="([0-9a-f-]{36})" data-upn="\#(upn)""#, in: picker.text))
                let signedIn = try await c.form(
                    "/\(Client.tenant)/login/select", ["user": oid, "return_to": "/devicelogin?otc=\(code)"])
                let cookie = String(try #require(signedIn.header("set-cookie")).split(separator: ";")[0])
                let reply = try await c.form("/devicelogin", ["otc": code, "decision": decision], cookie: cookie)
                #expect(reply.status == 200)
                return nil
            }
            var result: Result<String, DesktopError>?
            for try await item in group where item != nil { result = item }
            return try #require(result)
        }
    }

    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test("the data directory follows --data-dir, then XDG_DATA_HOME (absolute only), then HOME")
    func dataDirectory() throws {
        let env = ["HOME": "/home/p", "XDG_DATA_HOME": "/x/share"]
        #expect(try DesktopPaths.base(dataDirectory: "/d", environment: env).path == "/d")
        #expect(try DesktopPaths.base(dataDirectory: nil, environment: env).path == "/x/share/graphgate")
        #expect(
            try DesktopPaths.base(dataDirectory: nil, environment: ["HOME": "/home/p", "XDG_DATA_HOME": "rel"]).path
                == "/home/p/.local/share/graphgate")
        #expect(
            try DesktopPaths.resolve(dataDirectory: nil, sandbox: true, environment: env).directory.path
                == "/x/share/graphgate/sandbox")
        #expect(throws: DesktopError.self) { try DesktopPaths.base(dataDirectory: nil, environment: [:]) }
    }

    @Test("device code login stores encrypted tokens in a 0700 directory; accounts link under one owner")
    func deviceCodeLogin() async throws {
        let home = try Self.temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        try await Client.with(SandboxConfiguration(deviceCodeInterval: 1)) { c in
            let first = try await Self.login(c, home: home, upn: "MeganB@contoso.sandbox").get()
            #expect(first.contains("Signed in as MeganB@contoso.sandbox (account 'default'"))
            #expect(first.contains("Mail.Send"))
            let second = try await Self.login(c, home: home, upn: "AdeleV@contoso.sandbox", label: "work").get()
            #expect(second.contains("AdeleV@contoso.sandbox (account 'work'"))

            let paths = try Self.options(home: home).paths()
            #expect(try Self.mode(paths.directory.path) == 0o700)
            for file in [paths.database, paths.keyring, paths.settings] { #expect(try Self.mode(file) == 0o600) }
            let raw =
                try Data(contentsOf: URL(fileURLWithPath: paths.database))
                + ((try? Data(contentsOf: URL(fileURLWithPath: paths.database + "-wal"))) ?? Data())
            let secrets = try await c.control(.GET, "secrets").json
            for token in (secrets["refreshTokens"] as? [String] ?? []) + (secrets["accessTokens"] as? [String] ?? []) {
                #expect(raw.range(of: Data(token.utf8)) == nil, "a Microsoft token is on disk in plaintext")
            }

            let status = try await DesktopCommands.status(options: Self.options(home: home), logger: Self.logger)
            #expect(status.contains("account 'default': MeganB@contoso.sandbox, signed in"))
            #expect(status.contains("account 'work': AdeleV@contoso.sandbox, signed in"))
            #expect(status.contains(c.base))

            // The stdio tools' Graph source: one owner, the account picked by label.
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let cache = DesktopStoreCache(
                options: Self.options(home: home), paths: paths, httpClient: http, logger: Self.logger)
            let source = DesktopStdio.graphSource(cache: cache, httpClient: http, logger: Self.logger)
            let megan = try await source.graphClient(for: DesktopStdio.principal, account: nil).me()
            let adele = try await source.graphClient(for: DesktopStdio.principal, account: "work").me()
            #expect(megan.userPrincipalName == "MeganB@contoso.sandbox")
            #expect(adele.userPrincipalName == "AdeleV@contoso.sandbox")
            await #expect {
                _ = try await source.graphClient(for: DesktopStdio.principal, account: "home")
            } throws: { error in
                "\(error)".contains("no account labelled 'home'") && "\(error)".contains("default, work")
            }

            let out = try await DesktopCommands.logout(
                options: Self.options(home: home), label: "work", logger: Self.logger)
            #expect(out.contains("'work'"))
            await #expect(throws: ToolError.self) {
                _ = try await source.graphClient(for: DesktopStdio.principal, account: "work")
            }
            _ = try await DesktopCommands.logout(options: Self.options(home: home), label: nil, logger: Self.logger)
            for file in paths.files { #expect(!FileManager.default.fileExists(atPath: file)) }
            // The running source notices the store is gone and says what to do, without using a cached token.
            await #expect {
                _ = try await source.graphClient(for: DesktopStdio.principal, account: nil)
            } throws: { error in
                "\(error)".contains("graphgate login --sandbox")
            }
            await cache.close()
            try await http.shutdown()
        }
    }

    @Test("a declined device code stores no account, and says so")
    func declined() async throws {
        let home = try Self.temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        try await Client.with(SandboxConfiguration(deviceCodeInterval: 1)) { c in
            let result = try await Self.login(c, home: home, upn: "LeeG@contoso.sandbox", decision: "decline")
            guard case .failure(let error) = result else {
                Issue.record("a declined sign-in succeeded")
                return
            }
            #expect(error.description.contains("declined"))
            let status = try await DesktopCommands.status(options: Self.options(home: home), logger: Self.logger)
            #expect(status.hasPrefix("Not signed in"))
        }
    }

    @Test("an unreachable emulated tenant gets an error naming `graphgate sandbox`")
    func sandboxUnreachable() async throws {
        let home = try Self.temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        await #expect {
            _ = try await DesktopCommands.login(
                options: Self.options(home: home, sandboxURL: "http://127.0.0.1:1"), label: nil, readOnly: true,
                browser: false, openBrowser: false, logger: Self.logger, say: { _ in })
        } throws: { error in
            "\(error)".contains("graphgate sandbox")
        }
    }

    @Test("the tool policy comes from flags, else the server's GRAPHGATE_* variables")
    func policy() throws {
        let env = [
            "GRAPHGATE_READ_ONLY": "1", "GRAPHGATE_TOOLS": "list_*", "GRAPHGATE_SEND_ALLOWED_DOMAINS": "contoso.com",
        ]
        let fromEnv = try DesktopOptions(environment: env).toolPolicy(
            readOnly: false, tools: nil, sendAllowedDomains: nil, sendCap: nil, confirmSends: false)
        #expect(fromEnv.readOnly && fromEnv.toolPatterns == ["list_*"] && fromEnv.sendAllowedDomains == ["contoso.com"])
        let flags = try DesktopOptions(environment: env).toolPolicy(
            readOnly: false, tools: "get_message", sendAllowedDomains: nil, sendCap: "5", confirmSends: true)
        #expect(flags.toolPatterns == ["get_message"] && flags.sendsPerHour == 5 && flags.confirmSends)
        #expect(throws: DesktopError.self) {
            try DesktopOptions(environment: [:]).toolPolicy(
                readOnly: false, tools: nil, sendAllowedDomains: "not a domain", sendCap: nil, confirmSends: false)
        }
        #expect(DesktopLogin.scopes(readOnly: true).allSatisfy { !$0.hasSuffix("ReadWrite") && $0 != "Mail.Send" })
        #expect(DesktopLogin.scopes(readOnly: false).contains("offline_access"))
    }
}
