import Foundation

/// A started device code flow (RFC 8628, Microsoft's `/devicecode`). `deviceCode` is secret; show the user only
/// `userCode` and `verificationURI` (or `message`).
public struct DeviceAuthorization: Sendable, CustomStringConvertible {
    public var deviceCode: String
    public var userCode: String
    public var verificationURI: String
    /// Microsoft's localized instruction for the user.
    public var message: String
    public var expiresAt: Date
    /// Seconds between polls.
    public var interval: Int
    public var scopes: [String]

    public var description: String {
        "DeviceAuthorization(verification_uri: \(verificationURI), expires_at: \(Int(expiresAt.timeIntervalSince1970)))"
    }
}
