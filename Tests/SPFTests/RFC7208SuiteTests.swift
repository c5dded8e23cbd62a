import Foundation
import SPF
import Testing
import SuiteSupport

/// Runs the openspf RFC 7208 test suite (release 2014.04) against
/// `SPFEvaluator`: every case must give one of its accepted results and,
/// where the case states one, the same explanation.
///
/// The suite lives in `../shared/testdata/spf/rfc7208-tests.yml` beside the
/// package (found from this file, symbolic links resolved), or in the folder
/// `SPF_TEST_SUITE` points at (see ``SuiteLocation``, shared with the JSON
/// Schema suite): without it the test is reported as skipped with the paths
/// looked at, and on CI (`CI=true`) it fails.
struct RFC7208SuiteTests {
    static let suite = SuiteLocation(name: "RFC 7208 test suite", folder: "spf", environmentVariable: "SPF_TEST_SUITE")
    static let fileName = "rfc7208-tests.yml"

    /// Cases allowed to disagree with the suite, by name, each with why.
    /// Keep it empty: an entry that starts passing is reported so it is removed.
    static let allowList: [String: String] = [:]

    @Test func missingSuiteIsReportedWithWhereItLooked() {
        let missing = SuiteLocation(name: "RFC 7208 test suite", folder: "spf", environmentVariable: "SPF_TEST_SUITE",
                                    environment: ["SPF_TEST_SUITE": "/nonexistent/spf"])
        #expect(missing.directory == nil)
        #expect(missing.notFoundMessage == "RFC 7208 test suite not found at /nonexistent/spf; set SPF_TEST_SUITE to its folder")
        #expect(throws: SuiteLocation.Missing.self) { try missing.require() }
        #expect(SuiteLocation.isCI(["CI": "true"]))
        #expect(!SuiteLocation.isCI([:]))
    }

    @Test(.enabled(if: suite.shouldRun, suite.skipComment))
    func everyCaseOfTheSuite() async throws {
        let url = try Self.suite.require().appendingPathComponent(Self.fileName)
        let documents = try loadSuiteDocuments(at: url)
        var ran = 0
        var allowed: [String] = []
        for document in documents {
            let section = document["description"] as? String ?? "?"
            let zone = try ZoneResolver(zonedata: document["zonedata"] as? [String: Any] ?? [:])
            // The reference driver sets the default explanation to "DEFAULT";
            // cases whose exp= must be ignored expect exactly that.
            var evaluator = SPFEvaluator(resolver: zone, defaultExplanation: "DEFAULT")
            evaluator.clock = { 1_400_000_000 }
            let tests = document["tests"] as? [String: [String: Any]] ?? [:]
            for (name, test) in tests.sorted(by: { $0.key < $1.key }) {
                ran += 1
                let failure = await Self.run(test, with: evaluator)
                if let reason = Self.allowList[name] {
                    allowed.append(name)
                    if failure == nil {
                        Issue.record("\(section) / \(name) passes now; remove it from the allow-list (\(reason))")
                    }
                } else if let failure {
                    Issue.record("\(section) / \(name): \(failure)")
                }
            }
        }
        // Guards against a loader that silently finds nothing.
        #expect(documents.count == 16)
        #expect(ran == 203, "\(ran) cases were found in \(url.path); release 2014.04 has 203")
        print("rfc 7208 suite: \(ran) cases, \(ran - allowed.count) checked, \(allowed.count) allow-listed")
    }

    /// Runs one case; nil when it gives an accepted result (and explanation).
    static func run(_ test: [String: Any], with evaluator: SPFEvaluator) async -> String? {
        let host = test["host"] as? String ?? ""
        guard let ip = IPAddress(host) else { return "host \(host) is not an ip address" }
        let accepted: [String]
        if let one = test["result"] as? String {
            accepted = [one]
        } else {
            accepted = test["result"] as? [String] ?? []
        }
        let result = await evaluator.checkMailFrom(ip: ip, mailFrom: test["mailfrom"] as? String ?? "",
                                                   helo: test["helo"] as? String ?? "")
        let detail = [result.mechanism.map { "mechanism \($0)" }, result.reason].compactMap { $0 }.joined(separator: "; ")
        guard accepted.contains(result.code.rawValue) else {
            return "expected \(accepted.joined(separator: " or ")), got \(result.code.rawValue) (\(detail))"
        }
        if let explanation = test["explanation"] as? String, explanation != result.explanation {
            return "expected explanation \"\(explanation)\", got \(result.explanation.map { "\"\($0)\"" } ?? "none")"
        }
        return nil
    }
}
