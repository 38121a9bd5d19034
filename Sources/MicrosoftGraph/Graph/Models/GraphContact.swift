/// Graph's `contact`.
public struct GraphContact: Codable, Sendable {
    public var id: String
    public var displayName: String?
    public var givenName: String?
    public var surname: String?
    public var emailAddresses: [GraphEmailAddress]?
    public var businessPhones: [String]?
    public var mobilePhone: String?
    public var companyName: String?
    public var jobTitle: String?

    public static let defaultSelect =
        "id,displayName,givenName,surname,emailAddresses,businessPhones,mobilePhone,companyName,jobTitle"
}
