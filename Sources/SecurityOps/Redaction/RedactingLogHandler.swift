import Logging

/// A swift-log handler that redacts every message and metadata value before passing it to the wrapped handler.
/// The app's logging bootstrap wraps its real handler in this, so a secret that slips into a log call still
/// never reaches the output.
public struct RedactingLogHandler: LogHandler {
    private var wrapped: any LogHandler
    private let redactor: Redactor

    public init(wrapping handler: any LogHandler, redactor: Redactor = .standard) {
        self.wrapped = handler
        self.redactor = redactor
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set { wrapped.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        // Handler-level and provider metadata are merged here, so the wrapped handler sees only redacted values.
        var merged = wrapped.metadata
        if let provided = wrapped.metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let metadata = event.metadata { merged.merge(metadata) { _, new in new } }
        if let error = event.error { merged["gg.error"] = .string(String(describing: error)) }
        var inner = wrapped
        inner.metadataProvider = nil
        inner.metadata = [:]
        var redacted = event
        redacted.message = "\(redactor.redact(event.message.description))"
        redacted.metadata = merged.isEmpty ? nil : merged.mapValues(redact)
        redacted.error = nil
        inner.log(event: redacted)
    }

    private func redact(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(redactor.redact(text))
        case .stringConvertible(let convertible): .string(redactor.redact(convertible.description))
        case .array(let values): .array(values.map(redact))
        case .dictionary(let values): .dictionary(values.mapValues(redact))
        }
    }
}
