import Foundation
import Logging
import Synchronization

/// What every route handler shares: state, signing key, configuration and the bound base URL.
final class TenantCore: Sendable {
    let state: TenantState
    let signer: IDTokenSigner
    let logger: Logger
    private let base = Mutex<String>("http://127.0.0.1")

    var configuration: SandboxConfiguration { state.configuration }

    init(configuration: SandboxConfiguration, logger: Logger) {
        state = TenantState(configuration: configuration)
        signer = IDTokenSigner()
        self.logger = logger
    }

    /// The authority / Graph base URL without a trailing slash, e.g. `http://127.0.0.1:5555`.
    var baseURL: String {
        get { base.withLock { $0 } }
        set { base.withLock { $0 = newValue } }
    }

    func issuer(tenantId: String = SandboxConfiguration.tenantId) -> String { "\(baseURL)/\(tenantId)/v2.0" }
}
