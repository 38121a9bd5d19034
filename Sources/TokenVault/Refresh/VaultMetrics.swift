import Metrics

/// The token vault's metrics (the app's `MetricName` refers to these labels; see `docs/operations.md`).
public enum VaultMetrics {
    /// Counter, dimension `outcome`: refresh-token redemptions at Microsoft. `ok` (new tokens issued),
    /// `invalid_grant` (Microsoft refused the refresh token: the user must sign in again) or `failed` (Microsoft
    /// unavailable or unreachable, or any other error).
    public static let tokenRefreshes = "graphgate_token_refreshes_total"

    static func refreshed(_ outcome: String) {
        Counter(label: tokenRefreshes, dimensions: [("outcome", outcome)]).increment()
    }
}
