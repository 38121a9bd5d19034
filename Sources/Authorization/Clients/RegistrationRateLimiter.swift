/// Caps dynamic client registrations per source address (a fixed one-minute window, in memory per instance).
actor RegistrationRateLimiter {
    private let perMinute: Int
    private var windows: [String: (start: Int64, count: Int)] = [:]

    init(perMinute: Int) { self.perMinute = perMinute }

    /// True when one more registration from `source` is allowed at `now` (and counts it).
    func allow(source: String, now: Int64) -> Bool {
        if windows.count > 10_000 { windows = windows.filter { now - $0.value.start < 60 } }
        var window = windows[source] ?? (now, 0)
        if now - window.start >= 60 { window = (now, 0) }
        guard window.count < perMinute else {
            windows[source] = window
            return false
        }
        window.count += 1
        windows[source] = window
        return true
    }
}
