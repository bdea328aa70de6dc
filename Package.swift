// swift-tools-version:6.1
import PackageDescription

/// Swift 6 language mode everywhere: strict concurrency checking is on for every target.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "orderdesk-mcp",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "orderdesk-mcp", targets: ["orderdesk-mcp"]),
        .executable(name: "orderdesk-sim", targets: ["orderdesk-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // C libraries from Debian packages (see scripts/install-deps.sh).
        .systemLibrary(
            name: "CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]),
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]),
        .systemLibrary(
            name: "CArgon2", pkgConfig: "libargon2",
            providers: [.apt(["libargon2-dev"]), .brew(["argon2"])]),
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]),

        // Layers, lowest first. Each talks only to the one below it.
        .target(name: "JSON", swiftSettings: swiftSettings),
        .target(
            name: "Cryptography",
            dependencies: ["COpenSSL", "CArgon2", "JSON"],
            swiftSettings: swiftSettings),
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ", "JSON",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "Migrations",
            dependencies: ["Postgres", "Cryptography"],
            swiftSettings: swiftSettings),
        .target(
            name: "OrderDesk",
            dependencies: [
                "CCurl", "JSON",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "App",
            dependencies: [
                "Postgres", "Cryptography", "OrderDesk", "JSON", "CCurl",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "MCPServer",
            dependencies: [
                "App", "Postgres", "Cryptography", "OrderDesk", "JSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "orderdesk-mcp",
            dependencies: [
                "App", "MCPServer", "Migrations", "Postgres", "Cryptography", "JSON",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "orderdesk-sim",
            dependencies: [
                "JSON", "Cryptography",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),

        // Shared by test targets: the local database, the simulator process.
        .target(
            name: "TestSupport", dependencies: ["JSON", "Postgres"], path: "Tests/TestSupport",
            swiftSettings: swiftSettings),
        .testTarget(name: "JSONTests", dependencies: ["JSON"], swiftSettings: swiftSettings),
        .testTarget(name: "CryptographyTests", dependencies: ["Cryptography", "JSON"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PostgresTests",
            dependencies: [
                "Postgres", "Migrations", "Cryptography", "TestSupport",
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "MCPServerTests",
            dependencies: [
                "MCPServer", "App", "JSON", "Postgres", "Cryptography", "OrderDesk", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AppTests", dependencies: ["App", "Postgres", "Cryptography", "OrderDesk", "JSON", "TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "OrderDeskTests", dependencies: ["OrderDesk", "TestSupport", "JSON"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SimulatorTests", dependencies: ["TestSupport", "JSON", "orderdesk-sim"], swiftSettings: swiftSettings),
    ]
)
