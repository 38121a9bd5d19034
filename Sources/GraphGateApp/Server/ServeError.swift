import GraphGateSettings

/// Why `graphgate serve` could not start, in one line a newcomer can act on.
public enum ServeError: Error, CustomStringConvertible {
    case portInUse(host: String, port: Int)
    /// The separate metrics listener's port (`GRAPHGATE_METRICS_PORT`) is taken.
    case metricsPortInUse(host: String, port: Int)
    case cannotListen(host: String, port: Int, reason: String)
    case storage(String)
    /// The token vault's keyring is missing (production) or unreadable.
    case keyring(String)

    public var description: String {
        switch self {
        case .portInUse(let host, let port):
            "cannot listen on \(host):\(port): the port is already in use (set \(GraphGateConfig.port.name) or --\(GraphGateConfig.port.flag))"
        case .metricsPortInUse(let host, let port):
            "cannot listen on \(host):\(port) for /metrics: the port is already in use (set "
                + "\(OperationsConfig.metricsPort.name) or --\(OperationsConfig.metricsPort.flag))"
        case .cannotListen(let host, let port, let reason): "cannot listen on \(host):\(port): \(reason)"
        case .storage(let why): why
        case .keyring(let why): why
        }
    }
}
