import JSONText

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

extension GraphContact: GraphDecodable {
    public init(json r: inout JSONReader) throws(JSONReader.Failure) {
        var id: String?
        try r.beginObject()
        while let member = try r.nextMemberKey() {
            switch member {
            case "id": id = try r.string()
            case "displayName": displayName = try r.optionalString()
            case "givenName": givenName = try r.optionalString()
            case "surname": surname = try r.optionalString()
            case "emailAddresses": emailAddresses = try r.optionalArray(of: GraphEmailAddress.self)
            case "businessPhones": businessPhones = try r.optionalStrings()
            case "mobilePhone": mobilePhone = try r.optionalString()
            case "companyName": companyName = try r.optionalString()
            case "jobTitle": jobTitle = try r.optionalString()
            default: try r.skip()
            }
        }
        guard let id else { throw r.missing("id") }
        self.id = id
    }
}
