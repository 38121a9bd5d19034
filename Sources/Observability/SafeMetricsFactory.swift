import CoreMetrics
import Foundation
import Synchronization

/// Wraps the Prometheus factory so a metric declared inconsistently (the same label as a counter in one place and
/// a gauge in another, or with and without dimensions) cannot crash the server: swift-prometheus treats that as a
/// programming error (`fatalError`). The second shape gets its own series, suffixed `_conflict_<kind>`, and one
/// warning is printed, so the mistake is visible in `/metrics` and the log instead of taking the process down.
///
/// It also keeps each handler it made: call sites create their `Counter(label:dimensions:)` where they count (a
/// request makes half a dozen), and the backend's look-up behind two locks cost more than the counting. The
/// label sets are bounded by design (route patterns, status codes, tool names), so the table is too.
package final class SafeMetricsFactory: MetricsFactory, Sendable {
    private struct Shape: Hashable {
        let kind: String
        let labelled: Bool
    }

    /// A handler made: its kind, label and dimensions, and the registry of the task's own scope if it has one
    /// (held, so its identity cannot be reused while the entry exists).
    private struct HandleKey: Hashable, @unchecked Sendable {
        let kind: String
        let label: String
        let dimensions: [String]
        let scope: AnyObject?

        init(_ kind: String, _ label: String, _ dimensions: [(String, String)], scope: AnyObject?) {
            self.kind = kind
            self.label = label
            self.dimensions = dimensions.flatMap { [$0.0, $0.1] }
            self.scope = scope
        }

        static func == (a: Self, b: Self) -> Bool {
            a.kind == b.kind && a.label == b.label && a.dimensions == b.dimensions && a.scope === b.scope
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(label)
            hasher.combine(dimensions)
            hasher.combine(scope.map(ObjectIdentifier.init))
        }
    }

    private let wrapped: any MetricsFactory
    private let shapes = Mutex<[String: Shape]>([:])
    private let handles = Mutex<[HandleKey: Kept]>([:])

    /// A handler in the table (every metrics handler is `Sendable`; the protocols say so, the generic code cannot).
    private struct Kept: @unchecked Sendable {
        let handler: AnyObject
    }

    package init(wrapping factory: any MetricsFactory) { self.wrapped = factory }

    /// Where handlers are made: the task's own registry when it has one (`GraphGateMetrics.withOwnRegistry`).
    private var target: any MetricsFactory { GraphGateMetrics.scope?.factory ?? wrapped }

    /// The label to register under: `label` itself, or a conflict-suffixed one when `label` has another shape.
    private func safeLabel(_ label: String, kind: String, dimensions: [(String, String)]) -> String {
        let shape = Shape(kind: kind, labelled: !dimensions.isEmpty)
        let existing = shapes.withLock { shapes -> Shape? in
            if let existing = shapes[label] { return existing }
            shapes[label] = shape
            return nil
        }
        guard let existing, existing != shape else { return label }
        let renamed = "\(label)_conflict_\(kind)\(shape.labelled ? "_labelled" : "")"
        if shapes.withLock({ $0.updateValue(shape, forKey: renamed) == nil }) {
            FileHandle.standardError.write(
                Data("graphgate: metric \(label) is used with two shapes; exporting the second as \(renamed)\n".utf8))
        }
        return renamed
    }

    /// The handler made earlier for the same kind, label and dimensions in the same registry, or a new one.
    private func handle<Handler>(
        _ kind: String, _ label: String, _ dimensions: [(String, String)],
        make: (any MetricsFactory, String) -> Handler
    ) -> Handler {
        let scope = GraphGateMetrics.scope
        let key = HandleKey(kind, label, dimensions, scope: scope?.registry)
        if let known = handles.withLock({ $0[key] })?.handler as? Handler { return known }
        let made = make(scope?.factory ?? wrapped, safeLabel(label, kind: kind, dimensions: dimensions))
        let kept = Kept(handler: made as AnyObject)
        handles.withLock { $0[key] = kept }
        return made
    }

    /// `handler`, no longer kept (a destroyed one must not be handed out again).
    private func forgotten<Handler>(_ handler: Handler) -> Handler {
        let identity = ObjectIdentifier(handler as AnyObject)
        handles.withLock { $0 = $0.filter { ObjectIdentifier($0.value.handler) != identity } }
        return handler
    }

    package func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        handle("counter", label, dimensions) { $0.makeCounter(label: $1, dimensions: dimensions) }
    }

    package func makeFloatingPointCounter(
        label: String, dimensions: [(String, String)]
    ) -> any FloatingPointCounterHandler {
        handle("counter", label, dimensions) { $0.makeFloatingPointCounter(label: $1, dimensions: dimensions) }
    }

    package func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        handle(aggregate ? "histogram" : "gauge", label, dimensions) {
            $0.makeRecorder(label: $1, dimensions: dimensions, aggregate: aggregate)
        }
    }

    package func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        handle("gauge", label, dimensions) { $0.makeMeter(label: $1, dimensions: dimensions) }
    }

    package func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        handle("timer", label, dimensions) { $0.makeTimer(label: $1, dimensions: dimensions) }
    }

    package func destroyCounter(_ handler: any CounterHandler) { target.destroyCounter(forgotten(handler)) }
    package func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        target.destroyFloatingPointCounter(forgotten(handler))
    }
    package func destroyRecorder(_ handler: any RecorderHandler) { target.destroyRecorder(forgotten(handler)) }
    package func destroyMeter(_ handler: any MeterHandler) { target.destroyMeter(forgotten(handler)) }
    package func destroyTimer(_ handler: any TimerHandler) { target.destroyTimer(forgotten(handler)) }
}
