// swift-tools-version:6.0
import PackageDescription

/// mailform: tenant mail configuration as code.
///
/// Modules follow the pipeline (load → validate → resolve → diff → plan → apply);
/// `MailformCore` links no network or database code, so most tests need neither.
let package = Package(
    name: "mailform",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mailform", targets: ["mailform"]),
        // For the fuzzers in Fuzz/ (a package of their own, built with -sanitize=fuzzer).
        .library(name: "MailformCore", targets: ["MailformCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
    ],
    targets: [
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CAres", pkgConfig: "libcares", providers: [.apt(["libc-ares-dev"])]),
        // libpq for PostgreSQL stores (docs/store.md says why libpq, not postgres-nio).
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(name: "JSONSchema"),
        // RFC 7208 check_host(), behind a small resolver protocol (the c-ares
        // resolver and the deliverability checks come with issue 13).
        .target(name: "SPF"),
        // Asynchronous DNS on c-ares (one thread per client, cache per run), the
        // resolver behind SPF and the deliverability checks of issue 13.
        .target(name: "MailformDNS", dependencies: ["CAres", "SPF"]),
        .target(name: "MailformDeliverability", dependencies: ["SPF", "COpenSSL"]),
        .target(name: "CBuildInfo"),
        .target(
            name: "MailformCore",
            dependencies: ["CYAML", "JSONSchema", "COpenSSL"],
            resources: [
                .embedInCode("Schemas/company.schema.json"),
                .embedInCode("Schemas/workspace.schema.json"),
                .embedInCode("Schemas/plan.schema.json"),
            ]
        ),
        .target(
            name: "MailformStore",
            dependencies: ["MailformCore", "COpenSSL", "CPostgres", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "GRDBSQLite", package: "GRDB.swift")]
        ),
        .target(name: "MailformProbe", dependencies: ["MailformCore", "JSONSchema", "CCurl", "COpenSSL"]),
        // The reconcile workflows (plan, apply, probe) with typed errors; the
        // CLI parses flags, calls them, renders and maps errors to exit codes.
        .target(name: "MailformWorkflow",
                dependencies: ["MailformCore", "MailformStore", "MailformProbe", "MailformDNS", "MailformDeliverability", "SPF"]),
        .executableTarget(
            name: "mailform",
            dependencies: [
                "MailformCore", "MailformStore", "MailformProbe", "JSONSchema", "CBuildInfo",
                "MailformDNS", "MailformDeliverability", "SPF", "MailformWorkflow",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Where the official suites in ../shared/testdata are, for the targets that run them.
        .target(name: "SuiteSupport", path: "Tests/SuiteSupport"),
        .testTarget(name: "JSONSchemaTests", dependencies: ["JSONSchema", "SuiteSupport"]),
        .testTarget(name: "SPFTests", dependencies: ["SPF", "SuiteSupport"]),
        // Starting and stopping the test servers (Knot, Postfix) for the test targets.
        .target(name: "TestServerSupport", dependencies: ["MailformDNS"], path: "Tests/TestServerSupport"),
        .testTarget(name: "MailformDNSTests", dependencies: ["MailformDNS", "SPF", "CAres", "TestServerSupport"]),
        .testTarget(name: "MailformDeliverabilityTests", dependencies: ["MailformDeliverability", "MailformDNS", "SPF", "TestServerSupport"]),
        .testTarget(name: "MailformProbeTests", dependencies: ["MailformProbe", "MailformCore"]),
        .testTarget(name: "MailformCoreTests", dependencies: ["MailformCore"]),
        .testTarget(name: "MailformStoreTests", dependencies: ["MailformStore", "MailformCore", "COpenSSL"]),
        // The workflows in-process: typed errors, real SQLite stores, no binary.
        .testTarget(name: "MailformWorkflowTests", dependencies: ["MailformWorkflow", "MailformStore", "MailformCore",
                                                                  .product(name: "GRDB", package: "GRDB.swift")],
                    exclude: ["Fixtures"]),
        // Depends on the executable so `swift test` builds the binary it runs.
        .testTarget(
            name: "MailformCLITests",
            dependencies: ["mailform", "MailformStore", "MailformCore", "JSONSchema", "TestServerSupport",
                           .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["Fixtures"]
        ),
    ]
)
