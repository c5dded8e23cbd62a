import Foundation
import Testing
@testable import MailformCore

/// Every input the fuzzers keep (Fuzz/corpus, and any finding in
/// Fuzz/regressions) runs through the same entry points in the normal suite.
struct FuzzRegressionTests {
    static let fuzz: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fuzz")
    }()

    static func files(_ folder: String) -> [URL] {
        let dir = fuzz.appendingPathComponent(folder)
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted().map { dir.appendingPathComponent($0) }
    }

    @Test func loaderCorpusAndRegressions() throws {
        let inputs = Self.files("corpus/loader") + Self.files("regressions/loader")
        #expect(inputs.count >= 40)
        var valid = 0
        for file in inputs {
            let bytes = try [UInt8](Data(contentsOf: file))
            if FuzzHarness.validateCompany(bytes) == 0 { valid += 1 }
            _ = FuzzHarness.validateWorkspace(bytes)
        }
        #expect(valid > 0 && valid < inputs.count)
    }

    @Test func planCorpusAndRegressions() throws {
        let inputs = Self.files("corpus/plan") + Self.files("regressions/plan")
        #expect(inputs.count >= 2)
        for file in inputs {
            let data = try Data(contentsOf: file)
            _ = FuzzHarness.savedPlan([UInt8](data), authenticate: { Digest.sha256Hex($0) })
            // A flipped byte is always refused cleanly.
            var tampered = data
            tampered[tampered.count / 2] ^= 0x01
            #expect(throws: SavedPlan.Refusal.self) { try SavedPlan.read(tampered, path: "tampered.json", authenticate: { Digest.sha256Hex($0) }) }
        }
    }
}
