// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "graphgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "graphgate", targets: ["graphgate"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
    ],
    targets: [
        .executableTarget(
            name: "graphgate",
            dependencies: [
                "GraphGateApp", "GraphGateDesktop", "GraphGateSettings", "Observability", "Sandbox", "SecurityOps",
                "Storage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Observability",
            dependencies: [
                "Storage", "SecurityOps", "MicrosoftGraph", "TokenVault", "MCPGateway", "JSONText",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "GraphGateDesktop",
            dependencies: [
                "GraphGateSettings", "Storage", "SecurityOps", "Sandbox", "MicrosoftGraph", "TokenVault", "MCPGateway",
                "JSONText",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "GraphGateApp",
            dependencies: [
                "GraphGateWeb", "GraphGateSettings", "Observability", "Storage", "SecurityOps", "Sandbox",
                "MicrosoftGraph", "TokenVault", "Authorization", "MCPGateway", "JSONText",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // The browser pages (home, account, admin, send confirmation) and the request context, form parsing and
        // HTML responses that the server's API routes share with them.
        .target(
            name: "GraphGateWeb",
            dependencies: [
                "GraphGateSettings", "MCPGateway", "Authorization", "TokenVault", "MicrosoftGraph", "SecurityOps",
                "Storage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Every GRAPHGATE_* setting, declared once, and the one typed configuration read from them.
        .target(
            name: "GraphGateSettings",
            dependencies: [
                "Observability", "Authorization", "SecurityOps", "Storage",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "MCPGateway",
            dependencies: [
                "MicrosoftGraph", "SecurityOps", "Storage", "JSONText",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "Authorization",
            dependencies: [
                "Storage", "SecurityOps", "JSONText",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "TokenVault",
            dependencies: [
                "Storage", "SecurityOps", "MicrosoftGraph", "JSONText",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "MicrosoftGraph",
            dependencies: [
                "JSONText",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "SecurityOps",
            dependencies: [
                "Storage", "JSONText",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // JSON text read and written one way (the audit chain hashes what it writes) and hex text; no dependencies.
        .target(name: "JSONText"),
        .target(
            name: "Storage",
            dependencies: [
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Sandbox",
            dependencies: [
                "JSONText",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "GraphGateTests",
            dependencies: [
                "GraphGateApp", "GraphGateDesktop", "GraphGateWeb", "GraphGateSettings", "Observability", "Storage",
                "SecurityOps", "Sandbox", "MicrosoftGraph", "TokenVault", "Authorization", "MCPGateway", "JSONText",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // libFuzzer targets (docs/fuzzing.md). A plain build links each as an executable that does nothing;
        // scripts/fuzz builds them with -sanitize=fuzzer in .build-fuzz and runs them.
        .target(
            name: "FuzzSupport",
            dependencies: ["SecurityOps", .product(name: "Logging", package: "swift-log")],
            path: "Fuzz/FuzzSupport"
        ),
        .executableTarget(
            name: "FuzzMCPRequest",
            dependencies: [
                "FuzzSupport", "MCPGateway", "MicrosoftGraph",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Fuzz/FuzzMCPRequest"
        ),
        .executableTarget(
            name: "FuzzOAuthParameters",
            dependencies: ["FuzzSupport", "Authorization", "Storage"],
            path: "Fuzz/FuzzOAuthParameters"
        ),
        .executableTarget(
            name: "FuzzCiphertext",
            dependencies: ["FuzzSupport", "TokenVault", .product(name: "Crypto", package: "swift-crypto")],
            path: "Fuzz/FuzzCiphertext"
        ),
        .executableTarget(
            name: "FuzzHTMLSanitizer",
            dependencies: ["FuzzSupport", "MCPGateway"],
            path: "Fuzz/FuzzHTMLSanitizer"
        ),
        .executableTarget(
            name: "FuzzSearchQuery",
            dependencies: [
                "FuzzSupport", "MCPGateway", "MicrosoftGraph",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Fuzz/FuzzSearchQuery"
        ),
    ]
)

// Release builds of graphgate's own modules optimize across module boundaries: generic code in a lower module
// (AccessChangeCache, JSONReader.read, the Graph models' readers) is specialized where a higher one calls it,
// instead of running unspecialized and looking its type metadata up at run time on every call.
for target in package.targets where target.type != .test {
    target.swiftSettings =
        (target.swiftSettings ?? []) + [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]
}
