import Foundation
import GRDB
import Testing

enum SecretScan {
    /// The fake secret values of the example workspace.
    static func exampleSecrets(in ws: ExampleWorkspace) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: ws.path("secrets")).filter { $0.hasSuffix(".txt") }.map {
            try ws.read("secrets/" + $0).trimmingCharacters(in: .newlines)
        }
    }

    /// The value and the encodings it could leak in.
    static func forms(of secret: String) -> [String] {
        [secret, Data(secret.utf8).base64EncodedString(),
         secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? secret]
    }
}

/// Every command in every format, with known secret values: none of them, nor
/// their base64 or URL-encoded forms, may appear outside the encrypted column.
struct SecretLeakTests {
    @Test func noOutputPlanFileOrStoreColumnHoldsASecret() throws {
        let ws = try ExampleWorkspace().usingStoreKey()
        var transcript = ""
        /// Every command must end as expected: one that fails early leaves
        /// nothing to scan and would make the scan pass for nothing.
        func run(_ args: [String], expect code: Int32 = 0) throws {
            let r = try ws.run(args)
            #expect(r.exitCode == code, "\(args) exited \(r.exitCode): \(r.stderr.prefix(300))")
            transcript += r.stdout + r.stderr
        }
        for format in ["text", "json", "github"] { try run(["validate", "companies", "--format", format]) }
        for format in ["text", "json", "markdown"] { try run(["plan", "companies", "--format", format, "--out", "plan-\(format).json"]) }
        try run(["apply", "companies", "--auto-approve", "--no-probe"])
        // Rotate every secret and plan the change.
        for name in try FileManager.default.contentsOfDirectory(atPath: ws.path("secrets")) where name.hasSuffix(".txt") {
            try ws.write("secrets/" + name, "FAKE-rotated-\(name)\n")
        }
        for format in ["text", "json", "markdown"] { try run(["plan", "companies", "--format", format, "--out", "rotated-\(format).json"]) }
        try run(["apply", "rotated-text.json", "--no-probe", "--force"])
        try run(["history"])
        try run(["history", "--format", "json"])
        try run(["export", "--out", "exported"])
        // Errors that involve secrets: a broken reference and a stale plan.
        try ws.write("secrets/acme-smtp.txt", "FAKE-rotated-once-more\n")
        try run(["apply", "rotated-json.json", "--no-probe", "--force"], expect: 1)
        try ws.edit("companies/acme.yaml", "${file:../secrets/acme-smtp.txt}", "${file:../secrets/missing.txt}")
        try run(["plan", "companies"], expect: 1)

        var haystack = transcript
        for file in FileManager.default.enumerator(atPath: ws.root.path)!.allObjects.compactMap({ $0 as? String })
            where file.hasSuffix(".json") || (file.hasPrefix("exported") && file.hasSuffix(".yaml")) {
            haystack += try ws.read(file)
        }
        // Every store column except the ciphertext and its nonce and tag.
        haystack += try ws.database().read { db in
            var text = ""
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table)") {
                    for (column, value) in row where !["ciphertext", "nonce", "tag"].contains(column) {
                        if let data = value.storage.value as? Data { text += String(decoding: data, as: UTF8.self) } else { text += "\(value)" }
                    }
                }
            }
            return text
        }
        var secrets = try SecretScan.exampleSecrets(in: ws)
        secrets += (try? FileManager.default.contentsOfDirectory(atPath: CommandRunner.packageRoot.appendingPathComponent("examples/secrets").path))?
            .filter { $0.hasSuffix(".txt") }
            .compactMap { try? String(contentsOf: CommandRunner.packageRoot.appendingPathComponent("examples/secrets/\($0)"), encoding: .utf8) }
            .map { $0.trimmingCharacters(in: .newlines) } ?? []
        #expect(secrets.count >= 10)
        for secret in secrets {
            for form in SecretScan.forms(of: secret) {
                #expect(!haystack.contains(form), "secret leaked in the form '\(form.prefix(6))…'")
            }
        }
        #expect(transcript.contains("(sensitive value changed; same reference ${file:"))
    }
}
