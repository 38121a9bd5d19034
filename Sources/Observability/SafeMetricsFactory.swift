import CoreMetrics
import Foundation
import Synchronization

/// Wraps the Prometheus factory so a metric declared inconsistently (the same label as a counter in one place and
/// a gauge in another, or with and without dimensions) cannot crash the server: swift-prometheus treats that as a
/// programming error (`fatalError`). The second shape gets its own series, suffixed `_conflict_<kind>`, and one
/// warning is printed, so the mistake is visible in `/metrics` and the log instead of taking the process down.
package final class SafeMetricsFactory: MetricsFactory, Sendable {
    private struct Shape: Hashable {
        let kind: String
        let labelled: Bool
    }

    private let wrapped: any MetricsFactory
    private let shapes = Mutex<[String: Shape]>([:])

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

    package func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        target.makeCounter(label: safeLabel(label, kind: "counter", dimensions: dimensions), dimensions: dimensions)
    }

    package func makeFloatingPointCounter(
        label: String, dimensions: [(String, String)]
    ) -> any FloatingPointCounterHandler {
        target.makeFloatingPointCounter(
            label: safeLabel(label, kind: "counter", dimensions: dimensions), dimensions: dimensions)
    }

    package func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        target.makeRecorder(
            label: safeLabel(label, kind: aggregate ? "histogram" : "gauge", dimensions: dimensions),
            dimensions: dimensions, aggregate: aggregate)
    }

    package func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        target.makeMeter(label: safeLabel(label, kind: "gauge", dimensions: dimensions), dimensions: dimensions)
    }

    package func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        target.makeTimer(label: safeLabel(label, kind: "timer", dimensions: dimensions), dimensions: dimensions)
    }

    package func destroyCounter(_ handler: any CounterHandler) { target.destroyCounter(handler) }
    package func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        target.destroyFloatingPointCounter(handler)
    }
    package func destroyRecorder(_ handler: any RecorderHandler) { target.destroyRecorder(handler) }
    package func destroyMeter(_ handler: any MeterHandler) { target.destroyMeter(handler) }
    package func destroyTimer(_ handler: any TimerHandler) { target.destroyTimer(handler) }
}
