import AsyncHTTPClient
import Foundation
import Logging
import Storage

/// Everything the routes need, built once at start (the composition root).
public struct AppComponents: Sendable {
    public let config: GraphGateConfig
    public let logger: Logger
    public let database: Database
    public let users: any UserStore
    /// The shared outbound HTTP client (Microsoft identity platform and Graph).
    public let httpClient: HTTPClient
    /// Microsoft identity platform authority and Graph base URL actually used (the emulated tenant in sandbox).
    public let msAuthority: URL
    public let graphURL: URL
    public let msClientId: String
    public let msClientSecret: String?
    public let msTenant: String
}
