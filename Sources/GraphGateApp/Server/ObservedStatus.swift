import Hummingbird

/// Runs the rest of the middleware chain and reports the status the client will see: the response's, an
/// `HTTPResponseError`'s, or 500 for any other error. Errors are rethrown unchanged. Shared by the request log
/// and the HTTP metrics so both count the same outcome.
func observingStatus(
    _ next: () async throws -> Response, report: (Int) -> Void
) async throws -> Response {
    do {
        let response = try await next()
        report(response.status.code)
        return response
    } catch let error as any HTTPResponseError {
        report(error.status.code)
        throw error
    } catch {
        report(500)
        throw error
    }
}
