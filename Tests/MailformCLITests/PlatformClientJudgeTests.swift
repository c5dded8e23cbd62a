import Foundation
import GRDB
import MailformCore
@testable import MailformStore
import Testing
import TestServerSupport

/// The platform's own client as the judge: every case is applied to a real
/// store, probed by mailform, and then read back from the store row by a
/// small Java program (Tests/Servers/judge/StoreJudge.java) that maps the
/// columns to mail.smtp.* exactly as docs/store.md says and runs Jakarta
/// Mail 2.0's connect() + close() against the same Postfix + Dovecot, on
/// OpenJDK 17 (and JavaMail 1.6.5's). mailform's verdict must equal the
/// judge's in every case, for both runtime settings (plain Java 17, and
/// --add-exports).
@Suite(.serialized)
struct PlatformClientJudgeTests {
    struct Case: Sendable {
        var name: String
        var service: String
        var host = "localhost"
        var settings: String
        var credentials = true
        var password = "good"
        /// The verdict both must reach on plain Java 17 and with --add-exports (true: connects).
        var plain: Bool
        var addExports: Bool
    }

    static let cases: [Case] = [
        Case(name: "submission", service: "submission", settings: "starttls: required", plain: true, addExports: true),
        Case(name: "submission-ip", service: "submission", host: "127.0.0.1", settings: "starttls: required", plain: false, addExports: true),
        Case(name: "submission-ip-no-identity", service: "submission", host: "127.0.0.1", settings: "starttls: required\n  ssl_check_identity: false",
             plain: true, addExports: true),
        Case(name: "smtps", service: "smtps", settings: "ssl: true\n  starttls: off", plain: true, addExports: true),
        Case(name: "smtps-ip", service: "smtps", host: "127.0.0.1", settings: "ssl: true\n  starttls: off", plain: false, addExports: true),
        Case(name: "wrong-password", service: "submission", settings: "starttls: required", password: "wrong", plain: false, addExports: false),
        Case(name: "relay-anonymous", service: "relay", settings: "starttls: off", credentials: false, plain: true, addExports: true),
        Case(name: "relay-with-credentials", service: "relay", settings: "starttls: required", plain: false, addExports: false),
        Case(name: "relay-optional-credentials", service: "relay", settings: "starttls: optional", plain: true, addExports: true),
        Case(name: "tls13-server-tls12-client", service: "tls13only", settings: "starttls: required\n  ssl_protocols: [TLSv1.2]", plain: false, addExports: false),
        Case(name: "tls13-server-range", service: "tls13only", settings: "starttls: required\n  ssl_protocols: [TLSv1.2, TLSv1.3]", plain: true, addExports: true),
        Case(name: "tls12-server-gapped-set", service: "tls12max", settings: "starttls: required\n  ssl_protocols: [TLSv1, TLSv1.3]", plain: false, addExports: false),
        Case(name: "tls12-server-tls12", service: "tls12max", settings: "starttls: required\n  ssl_protocols: [TLSv1.2]", plain: true, addExports: true),
        Case(name: "tls12-server-tls13-only", service: "tls12max", settings: "starttls: required\n  ssl_protocols: [TLSv1.3]", plain: false, addExports: false),
        Case(name: "expired", service: "expired", settings: "starttls: required", plain: false, addExports: false),
        Case(name: "expired-trusted", service: "expired", settings: "starttls: required\n  ssl_trust: [localhost]", plain: true, addExports: true),
        Case(name: "wronghost-trusted", service: "wronghost", settings: "starttls: required\n  ssl_trust: [localhost]", plain: false, addExports: false),
        Case(name: "wronghost-no-identity", service: "wronghost", settings: "starttls: required\n  ssl_check_identity: false", plain: true, addExports: true),
        Case(name: "selfsigned", service: "selfsigned", settings: "starttls: required", plain: false, addExports: false),
        Case(name: "selfsigned-trusted", service: "selfsigned", settings: "starttls: required\n  ssl_trust: [localhost]", plain: true, addExports: true),
        Case(name: "trust-list-without-host", service: "submission", settings: "starttls: required\n  ssl_trust: [mail.other.test]", plain: false, addExports: false),
        Case(name: "trust-all", service: "submission", settings: "starttls: required\n  ssl_trust: \"*\"", plain: true, addExports: true),
        Case(name: "noauth-with-credentials", service: "noauth", settings: "starttls: required", plain: true, addExports: true),
        Case(name: "auth-in-plain-text", service: "authnotls", settings: "starttls: off", plain: true, addExports: true),
        Case(name: "noauth-optional", service: "noauth", settings: "starttls: optional", plain: true, addExports: true),
        // More of the same semantics, on other services and hosts.
        Case(name: "submission-optional", service: "submission", settings: "starttls: optional", plain: true, addExports: true),
        Case(name: "submission-tls13-only", service: "submission", settings: "starttls: required\n  ssl_protocols: [TLSv1.3]", plain: true, addExports: true),
        Case(name: "submission-tls12-only", service: "submission", settings: "starttls: required\n  ssl_protocols: [TLSv1.2]", plain: true, addExports: true),
        Case(name: "submission-ip-trusted", service: "submission", host: "127.0.0.1", settings: "starttls: required\n  ssl_trust: [127.0.0.1]", plain: false, addExports: true),
        Case(name: "submission-ip-trust-all-no-identity", service: "submission", host: "127.0.0.1", settings: "starttls: required\n  ssl_trust: \"*\"\n  ssl_check_identity: false", plain: true, addExports: true),
        Case(name: "smtps-wrong-password", service: "smtps", settings: "ssl: true\n  starttls: off", password: "wrong", plain: false, addExports: false),
        Case(name: "smtps-ip-no-identity", service: "smtps", host: "127.0.0.1", settings: "ssl: true\n  starttls: off\n  ssl_check_identity: false", plain: true, addExports: true),
        Case(name: "smtps-trust-list-without-host", service: "smtps", settings: "ssl: true\n  starttls: off\n  ssl_trust: [mail.other.test]", plain: false, addExports: false),
        Case(name: "tls13-server-ip", service: "tls13only", host: "127.0.0.1", settings: "starttls: required", plain: false, addExports: true),
        Case(name: "tls12-server-ip", service: "tls12max", host: "127.0.0.1", settings: "starttls: required\n  ssl_protocols: [TLSv1.2, TLSv1.3]", plain: false, addExports: true),
        Case(name: "tls12-server-range", service: "tls12max", settings: "starttls: required\n  ssl_protocols: [TLSv1.2, TLSv1.3]", plain: true, addExports: true),
        Case(name: "tls12-server-gap-with-tls12", service: "tls12max", settings: "starttls: required\n  ssl_protocols: [TLSv1.1, TLSv1.3]", plain: false, addExports: false),
        Case(name: "expired-trust-all", service: "expired", settings: "starttls: required\n  ssl_trust: \"*\"", plain: true, addExports: true),
        Case(name: "expired-ip-trusted", service: "expired", host: "127.0.0.1", settings: "starttls: required\n  ssl_trust: [127.0.0.1]", plain: false, addExports: true),
        Case(name: "wronghost-trust-all", service: "wronghost", settings: "starttls: required\n  ssl_trust: \"*\"", plain: false, addExports: false),
        Case(name: "wronghost-trust-all-no-identity", service: "wronghost", settings: "starttls: required\n  ssl_trust: \"*\"\n  ssl_check_identity: false", plain: true, addExports: true),
        Case(name: "selfsigned-no-identity", service: "selfsigned", settings: "starttls: required\n  ssl_check_identity: false", plain: false, addExports: false),
        Case(name: "selfsigned-trust-list-without-host", service: "selfsigned", settings: "starttls: required\n  ssl_trust: [mail.other.test]", plain: false, addExports: false),
        Case(name: "relay-ip-anonymous", service: "relay", host: "127.0.0.1", settings: "starttls: off", credentials: false, plain: true, addExports: true),
        Case(name: "authnotls-optional", service: "authnotls", settings: "starttls: optional", plain: true, addExports: true),
        Case(name: "authnotls-wrong-password", service: "authnotls", settings: "starttls: off", password: "wrong", plain: false, addExports: false),
        Case(name: "noauth-ip", service: "noauth", host: "127.0.0.1", settings: "starttls: required", plain: false, addExports: true),
    ]

