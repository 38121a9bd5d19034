/// Graph's `user` (the signed-in account).
public struct GraphUser: Codable, Sendable {
    public var id: String
    public var displayName: String?
    public var mail: String?
    public var userPrincipalName: String?
    public var jobTitle: String?
    public var officeLocation: String?
    public var preferredLanguage: String?

    public static let defaultSelect = "id,displayName,mail,userPrincipalName,jobTitle,officeLocation,preferredLanguage"
}

/// The part of Graph's `mailboxSettings` graphgate reads.
public struct GraphMailboxSettings: Codable, Sendable {
    /// Windows or IANA zone name the user chose in Outlook.
    public var timeZone: String?
}
