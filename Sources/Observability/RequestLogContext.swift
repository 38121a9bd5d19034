import Logging

/// The request a task is serving, for log lines that are not written through `context.logger` (tool handlers,
/// the Graph client, the vault): `RequestIDMiddleware` binds the id for the request's task, and every handler
/// `GraphGateLogging` makes adds it as `gg.request_id` through `metadataProvider`. Task-locals flow into child
/// tasks, so nothing has to pass the id through the MCP core.
public enum RequestLogContext {
    @TaskLocal public static var requestId: String?

    /// Adds `gg.request_id` to every line logged while a request id is bound.
    public static let metadataProvider = Logger.MetadataProvider {
        guard let id = requestId else { return [:] }
        return ["gg.request_id": .string(id)]
    }
}