    /// Compiles the judge and makes a PKCS12 trust store of the test CA (the platform's JVM trust store).
    static func prepareJudge(caFile: String, in folder: URL) throws -> URL {
        let source = CommandRunner.packageRoot.appendingPathComponent("Tests/Servers/judge/StoreJudge.java").path
        try Self.run(["/usr/bin/javac", "-d", folder.path, source])
        let store = folder.appendingPathComponent("trust.p12")
        try Self.run(["/usr/bin/keytool", "-importcert", "-noprompt", "-alias", "mailform-test-ca", "-file", caFile,
                      "-keystore", store.path, "-storetype", "PKCS12", "-storepass", "changeit"])
        return store
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(arguments.joined(separator: " ")): \(errors)")
        return output
    }

    /// The store's rows, as the platform reads them: the columns of
    /// `smtp_servers` and the password decrypted with the store key.
    static func rows(_ ws: ExampleWorkspace) throws -> String {
        let key = try StoreKey.load(storePath: ws.storePath, create: false)!.0
        let box = try SecretBox(key: key)
        return try ws.database().read { db in
            var out = ""
            for row in try Row.fetchAll(db, sql: "SELECT * FROM smtp_servers WHERE pool_name = '' ORDER BY company_id") {
                let company: String = row["company_id"]
                var password = ""
                if let path: String = row["password_secret"],
                   let secret = try Row.fetchOne(db, sql: "SELECT * FROM secrets WHERE company_id = ? AND path = ?", arguments: [company, path]) {
                    let sealed = SealedSecret(keyID: secret["key_id"], nonce: [UInt8](secret["nonce"] as Data),
                                              ciphertext: [UInt8](secret["ciphertext"] as Data), tag: [UInt8](secret["tag"] as Data))
                    password = try box.open(sealed, context: SecretBox.context(company: company, path: path)).withRevealedBytes { String(decoding: $0, as: UTF8.self) }
                }
                let columns: [String?] = [company, row["host"], String(row["port"] as Int), row["username"], row["auth"], row["starttls"],
                                          String(row["ssl"] as Int), row["ssl_trust"], String(row["ssl_check_identity"] as Int), row["ssl_protocols"], password]
                out += columns.map { $0 ?? "" }.joined(separator: "\t") + "\n"
            }
            return out
        }
    }

