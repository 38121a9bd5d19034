
/// A question for the person, asked through their MCP client before something irreversible (form-mode
/// elicitation: a message and a flat JSON schema of the fields to fill in).
///
/// How it is asked depends on the protocol era, and is the protocol core's business, not the tool's: in the
/// handshake era as an in-band `elicitation/create` request when the client declared the capability; in the
/// 2026-07-28 era as an `InputRequiredResult` answered on retry. A tool only sees the answer.
public struct Elicitation: Sendable {
    /// Identifies this question within one tool call (the key of its answer on a 2026-era retry).
    public var key: String
    public var message: String
    /// JSON schema (`type: object`) of the answer's fields.
    public var schema: Value

    public init(key: String, message: String, schema: Value) {
        self.key = key
        self.message = message
        self.schema = schema
    }
}

/// What the person answered.
public enum ElicitationAnswer: Sendable, Equatable {
    case accepted(JSONObject)
    case declined
    /// The client cannot ask (no elicitation capability, or it did not answer). Callers must fail closed.
    case unsupported
}

/// Thrown by `ToolInvocation.elicit` in the 2026-07-28 era when the answer is not in the request yet: the call
/// ends with an `InputRequiredResult` carrying `question`, and the client's retry brings the answer.
public struct InputRequired: Error {
    public var question: Elicitation

    public init(question: Elicitation) { self.question = question }
}
