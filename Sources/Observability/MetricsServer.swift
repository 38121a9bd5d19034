import Hummingbird
import Logging

/// `/metrics` on its own port (`GRAPHGATE_METRICS_PORT`), for deployments that scrape from a private network and
/// keep the metrics off the public listener. It is an `Application`, hence a `Service` run next to the main one.
package enum MetricsServer {
    package static func make(host: String, port: Int, token: String?, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        MetricsRoutes(token: token).add(to: router)
        router.get("healthz") { _, _ in "ok" }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
            logger: logger)
    }
}