    @Test func mailformGivesThePlatformsVerdictInEveryCase() throws {
        let (instance, parent) = try PostfixProbeTests.start()
        defer { PostfixProbeTests.stop(parent) }
        let judgeFolder = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-judge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: judgeFolder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: judgeFolder) }
        let trustStore = try Self.prepareJudge(caFile: instance.ca_file, in: judgeFolder)

        // Jakarta Mail 2.0 on plain Java 17 and with --add-exports, and JavaMail 1.6.5 on plain Java 17.
        for (library, addExports) in [("jakarta-mail", false), ("jakarta-mail", true), ("javamail", false)] {
            let ws = try ExampleWorkspace(copying: [])
            try ws.write("mailform.yaml", """
                mode: on-premise
                secrets:
                  shared: ["${file:secrets/good.txt}", "${file:secrets/wrong.txt}"]
                probe:
                  timeout: 8s
                  deadline: 3m
                platform:
                  mail_client:
                    library: \(library)
                    java_add_exports: \(addExports)
                    ca_bundle: \(instance.ca_file)

                """)
            try ws.write("secrets/good.txt", instance.password + "\n")
            try ws.write("secrets/wrong.txt", "not-the-password\n")
            for c in Self.cases {
                var yaml = "company: \(c.name)\nsender:\n  email: no-reply@\(c.name).example.test\nprovider: smtp\nsmtp:\n"
                yaml += "  host: \(c.host)\n  port: \(instance.ports[c.service]!)\n"
                if c.credentials { yaml += "  username: \(instance.user)\n  password: ${file:../secrets/\(c.password).txt}\n" }
                yaml += "  \(c.settings)\n"
                try ws.write("companies/\(c.name).yaml", yaml)
            }
            let applied = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"])
            try #require(applied.exitCode == 0, "\(applied.stderr)")
            let probe = try ws.run(["probe", "companies", "--send-credentials", "--format", "json"])
            let report = try #require(try JSONSerialization.jsonObject(with: Data(probe.stdout.utf8)) as? [String: Any], "\(probe.stderr)")
            var mailform: [String: (ok: Bool, why: String)] = [:]
            for result in report["results"] as? [[String: Any]] ?? [] {
                let failure = result["failure"] as? [String: Any]
                mailform[result["company"] as! String] = (failure == nil, (failure?["message"] as? String) ?? "ok")
            }
            let rowsFile = judgeFolder.appendingPathComponent("rows-\(library)-\(addExports).tsv")
            try Self.rows(ws).write(to: rowsFile, atomically: true, encoding: .utf8)
            let jars = library == "javamail" ? ["/usr/share/java/javax.mail.jar", "/usr/share/java/javax.activation.jar"]
                : ["/usr/share/java/jakarta-mail.jar", "/usr/share/java/jakarta-activation.jar"]
            var java = ["/usr/bin/java", "-cp", ([judgeFolder.path] + jars).joined(separator: ":"),
                        "-Djavax.net.ssl.trustStore=\(trustStore.path)", "-Djavax.net.ssl.trustStorePassword=changeit", "-Djavax.net.ssl.trustStoreType=PKCS12"]
            if addExports { java += ["--add-exports", "java.base/sun.security.util=ALL-UNNAMED"] }
            let judged = try Self.run(java + ["StoreJudge", library == "javamail" ? "javax" : "jakarta", rowsFile.path, "8000"])
            var judge: [String: (ok: Bool, why: String)] = [:]
            for line in judged.split(separator: "\n") {
                let parts = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                judge[parts[0]] = (parts[1] == "OK", parts.count > 2 ? parts[2] : "ok")
            }
            var disagreements: [String] = []
            for c in Self.cases {
                guard let m = mailform[c.name], let j = judge[c.name] else {
                    disagreements.append("\(c.name): no verdict (mailform \(mailform[c.name] != nil), judge \(judge[c.name] != nil))")
                    continue
                }
                if m.ok != j.ok { disagreements.append("\(c.name): mailform \(m.ok ? "OK" : "FAIL (\(m.why))"), Jakarta Mail \(j.ok ? "OK" : "FAIL (\(j.why))")") }
                // And both are the verdict this case was written for (no case passes by both being wrong).
                let expected = addExports ? c.addExports : c.plain
                #expect(j.ok == expected, "\(c.name) (\(library), add-exports \(addExports)): the judge said \(j.ok ? "OK" : j.why)")
            }
            #expect(disagreements.isEmpty, "\(library), add-exports \(addExports):\n\(disagreements.joined(separator: "\n"))")
            // The hints name the platform's client where its behaviour is the cause.
            if !addExports && library == "jakarta-mail" {
                #expect(mailform["submission-ip"]?.why.contains("the platform's Jakarta Mail 2.x (Java 17) cannot check the IP address 127.0.0.1") == true,
                        "\(mailform["submission-ip"]?.why ?? "")")
                #expect(mailform["trust-list-without-host"]?.why.contains("refuses localhost") == true)
                #expect(mailform["tls12-server-gapped-set"]?.why.contains("enables exactly TLSv1 TLSv1.3") == true)
            }
        }
    }
}
