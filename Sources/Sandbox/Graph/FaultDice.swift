/// Draws injected faults from the configured rates.
enum FaultDice {
    enum Outcome { case drop, throttle, unavailable, timeout }

    static func roll(_ f: SandboxFaults) -> Outcome? {
        let x = Double.random(in: 0..<1)
        var edge = f.dropConnectionRate
        if x < edge { return .drop }
        edge += f.throttleRate
        if x < edge { return .throttle }
        edge += f.unavailableRate
        if x < edge { return .unavailable }
        edge += f.gatewayTimeoutRate
        if x < edge { return .timeout }
        return nil
    }
}
