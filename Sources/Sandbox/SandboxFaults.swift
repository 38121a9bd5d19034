/// Injected failures for Graph (and optionally token endpoint) requests.
///
/// Rates are probabilities in 0...1 drawn per request. Set at start in ``SandboxConfiguration/faults``
/// or at runtime with `PUT /_sandbox/faults` (same JSON field names).
public struct SandboxFaults: Sendable, Codable, Equatable {
    /// Share of Graph requests answered 429 `ApplicationThrottled`.
    public var throttleRate: Double
    /// Share of Graph requests answered 503 `ServiceUnavailable`.
    public var unavailableRate: Double
    /// Share of Graph requests answered 504 `GatewayTimeout`.
    public var gatewayTimeoutRate: Double
    /// Share of Graph requests whose connection is closed without an answer.
    public var dropConnectionRate: Double
    /// `Retry-After` seconds sent with injected 429/503/504 answers.
    public var retryAfterSeconds: Int
    /// Latency added to every Graph request, in milliseconds.
    public var latencyMilliseconds: Int
    /// Whether the token endpoint is also subject to the rates above.
    public var includeTokenEndpoint: Bool
    /// Answer the next N Graph requests with 429 regardless of rates (deterministic tests).
    public var throttleNextRequests: Int
    /// Answer the next N Graph requests with `failNextStatus` in Graph's error envelope (deterministic tests).
    public var failNextRequests: Int
    /// Status (400...599) of the answers `failNextRequests` injects.
    public var failNextStatus: Int
    /// Replaces the `message` (Graph) or `error_description` (token endpoint) of every injected error answer, so
    /// leak tests can make Microsoft's error text carry a canary.
    public var errorMessage: String?

    /// Creates fault settings; the default injects nothing.
    public init(
        throttleRate: Double = 0,
        unavailableRate: Double = 0,
        gatewayTimeoutRate: Double = 0,
        dropConnectionRate: Double = 0,
        retryAfterSeconds: Int = 1,
        latencyMilliseconds: Int = 0,
        includeTokenEndpoint: Bool = false,
        throttleNextRequests: Int = 0,
        failNextRequests: Int = 0,
        failNextStatus: Int = 500,
        errorMessage: String? = nil
    ) {
        self.throttleRate = throttleRate
        self.unavailableRate = unavailableRate
        self.gatewayTimeoutRate = gatewayTimeoutRate
        self.dropConnectionRate = dropConnectionRate
        self.retryAfterSeconds = retryAfterSeconds
        self.latencyMilliseconds = latencyMilliseconds
        self.includeTokenEndpoint = includeTokenEndpoint
        self.throttleNextRequests = throttleNextRequests
        self.failNextRequests = failNextRequests
        self.failNextStatus = min(max(failNextStatus, 400), 599)
        self.errorMessage = errorMessage
    }

    enum CodingKeys: String, CodingKey {
        case throttleRate, unavailableRate, gatewayTimeoutRate, dropConnectionRate, retryAfterSeconds
        case latencyMilliseconds, includeTokenEndpoint, throttleNextRequests, failNextRequests, failNextStatus
        case errorMessage
    }

    /// Decodes a partial JSON object; missing fields keep their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SandboxFaults()
        throttleRate = try c.decodeIfPresent(Double.self, forKey: .throttleRate) ?? d.throttleRate
        unavailableRate = try c.decodeIfPresent(Double.self, forKey: .unavailableRate) ?? d.unavailableRate
        gatewayTimeoutRate = try c.decodeIfPresent(Double.self, forKey: .gatewayTimeoutRate) ?? d.gatewayTimeoutRate
        dropConnectionRate = try c.decodeIfPresent(Double.self, forKey: .dropConnectionRate) ?? d.dropConnectionRate
        retryAfterSeconds = try c.decodeIfPresent(Int.self, forKey: .retryAfterSeconds) ?? d.retryAfterSeconds
        latencyMilliseconds = try c.decodeIfPresent(Int.self, forKey: .latencyMilliseconds) ?? d.latencyMilliseconds
        includeTokenEndpoint = try c.decodeIfPresent(Bool.self, forKey: .includeTokenEndpoint) ?? d.includeTokenEndpoint
        throttleNextRequests = try c.decodeIfPresent(Int.self, forKey: .throttleNextRequests) ?? d.throttleNextRequests
        failNextRequests = try c.decodeIfPresent(Int.self, forKey: .failNextRequests) ?? d.failNextRequests
        let status = try c.decodeIfPresent(Int.self, forKey: .failNextStatus) ?? d.failNextStatus
        failNextStatus = min(max(status, 400), 599)
        errorMessage = try c.decodeIfPresent(String.self, forKey: .errorMessage)
    }
}
