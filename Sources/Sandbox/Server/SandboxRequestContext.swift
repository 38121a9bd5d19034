import Hummingbird
import Logging
import NIOCore

/// The per-request context: the connection (to drop it on purpose, and to check the peer) and a logger.
struct SandboxRequestContext: InitializableFromSource {
    let channel: any Channel
    let logger: Logger

    init(source: ApplicationRequestContextSource) {
        channel = source.channel
        logger = source.logger
    }

    /// Whether the peer is on the loopback interface.
    var peerIsLoopback: Bool {
        guard let ip = channel.remoteAddress?.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }
}
