import SecurityOps
import ServiceLifecycle

/// Waits for graceful shutdown, then for the audit log's write-behind queue to drain.
///
/// It is the last of the security services, so (services stop in reverse order) it stops right after the HTTP
/// server has drained and before `AuditHeadSigningService` signs the final head, which then covers every row.
struct AuditFlushService: Service {
    let audit: AuditLog

    func run() async throws {
        // Cancelled (a hard stop) rather than shut down gracefully: nothing to wait for.
        guard (try? await gracefulShutdown()) != nil else { return }
        await audit.flush()
    }
}
