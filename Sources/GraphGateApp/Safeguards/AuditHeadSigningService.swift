import SecurityOps
import ServiceLifecycle

/// Signs the audit chain's head at start, every `interval`, and once more at graceful shutdown.
///
/// The final signature relies on the shutdown order: the app's services stop in reverse order after the HTTP
/// server has drained (so no request writes audit events any more), and the store is the app's first service, so
/// it closes only after every other service has stopped. A hard cancellation skips it.
struct AuditHeadSigningService: Service {
    let signer: AuditHeadSigner
    let interval: Duration

    func run() async throws {
        let signer = signer
        let interval = interval
        await cancelWhenGracefulShutdown { await signer.run(every: interval) }
        guard !Task.isCancelled else { return }
        await signer.signFinal()
    }
}
