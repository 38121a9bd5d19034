import Foundation

/// A new contact (`POST /me/contacts`).
public struct GraphContactDraft: Encodable, Sendable {
    public var givenName: String?
    public var surname: String?
    public var displayName: String?
    public var emailAddresses: [GraphEmailAddress]?
    public var businessPhones: [String]?
    public var mobilePhone: String?
    public var companyName: String?
    public var jobTitle: String?

    public init(
        givenName: String? = nil, surname: String? = nil, displayName: String? = nil,
        emailAddresses: [GraphEmailAddress]? = nil, businessPhones: [String]? = nil, mobilePhone: String? = nil,
        companyName: String? = nil, jobTitle: String? = nil
    ) {
        self.givenName = givenName
        self.surname = surname
        self.displayName = displayName
        self.emailAddresses = emailAddresses
        self.businessPhones = businessPhones
        self.mobilePhone = mobilePhone
        self.companyName = companyName
        self.jobTitle = jobTitle
    }
}

extension GraphClient {
    /// Contacts, optionally those whose name or address starts with `prefix` (an OData `startswith` filter).
    public func contacts(prefix: String?, top: Int) async throws -> GraphPage<GraphContact> {
        var query = [("$select", GraphContact.defaultSelect), ("$top", "\(top)")]
        if let prefix {
            let q = prefix.replacingOccurrences(of: "'", with: "''")
            query.append(
                (
                    "$filter",
                    "startswith(displayName,'\(q)') or startswith(givenName,'\(q)') or startswith(surname,'\(q)') "
                        + "or emailAddresses/any(a:startswith(a/address,'\(q)'))"
                ))
        } else {
            query.append(("$orderby", "displayName"))
        }
        return try await page(GraphRequest(.get, "/v1.0/me/contacts", query: query))
    }

    public func contact(_ id: String) async throws -> GraphContact {
        try await json(
            GraphRequest(
                .get, "/v1.0/me/contacts/\(GraphRequest.segment(id))", query: [("$select", GraphContact.defaultSelect)])
        )
    }

    public func createContact(_ draft: GraphContactDraft) async throws -> GraphContact {
        try await json(GraphRequest(.post, "/v1.0/me/contacts", body: try Self.encode(draft)))
    }
}
