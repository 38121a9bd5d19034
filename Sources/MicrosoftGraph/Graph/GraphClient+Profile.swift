extension GraphClient {
    /// The signed-in user (`GET /me`).
    public func me() async throws -> GraphUser {
        try await json(GraphRequest(.get, "/v1.0/me", query: [("$select", GraphUser.defaultSelect)]))
    }
}
