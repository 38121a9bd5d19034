import Hummingbird

/// `/healthz`: liveness, naming the mode and the store so an operator sees at once what is running.
struct HealthRoutes {
    let components: AppComponents

    struct Health: ResponseEncodable {
        let status: String
        let mode: String
        let store: String
    }

    func add(to router: Router<GraphGateRequestContext>) {
        router.get("healthz") { _, _ in
            Health(status: "ok", mode: components.config.modeName, store: components.database.backend.rawValue)
        }
    }
}
