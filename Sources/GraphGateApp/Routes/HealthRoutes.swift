import GraphGateWeb
import Hummingbird
import Storage

/// `/healthz`: liveness, naming the mode and the store so an operator sees at once what is running.
struct HealthRoutes {
    let mode: String
    let store: Database.Backend

    struct Health: ResponseEncodable {
        let status: String
        let mode: String
        let store: String
    }

    func add(to router: Router<GraphGateRequestContext>) {
        router.get("healthz") { _, _ in
            Health(status: "ok", mode: mode, store: store.rawValue)
        }
    }
}
