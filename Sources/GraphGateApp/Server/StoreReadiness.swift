import ServiceLifecycle
import Synchronization

/// Opens once the store is reachable and migrated (the application's `beforeServerStarts` step). The
/// background services that touch the store start behind it, so none of them reads a table a migration has not
/// made yet; the HTTP server itself starts only after that step.
final class StoreReadiness: Sendable {
    private struct State {
        var open = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    func markReady() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.open = true
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when the store is ready, or at once when the task is cancelled.
    func wait() async {
        let id = state.withLock { s -> Int in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.open || Task.isCancelled { return true }
                    s.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// `service`, started once the store is ready (and not at all when the group stops before that).
    func gate(_ service: any Service) -> any Service { AfterStoreReady(readiness: self, service: service) }
}

private struct AfterStoreReady: Service {
    let readiness: StoreReadiness
    let service: any Service

    func run() async throws {
        await cancelWhenGracefulShutdown { await readiness.wait() }
        guard !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
        try await service.run()
    }
}
