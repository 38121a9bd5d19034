/// Tables of the Vault group. Append migrations (`vault.001`, …); never edit one that has shipped.
enum VaultSchema {
    static let migrations: [Migration] = []
}
