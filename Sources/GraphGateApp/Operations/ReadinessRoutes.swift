import Foundation
import GraphGateWeb
import Hummingbird
import Observability

/// `/readyz`: 200 when every probe passes, else 503, with each probe's state as JSON. Load balancers and
/// orchestrators use it to send traffic only to an instance that can serve (unlike `/healthz`, which only says
/// the process is alive). Probes run concurrently.
struct ReadinessRoutes {
    let probes: [ReadinessProbe]

    struct Report: Encodable {
        let status: String
        let checks: [String: String]
    }

    func add(to router: Router<GraphGateRequestContext>) {
        router.get("readyz") { _, _ -> Response in
            let results = await withTaskGroup(of: (String, String?).self) { group in
                for probe in probes { group.addTask { (probe.name, await probe.check()) } }
                var results: [String: String] = [:]
                var ready = true
                for await (name, problem) in group {
                    results[name] = problem ?? "ok"
                    if problem != nil { ready = false }
                }
                return (ready, results)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let body = try encoder.encode(Report(status: results.0 ? "ready" : "not_ready", checks: results.1))
            return Response(
                status: results.0 ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json", .cacheControl: "no-store"],
                body: .init(byteBuffer: .init(bytes: body)))
        }
    }
}
