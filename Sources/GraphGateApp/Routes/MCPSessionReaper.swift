import Authorization
import Logging
import MCPGateway
import ServiceLifecycle

/// Deletes idle handshake-era MCP session rows and expired consumed-`requestState` rows once a minute, and purges
/// expired OAuth rows (pending requests, codes, tokens, browser sessions) every ten, until graceful shutdown. Live
/// sessions stay across a restart.
struct MCPSessionReaper: Service {
    let sessions: MCPSessionManager
    let authorization: AuthorizationServer
    let logger: Logger
    var interval: Duration = .seconds(60)

    func run() async throws {
        let sessions = sessions
        let authorization = authorization
        let logger = logger
        let interval = interval
        try? await cancelWhenGracefulShutdown {
            var ticks = 0
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                let reaped = await sessions.reapIdle()
                if reaped > 0 { logger.info("closed idle MCP sessions", metadata: ["gg.count": "\(reaped)"]) }
                await sessions.purgeConsumedStates()
                ticks += 1
                if ticks % 10 == 1 {
                    do {
                        try await authorization.purgeExpired()
                    } catch {
                        logger.warning("purging expired OAuth rows failed", metadata: ["gg.error": "\(error)"])
                    }
                }
            }
        }
    }
}
