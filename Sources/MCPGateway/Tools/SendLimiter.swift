import Foundation

/// Counts sends per user in a rolling hour (in memory: per instance).
public actor SendLimiter {
    private var sends: [String: [Date]] = [:]

    public init() {}

    /// Takes one send from `userId`'s hourly allowance; false when `limit` sends already happened this hour.
    public func take(userId: String, limit: Int, now: Date = Date()) -> Bool {
        let since = now.addingTimeInterval(-3600)
        var recent = (sends[userId] ?? []).filter { $0 > since }
        guard recent.count < limit else {
            sends[userId] = recent
            return false
        }
        recent.append(now)
        sends[userId] = recent
        return true
    }

    /// Gives back a send that did not happen (Graph refused it).
    public func giveBack(userId: String) {
        guard var recent = sends[userId], !recent.isEmpty else { return }
        recent.removeLast()
        sends[userId] = recent
    }
}
