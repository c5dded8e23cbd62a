// swift-tools-version:6.0
import PackageDescription

/// libFuzzer targets, kept out of the main package because they have no
/// `main` of their own: libFuzzer provides it. Build and run with `make fuzz`.
let package = Package(
    name: "mailform-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(name: "FuzzLoader", dependencies: [.product(name: "MailformCore", package: "main")]),
        .executableTarget(name: "FuzzPlan", dependencies: [.product(name: "MailformCore", package: "main")]),
    ]
)
