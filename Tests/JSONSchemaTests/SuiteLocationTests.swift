import Foundation
import Testing
import SuiteSupport

/// The skip-locally / fail-on-CI rule of `SuiteLocation`.
struct SuiteLocationTests {
    @Test func ciDetection() {
        for value in ["true", "TRUE", "1", "yes", "github-actions"] {
            #expect(SuiteLocation.isCI(["CI": value]), "CI=\(value)")
        }
        for value in ["", " ", "false", "False", "0"] {
            #expect(!SuiteLocation.isCI(["CI": value]), "CI=\(value)")
        }
        #expect(!SuiteLocation.isCI([:]))
    }

    @Test func missingSuiteNamesWhereItLooked() throws {
        let location = SuiteLocation(name: "Demo Suite", folder: "demo", layouts: ["v1"], environmentVariable: "DEMO_SUITE",
                                     environment: ["DEMO_SUITE": "/nonexistent/demo"])
        #expect(location.directory == nil)
        #expect(location.searched == ["/nonexistent/demo"])
        #expect(location.notFoundMessage.contains("Demo Suite not found at /nonexistent/demo (with v1 inside)"))
        #expect(location.notFoundMessage.contains("DEMO_SUITE"))
        #expect(throws: SuiteLocation.Missing.self) { try location.require() }
    }

    @Test func foundBesideAnAncestor() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("suite-location-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let suite = root.appendingPathComponent("shared/testdata/demo/tests/v1")
        try FileManager.default.createDirectory(at: suite, withIntermediateDirectories: true)
        let file = root.appendingPathComponent("project/Tests/DemoTests/DemoTests.swift").path
        let location = SuiteLocation(name: "Demo Suite", folder: "demo", layouts: ["v1", "tests/v1"],
                                     environmentVariable: "DEMO_SUITE", environment: [:], filePath: file)
        #expect(location.directory?.resolvingSymlinksInPath().path == suite.resolvingSymlinksInPath().path)
        #expect(try location.require().lastPathComponent == "v1")
        #expect(location.searched.first == root.appendingPathComponent("project/Tests/shared/testdata/demo").path)
    }
}
