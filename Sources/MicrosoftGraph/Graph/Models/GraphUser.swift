import JSONText

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

extension GraphUser: GraphDecodable {
    public init(json r: inout JSONReader) throws(JSONReader.Failure) {
        var id: String?
        try r.beginObject()
        while let member = try r.nextMemberKey() {
            switch member {
            case "id": id = try r.string()
            case "displayName": displayName = try r.optionalString()
            case "mail": mail = try r.optionalString()
            case "userPrincipalName": userPrincipalName = try r.optionalString()
            case "jobTitle": jobTitle = try r.optionalString()
            case "officeLocation": officeLocation = try r.optionalString()
            case "preferredLanguage": preferredLanguage = try r.optionalString()
            default: try r.skip()
            }
        }
        guard let id else { throw r.missing("id") }
        self.id = id
    }
}

extension GraphMailboxSettings: GraphDecodable {
    public init(json r: inout JSONReader) throws(JSONReader.Failure) {
        try r.beginObject()
        while let member = try r.nextMemberKey() {
            switch member {
            case "timeZone": timeZone = try r.optionalString()
            default: try r.skip()
            }
        }
    }
}
