import ArgumentParser

/// Flags for the limits settings. Each overrides the environment variable of the same name.
struct LimitsOptions: ParsableArguments {
    @Option(help: "Budgets, e.g. ip=600/1m,login_failures=30/5m,register=100/1h,tool=120/1m. [GRAPHGATE_RATE_LIMITS]")
    var rateLimits: String?
    @Option(help: "Largest request head in bytes; larger gets 431. [GRAPHGATE_MAX_HEADER_BYTES, default 16384]")
    var maxHeaderBytes: String?
    @Option(help: "Time to send complete request headers. [GRAPHGATE_HEADER_TIMEOUT, default 10s]")
    var headerTimeout: String?
    @Option(help: "Idle connections are closed after this. [GRAPHGATE_IDLE_TIMEOUT, default 60s]")
    var idleTimeout: String?
    @Option(help: "Hosts whose client metadata documents may be fetched. [GRAPHGATE_CLIENT_METADATA_HOSTS]")
    var clientMetadataHosts: String?
    @Option(help: "PEM of extra CAs for client metadata fetches. [GRAPHGATE_CLIENT_METADATA_CA]")
    var clientMetadataCa: String?
    @Option(help: "Delete registered clients unused this many days. [GRAPHGATE_CLIENT_IDLE_DAYS, default 30]")
    var clientIdleDays: String?

    var flags: [String: String] {
        let pairs: [(String, String?)] = [
            ("GRAPHGATE_RATE_LIMITS", rateLimits), ("GRAPHGATE_MAX_HEADER_BYTES", maxHeaderBytes),
            ("GRAPHGATE_HEADER_TIMEOUT", headerTimeout), ("GRAPHGATE_IDLE_TIMEOUT", idleTimeout),
            ("GRAPHGATE_CLIENT_METADATA_HOSTS", clientMetadataHosts),
            ("GRAPHGATE_CLIENT_METADATA_CA", clientMetadataCa), ("GRAPHGATE_CLIENT_IDLE_DAYS", clientIdleDays),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { name, value in value.map { (name, $0) } })
    }
}
