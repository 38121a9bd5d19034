import AsyncHTTPClient
import Foundation
import GraphGateSettings
import Logging
import MCPGateway
import MicrosoftGraph
import Storage
import TokenVault

/// Everything the routes need, built once at start (the composition root).
public struct AppComponents: Sendable {
    public let config: GraphGateConfig
    public let logger: Logger
    /// For the readiness probe and the pool metrics only; the data is read and written through `stores`.
    public let database: Database
    /// Every store, built once from `database` by the root (`buildApplication`).
    public let stores: Stores
    public var users: any UserStore { stores.users }
    /// The shared outbound HTTP client (Microsoft identity platform and Graph).
    public let httpClient: HTTPClient
    /// Where Microsoft's identity platform and Graph are (the emulated tenant in sandbox mode, once it listens).
    public let microsoft: MicrosoftEndpoints
    /// Audit log (the `AuditRecorder` every module records to), rate limits, monitor and alerts, redaction.
    public let security: SecurityServices
    /// Microsoft's tokens per user: sign-in (`MicrosoftSignIn`), token providers for Graph, consent links. One
    /// per process (single-flight refresh is per instance). Its identity client is `vault.identity`.
    public let vault: TokenVault
    /// Send confirmations made on graphgate's `/confirm` page, shared by that page and the tool catalogue.
    public let sendConfirmations: SendConfirmations
}
