import AsyncHTTPClient
import Foundation
import Logging
import MCPGateway
import MicrosoftGraph
import NIOPosix
import TokenVault
import UnixSignals

/// `graphgate stdio`: MCP over stdin/stdout (``MCPStdioServer``: line-delimited JSON-RPC, both protocol eras) with
/// the same protocol core, tool catalogue and policy as the server, running as the local person. Tools take an
/// optional `account` label. Logs go to stderr only: stdout carries nothing but JSON-RPC.
public enum DesktopStdio {
    /// Serves until stdin closes.
    public static func run(options: DesktopOptions, policy: ToolPolicy, logger: Logger) async throws(DesktopError) {
        let paths = try options.paths()
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .microsoft())
        let cache = DesktopStoreCache(options: options, paths: paths, httpClient: httpClient, logger: logger)
        // Open the store before the first request, so the first tool call does not pay for it (and a missing
        // login is reported once on stderr).
        do {
            _ = try await cache.get()
        } catch {
            logger.warning("\(error.description)")
        }
        let catalogue = ToolCatalogue(
            policy: policy, graph: graphSource(cache: cache, httpClient: httpClient, logger: logger),
            audit: DesktopAuditRecorder(cache: cache, logger: logger), logger: logger)
        let server = MCPStdioServer(core: MCPCore(catalogue: catalogue), principal: principal, logger: logger)
        logger.info("serving MCP on stdio", metadata: ["gg.tools": "\(catalogue.exposedToolNames.count)"])
        // Audit rows are written behind the answers: a client that stops the process with a signal instead of
        // closing stdin still gets every answered call's row written first.
        let signals = Task {
            for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                await cache.flushAudit()
                logger.info("stopped by \(signal); audit rows written")
                exit(0)
            }
        }
        // One event loop runs the calls and their Graph requests (see `EventLoopTaskExecutor`).
        await withTaskExecutorPreference(EventLoopTaskExecutor(MultiThreadedEventLoopGroup.singleton.next())) {
            await server.serve(FileLines(fileDescriptor: 0))
        }
        signals.cancel()
        await cache.close()
        try? await httpClient.shutdown()
    }

    /// The local person: the owner is resolved per call from the store (so a login after start works). The local
    /// person may read and write (the policy still applies: `--read-only`, tool patterns).
    static let principal = MCPPrincipal(
        userId: DesktopAuditRecorder.placeholderUser, clientId: "stdio", grantId: "stdio",
        scopes: ["mcp", MCPPrincipal.writeScope],
        allowsAccountSelection: true)

    /// Graph clients of the owner's accounts (`account` label, else `default`, else the only one), with errors
    /// that tell the person which command fixes them.
    static func graphSource(
        cache: DesktopStoreCache, httpClient: HTTPClient, logger: Logger
    ) -> ClosureGraphClientSource {
        let limiter = MailboxLimiter()
        return ClosureGraphClientSource(client: { _, account in
            let current: DesktopStoreCache.Current
            do throws(DesktopError) {
                current = try await cache.get()
            } catch {
                throw ToolError.accountUnavailable(advice(error))
            }
            guard let ownerId = current.ownerId else {
                throw ToolError.accountUnavailable(advice(.notSignedIn(sandbox: current.store.paths.sandbox)))
            }
            let sandboxFlag = current.store.paths.sandbox ? " --sandbox" : ""
            let provider: any AccessTokenProvider
            do throws(VaultError) {
                provider = try await current.store.vault.tokenProvider(userId: ownerId, accountLabel: account)
            } catch .accountNotFound {
                let known = (try? await current.store.accounts().map(\.label)) ?? []
                if known.isEmpty {
                    throw ToolError.accountUnavailable(advice(.notSignedIn(sandbox: current.store.paths.sandbox)))
                }
                if let account {
                    throw ToolError.accountUnavailable(advice(.unknownAccount(account, known: known)))
                }
                throw ToolError.accountUnavailable(
                    "several accounts are signed in (\(known.joined(separator: ", "))) and none is 'default'; "
                        + "pass the 'account' argument.")
            } catch .signInRequired {
                let flag = account.map { " --account \($0)" } ?? ""
                throw ToolError.accountUnavailable(
                    "its Microsoft sign-in expired or was revoked. Ask the user to run "
                        + "`graphgate login\(sandboxFlag)\(flag)` in a terminal, then retry.")
            } catch {
                throw ToolError.accountUnavailable(error.description)
            }
            guard let graphURL = current.store.settings.graphBaseURL else {
                throw ToolError.accountUnavailable("the saved Graph URL is not valid; run `graphgate login` again.")
            }
            return GraphClient(
                httpClient: httpClient, baseURL: graphURL, tokenProvider: provider,
                mailboxKey: ownerId + "/" + (account ?? TokenVault.defaultAccountLabel), limiter: limiter,
                logger: logger)
        })
    }

    static func advice(_ error: DesktopError) -> String {
        switch error {
        case .notSignedIn(let sandbox):
            "nobody is signed in to graphgate on this computer. Ask the user to run "
                + "`graphgate login\(sandbox ? " --sandbox" : "")` in a terminal, then retry."
        default: error.description
        }
    }
}
