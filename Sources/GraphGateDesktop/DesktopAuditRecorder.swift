import Logging
import SecurityOps

/// Audit for `graphgate stdio`: events go to the audit log of the local store that is open, with the placeholder
/// principal replaced by the store's owner. With no store (nobody signed in) there is nowhere durable to write,
/// so the event is logged to stderr instead.
struct DesktopAuditRecorder: AuditRecorder {
    /// The user id the stdio principal carries until the owner is known.
    static let placeholderUser = "local"

    let cache: DesktopStoreCache
    let logger: Logger

    func record(_ event: AuditEvent) async {
        var event = event
        let current: DesktopStoreCache.Current?
        if let open = await cache.openStore() {
            current = open
        } else {
            current = try? await cache.get()
        }
        guard let current else {
            logger.info(
                "audit event not stored: nobody is signed in",
                metadata: ["gg.event": "\(event.type)", "gg.outcome": "\(event.outcome.rawValue)"])
            return
        }
        if event.userId == Self.placeholderUser { event.userId = current.ownerId }
        await current.store.audit.record(event)
    }
}
