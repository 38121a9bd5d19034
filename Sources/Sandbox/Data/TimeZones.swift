import Foundation

/// Windows time zone names (what Outlook uses) and their IANA equivalents.
enum TimeZones {
    static let windowsToIANA: [String: String] = [
        "UTC": "UTC", "Pacific Standard Time": "America/Los_Angeles", "Eastern Standard Time": "America/New_York",
        "Central Standard Time": "America/Chicago", "Mountain Standard Time": "America/Denver",
        "W. Europe Standard Time": "Europe/Berlin", "GMT Standard Time": "Europe/London",
        "Romance Standard Time": "Europe/Paris", "Tokyo Standard Time": "Asia/Tokyo",
        "India Standard Time": "Asia/Kolkata", "AUS Eastern Standard Time": "Australia/Sydney",
    ]

    /// Resolves a Windows or IANA zone name; nil when unknown.
    static func zone(_ name: String) -> TimeZone? {
        let trimmed = name.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        if let iana = windowsToIANA[trimmed] { return TimeZone(identifier: iana) }
        if let w = windowsToIANA.first(where: { $0.key.lowercased() == trimmed.lowercased() }) {
            return TimeZone(identifier: w.value)
        }
        return TimeZone(identifier: trimmed)
    }
}
