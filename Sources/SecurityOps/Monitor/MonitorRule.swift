/// A threshold: `threshold` occurrences of `signal` for one subject within `window` raise an alert, and
/// optionally block the subject (IP or user) for `blockFor`. Windows start every half `window` (see
/// ``SecurityMonitor``).
public struct MonitorRule: Sendable, Equatable {
    public var signal: SecuritySignal
    public var threshold: Int
    public var window: Duration
    public var blockFor: Duration?

    public init(signal: SecuritySignal, threshold: Int, window: Duration, blockFor: Duration? = nil) {
        self.signal = signal
        self.threshold = max(1, threshold)
        self.window = window
        self.blockFor = blockFor
    }

    /// The step of the windows: half the window, whole seconds (an odd window is rounded down to even).
    var halfWindowSeconds: Int64 { max(1, window.components.seconds / 2) }

    /// The defaults: 30 failed authentications in 5 minutes per IP or user (then a 15-minute block of its
    /// unauthenticated traffic), 300 invalid bearer tokens per address or user in 5 minutes (an alert only), any
    /// cross-user attempt at once, 5 refresh failures or 1 decrypt failure per hour, 50 rate-limit refusals in
    /// 5 minutes, 50 sends per user per hour.
    public static let defaults: [MonitorRule] = [
        MonitorRule(signal: .failedAuth, threshold: 30, window: .seconds(300), blockFor: .seconds(900)),
        MonitorRule(signal: .invalidBearer, threshold: 300, window: .seconds(300)),
        MonitorRule(signal: .crossUserAccess, threshold: 1, window: .seconds(3600)),
        MonitorRule(signal: .refreshFailure, threshold: 5, window: .seconds(3600)),
        MonitorRule(signal: .decryptFailure, threshold: 1, window: .seconds(3600)),
        MonitorRule(signal: .rateLimitHit, threshold: 50, window: .seconds(300)),
        MonitorRule(signal: .send, threshold: 50, window: .seconds(3600)),
    ]
}
