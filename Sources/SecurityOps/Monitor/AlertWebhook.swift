import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Posts alerts as JSON to the configured webhook, in the background, with retries.
///
/// `enqueue` never waits for the network; `run()` (wrapped in a `Service` by the app) delivers in order. Each
/// alert is tried `attempts` times with doubling back-off on a connection error or a non-2xx answer, and is
/// dropped (logged at `error`) after that. Retries repeat the same `id`, so a receiver can de-duplicate.
public final class AlertWebhook: Sendable {
    let url: String
    let httpClient: HTTPClient
    let logger: Logger
    let attempts: Int
    let backoff: Duration
    private let stream: AsyncStream<SecurityAlert>
    private let continuation: AsyncStream<SecurityAlert>.Continuation

    public init(
        url: String, httpClient: HTTPClient, logger: Logger, attempts: Int = 4, backoff: Duration = .seconds(1)
    ) {
        self.url = url
        self.httpClient = httpClient
        self.logger = logger
        self.attempts = max(1, attempts)
        self.backoff = backoff
        (stream, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1000))
    }

    public func enqueue(_ alert: SecurityAlert) {
        continuation.yield(alert)
    }

    /// Delivers queued alerts until cancelled (then the queue is finished).
    public func run() async {
        await withTaskCancellationHandler {
            for await alert in stream {
                _ = await deliver(alert)
            }
        } onCancel: {
            continuation.finish()
        }
    }

    /// Posts one alert, retrying; true once the receiver answered 2xx.
    public func deliver(_ alert: SecurityAlert) async -> Bool {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let body = try? encoder.encode(alert) else { return false }
        var delay = backoff
        for attempt in 1...attempts {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "graphgate-alerts")
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await httpClient.execute(request, timeout: .seconds(10))
                _ = try? await response.body.collect(upTo: 64 * 1024)
                if (200..<300).contains(response.status.code) { return true }
                logger.warning(
                    "alert webhook refused an alert",
                    metadata: [
                        "gg.status": "\(response.status.code)", "gg.attempt": "\(attempt)", "gg.alert": "\(alert.id)",
                    ])
            } catch {
                logger.warning(
                    "alert webhook unreachable",
                    metadata: ["gg.error": "\(type(of: error))", "gg.attempt": "\(attempt)", "gg.alert": "\(alert.id)"])
            }
            if attempt < attempts {
                try? await Task.sleep(for: delay)
                delay = delay * 2
            }
        }
        logger.error("alert could not be delivered to the webhook", metadata: ["gg.alert": "\(alert.id)"])
        return false
    }
}
