/// Every migration of graphgate, in the order they apply. Each group owns its tables.
public enum Schema {
    public static var all: [Migration] {
        CoreSchema.migrations + VaultSchema.migrations + OAuthSchema.migrations + SecuritySchema.migrations
            + OpsSchema.migrations + MCPSchema.migrations
    }
}
