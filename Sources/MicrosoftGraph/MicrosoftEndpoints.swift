import Foundation
import Synchronization

/// Where Microsoft is for this process: the identity platform's authority and Graph's base URL.
///
/// Fixed from the configuration, except in sandbox mode: the emulated tenant picks its port when it starts, so
/// the composition root points these at it before the server takes its first request (``moveTo(authority:graph:)``).
/// Clients read them per request, never copy them at start.
public final class MicrosoftEndpoints: Sendable {
    private struct URLs: Sendable {
        var authority: URL
        var graph: URL
    }

    private let urls: Mutex<URLs>

    public init(authority: URL, graph: URL) {
        urls = Mutex(URLs(authority: authority, graph: graph))
    }

    /// The identity platform authority (`https://login.microsoftonline.com`).
    public var authority: URL { urls.withLock { $0.authority } }
    /// Graph's base URL (`https://graph.microsoft.com`); paths start with `/v1.0/`.
    public var graph: URL { urls.withLock { $0.graph } }

    /// Points both at a server that is now listening (the emulated tenant).
    public func moveTo(authority: URL, graph: URL) {
        urls.withLock { $0 = URLs(authority: authority, graph: graph) }
    }
}
