/// A configuration value that cannot be used. The message names the variable and the expected form and never
/// contains the value of a secret.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var variable: String
    public var problem: String

    public init(_ variable: String, _ problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "\(variable): \(problem)" }
}
