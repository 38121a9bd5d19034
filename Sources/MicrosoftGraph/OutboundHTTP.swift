import AsyncHTTPClient

extension HTTPClient.Configuration {
    /// The client graphgate calls Microsoft (Graph and sign-in) with: 10 s to connect, 60 s to read, idle
    /// connections kept 60 s, at most `connectionsPerHost` at once to one host, and no tracing. graphgate
    /// bootstraps no tracer, yet AsyncHTTPClient's default takes the global (no-op) one and starts a span per
    /// request, about 1.5% of a tool call's CPU.
    public static func microsoft(connectionsPerHost: Int = 8) -> Self {
        var configuration = HTTPClient.Configuration(
            timeout: .init(connect: .seconds(10), read: .seconds(60)),
            connectionPool: .init(
                idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost))
        configuration.tracing.tracer = nil
        return configuration
    }
}
