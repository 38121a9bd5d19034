import MCP

/// A question for the person, asked through their MCP client before something irreversible (form-mode
/// elicitation: a message and a flat JSON schema of the fields to fill in).
///
/// How it is asked depends on the protocol era, and is the protocol core's business, not the tool's: in the
/// handshake era as an in-band `elicitation/create` request when the client declared the capability; in the
/// 2026-07-28 era as an `InputRequiredResult` answered on retry. A tool only sees the answer.
struct Elicitation: Sendable {
    /// Identifies this question within one tool call (the key of its answer on a 2026-era retry).
    var key: String
    var message: String
    /// JSON schema (`type: object`) of the answer's fields.
    var schema: Value
}

/// What the person answered.
enum ElicitationAnswer: Sendable, Equatable {
    case accepted([String: Value])
    case declined
    /// The client cannot ask (no elicitation capability, or it did not answer). Callers must fail closed.
    case unsupported
}
