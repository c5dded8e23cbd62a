import Foundation
import GRDB
import Testing

/// `auth: oauth2` end to end, against Tests/Servers/oauth_lab.py: token
/// endpoints that verify the client secret or the JWT signature, and SMTP
/// servers that verify AUTH XOAUTH2 (or refuse passwords like Exchange Online
/// with basic authentication disabled). Each classification of issue 12 has
/// a case; every case checks that no token, secret or key reaches the output.
@Suite(.serialized)
struct OAuth2Tests {
    enum Provider { case microsoft, google, generic }

    /// A company whose main account is `server` of the lab.
    static func company(_ id: String, server: String, lab: OAuthLab, user: String? = nil, oauth2: String) -> String {
        """
        company: \(id)
        sender:
          email: no-reply@\(id).example.test
        provider: smtp
        smtp:
          host: localhost
          port: \(lab.port(server))
          username: \(user ?? lab.info.microsoft.mailbox)
          auth: oauth2
          oauth2:
        \(oauth2.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))

        """
    }

    static func microsoft(_ lab: OAuthLab, tenant: String? = nil, clientID: String? = nil, secret: String = "ms") -> String {
        """
        provider: microsoft
        tenant: \(tenant ?? lab.info.microsoft.tenant)
        client_id: \(clientID ?? lab.info.microsoft.client_id)
        client_secret: ${file:../secrets/\(secret).txt}
        """
    }

    static func google(key: String = "google-sa.json") -> String {
        "provider: google\nservice_account_key: ${file:../secrets/\(key)}"
    }

    static func generic(_ lab: OAuthLab) -> String {
        "provider: generic\ntoken_url: \(lab.info.generic_token_url)\nclient_id: \(lab.info.generic.client_id)\nclient_secret: ${file:../secrets/generic.txt}"
    }

    /// The lab's secret files, shared by its companies (every other secret belongs to one company).
    static let sharedSecrets = "secrets:\n  shared: [" + ["ms", "ms-wrong", "ms-expired", "generic", "password"].map { "\"${file:secrets/\($0).txt}\"" }
        .joined(separator: ", ") + ", \"${file:secrets/google-sa.json}\", \"${file:secrets/google-other.json}\", \"${file:secrets/not-a-key.json}\"]\n"

    func workspace(_ lab: OAuthLab, _ companies: [String: String]) throws -> ExampleWorkspace {
        let ws = try ExampleWorkspace(copying: [])
        // The lab's companies share its client secrets and keys (listed as shared).
        try ws.write("mailform.yaml", "mode: on-premise\nprobe:\n  timeout: 3s\n  ca_file: \(lab.info.ca_file)\n" + Self.sharedSecrets)
        try ws.write("secrets/ms.txt", lab.info.microsoft.client_secret)
        try ws.write("secrets/ms-wrong.txt", "not-the-client-secret")
        try ws.write("secrets/ms-expired.txt", lab.info.microsoft.expired_client_secret)
        try ws.write("secrets/generic.txt", lab.info.generic.client_secret)
        try ws.write("secrets/password.txt", "a-password-exchange-refuses")
        try ws.write("secrets/google-sa.json", String(contentsOfFile: lab.info.google.service_account_key, encoding: .utf8))
        try ws.write("secrets/google-other.json", String(contentsOfFile: lab.info.google.other_key, encoding: .utf8))
        try ws.write("secrets/not-a-key.json", "{\"type\": \"authorized_user\"}")
        try ws.write("secrets/google-encrypted.json", String(contentsOfFile: lab.state.appendingPathComponent("google-sa-encrypted.json").path, encoding: .utf8))
        for (name, text) in companies { try ws.write("companies/\(name).yaml", text) }
        return ws
    }

    /// Nothing secret in what mailform printed: tokens the lab issued, client
    /// secrets, the service account's private key.
    func expectNoSecrets(_ output: String, _ lab: OAuthLab, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for token in lab.issuedTokens { #expect(!output.contains(token), "a token leaked", sourceLocation: sourceLocation) }
        for secret in [lab.info.microsoft.client_secret, lab.info.microsoft.expired_client_secret, lab.info.generic.client_secret,
                       "not-the-client-secret", "a-password-exchange-refuses"] {
            #expect(!output.contains(secret), "a client secret leaked", sourceLocation: sourceLocation)
        }
        let key = try String(contentsOfFile: lab.info.google.service_account_key, encoding: .utf8)
        let keyLine = key.split(separator: "\\n").dropFirst().first.map(String.init) ?? "unreachable"
        #expect(!output.contains(keyLine), "the service account key leaked", sourceLocation: sourceLocation)
        #expect(lab.forbidden.isEmpty, "a probe sent MAIL, RCPT or DATA: \(lab.forbidden)", sourceLocation: sourceLocation)
    }

    @Test func microsoftGoogleAndGenericSignInWithXOAUTH2() throws {
        let lab = try OAuthLab.get()
        let ws = try workspace(lab, [
            "m365": Self.company("m365", server: "xoauth2_microsoft", lab: lab, oauth2: Self.microsoft(lab)),
            "gws": Self.company("gws", server: "xoauth2_google", lab: lab, user: lab.info.google.subject, oauth2: Self.google()),
            "idp": Self.company("idp", server: "xoauth2_microsoft", lab: lab, oauth2: Self.generic(lab)),
        ])
        let before = lab.authAttempts.count
        let result = try CommandRunner.run(["probe", ".", "--send-credentials", "--trace"], in: ws.root, environment: lab.environment)
        #expect(result.exitCode == 0, "\(result.stdout)\(result.stderr)")
        for id in ["m365", "gws", "idp"] {
            let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("\(id) ") }.map(String.init) ?? ""
            #expect(line.contains(" ok ") && line.contains("token ") && line.contains("auth "), "\(id): \(line)")
        }
        // The servers saw XOAUTH2 succeed, with the mailbox as the user.
        let attempts = lab.authAttempts.dropFirst(before)
        #expect(attempts.contains { $0.hasPrefix("xoauth2_microsoft XOAUTH2 \(lab.info.microsoft.mailbox) 235") })
        #expect(attempts.contains { $0.hasPrefix("xoauth2_google XOAUTH2 \(lab.info.google.subject) 235") })
        try expectNoSecrets(result.stdout + result.stderr, lab)
        // JSON too.
        let json = try CommandRunner.run(["probe", ".", "--send-credentials", "--format", "json"], in: ws.root, environment: lab.environment)
        #expect(json.exitCode == 0)
        #expect(json.stdout.contains("\"stage\" : \"token\""))
        try expectNoSecrets(json.stdout + json.stderr, lab)
    }

    struct Failure: CustomStringConvertible, Sendable {
        var name: String
        var company: @Sendable (OAuthLab) -> String
        var environment: @Sendable (OAuthLab) -> [String: String] = { $0.environment }
        var kind: String
        var message: String
        /// The field the hint names, and whose line the hint is shown at.
        var field: String
        var description: String { name }
    }

    static let failures: [Failure] = [
        Failure(name: "tenant-not-found", company: { company("c", server: "xoauth2_microsoft", lab: $0, oauth2: microsoft($0, tenant: "0b5e8a7e-0000-4000-8000-0000000000ff")) },
                kind: "oauth2-token-refused", message: "knows no tenant '0b5e8a7e-0000-4000-8000-0000000000ff'", field: "smtp.oauth2.tenant"),
        Failure(name: "application-not-found", company: { company("c", server: "xoauth2_microsoft", lab: $0, oauth2: microsoft($0, clientID: "3f2a9c4d-0000-4000-8000-0000000000ff")) },
                kind: "oauth2-token-refused", message: "has no application", field: "smtp.oauth2.client_id"),
        Failure(name: "invalid-client-secret", company: { company("c", server: "xoauth2_microsoft", lab: $0, oauth2: microsoft($0, secret: "ms-wrong")) },
                kind: "oauth2-token-refused", message: "rejected the client secret (AADSTS7000215", field: "smtp.oauth2.client_secret"),
        Failure(name: "expired-client-secret", company: { company("c", server: "xoauth2_microsoft", lab: $0, oauth2: microsoft($0, clientID: $0.info.microsoft.expired_client_id, secret: "ms-expired")) },
                kind: "oauth2-token-refused", message: "client secret has expired", field: "smtp.oauth2.client_secret"),
        Failure(name: "google-invalid-grant", company: { company("c", server: "xoauth2_google", lab: $0, user: $0.info.google.subject, oauth2: google(key: "google-other.json")) },
                kind: "oauth2-token-refused", message: "refused the signed assertion", field: "smtp.oauth2.service_account_key"),
        Failure(name: "google-unauthorized-client", company: { company("c", server: "xoauth2_google", lab: $0, user: "someone-else@google.example.test", oauth2: google()) },
                kind: "oauth2-token-refused", message: "does not let the service account act for someone-else@google.example.test", field: "smtp.username"),
        Failure(name: "google-not-a-key", company: { company("c", server: "xoauth2_google", lab: $0, user: $0.info.google.subject, oauth2: google(key: "not-a-key.json")) },
                kind: "oauth2-token-refused", message: "is not a service-account key", field: "smtp.oauth2.service_account_key"),
        // OpenSSL's passphrase prompt would wait on the terminal: refused instead.
        Failure(name: "google-encrypted-key", company: { company("c", server: "xoauth2_google", lab: $0, user: $0.info.google.subject, oauth2: google(key: "google-encrypted.json")) },
                kind: "oauth2-token-refused", message: "holds an encrypted private_key", field: "smtp.oauth2.service_account_key"),
        Failure(name: "token-endpoint-unreachable", company: { company("c", server: "xoauth2_microsoft", lab: $0, oauth2: microsoft($0)) },
                environment: { _ in ["MAILFORM_OAUTH_MICROSOFT_URL": "http://127.0.0.1:9/ms"] },
                kind: "oauth2-token-endpoint", message: "could not be reached", field: "smtp.host"),
        Failure(name: "token-endpoint-not-json", company: { company("c", server: "xoauth2_microsoft", lab: $0, oauth2: microsoft($0, tenant: "notjson.example.test")) },
                kind: "oauth2-token-endpoint", message: "answered HTTP 200 without a JSON body", field: "smtp.host"),
        Failure(name: "token-refused-by-exchange", company: { company("c", server: "xoauth2_microsoft", lab: $0, user: $0.info.microsoft.nosend_mailbox, oauth2: microsoft($0)) },
                kind: "oauth2-token-rejected", message: "refused the OAuth2 token: 535 5.7.3", field: "smtp.username"),
        // Gmail answers a bad token with a 334 JSON challenge; the client sends an empty line and gets the 535.
        Failure(name: "token-refused-by-gmail", company: { company("c", server: "xoauth2_google", lab: $0, oauth2: microsoft($0)) },
                kind: "oauth2-token-rejected", message: "535 5.7.8", field: "smtp.username"),
        Failure(name: "basic-auth-disabled", company: { passwordCompany($0, server: "basic_disabled") },
                kind: "basic-auth-disabled", message: "the server refuses password sign-in: 535 5.7.139 (server text after the credentials not shown)", field: "smtp.password"),
        Failure(name: "smtp-client-auth-disabled-for-tenant", company: { passwordCompany($0, server: "basic_disabled_tenant") },
                kind: "basic-auth-disabled", message: "the server refuses password sign-in: 535 5.7.139 (server text after the credentials not shown)", field: "smtp.password"),
        Failure(name: "basic-auth-not-supported", company: { passwordCompany($0, server: "basic_not_supported") },
                kind: "basic-auth-disabled", message: "the server refuses password sign-in: 550 5.7.30 (server text after the credentials not shown)", field: "smtp.password"),
    ]

    static func passwordCompany(_ lab: OAuthLab, server: String) -> String {
        """
        company: c
        sender:
          email: no-reply@c.example.test
        provider: smtp
        smtp:
          host: localhost
          port: \(lab.port(server))
          username: \(lab.info.microsoft.mailbox)
          password: ${file:../secrets/password.txt}

        """
    }

    @Test(arguments: failures)
    func eachFailureNamesItsField(_ failure: Failure) throws {
        let lab = try OAuthLab.get()
        let text = failure.company(lab)
        let ws = try workspace(lab, ["c": text])
        let result = try CommandRunner.run(["probe", ".", "--send-credentials", "--trace"], in: ws.root, environment: failure.environment(lab))
        #expect(result.exitCode == 3, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains(failure.message), "\(result.stdout)")
        // The hint is shown at the line of the field it names.
        let key = String(failure.field.split(separator: ".").last!)
        let line = (text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix(key + ":") } ?? -1) + 1
        #expect(result.stdout.contains("companies/c.yaml:\(line):"), "expected the hint at line \(line) (\(failure.field)): \(result.stdout)")
        if failure.kind == "basic-auth-disabled" { #expect(result.stdout.contains("switch smtp.auth to oauth2")) }
        try expectNoSecrets(result.stdout + result.stderr, lab)
        #expect(!result.stderr.contains("pass phrase"))
        let json = try CommandRunner.run(["probe", ".", "--send-credentials", "--format", "json"], in: ws.root, environment: failure.environment(lab))
        #expect(json.stdout.contains("\"kind\" : \"\(failure.kind)\""), "\(json.stdout)")
        try expectNoSecrets(json.stdout + json.stderr, lab)
    }

    /// Servers of one client share its one token request; a refusal is
    /// still told per server, with that server's own field and line.
    @Test func aSharedRefusalNamesEachServersOwnField() throws {
        let lab = try OAuthLab.get()
        let oauth2 = Self.microsoft(lab, secret: "ms-wrong")
        let pool = """
            smtp_pools:
              relay:
                use_for: [notifications]
                servers:
                  - host: localhost
                    port: \(lab.port("xoauth2_microsoft"))
                    username: \(lab.info.microsoft.mailbox)
                    auth: oauth2
                    oauth2:
            \(oauth2.split(separator: "\n").map { "              " + $0 }.joined(separator: "\n"))

            """
        let text = Self.company("c", server: "xoauth2_microsoft", lab: lab, oauth2: oauth2) + pool
        let ws = try workspace(lab, ["c": text])
        let before = lab.tokenRequests.count
        let result = try CommandRunner.run(["probe", ".", "--send-credentials"], in: ws.root, environment: lab.environment)
        #expect(result.exitCode == 3, "\(result.stdout)\(result.stderr)")
        #expect(lab.tokenRequests.count == before + 1, "one request for the shared client")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let secretLines = lines.indices.filter { lines[$0].contains("client_secret:") }.map { $0 + 1 }
        #expect(secretLines.count == 2)
        #expect(result.stdout.contains("companies/c.yaml:\(secretLines[0]):") && result.stdout.contains("secret behind smtp.oauth2.client_secret"), "\(result.stdout)")
        #expect(result.stdout.contains("companies/c.yaml:\(secretLines[1]):")
                && result.stdout.contains("secret behind smtp_pools.relay.servers[0].oauth2.client_secret"), "\(result.stdout)")
    }

    /// A hostile token endpoint or SMTP server echoes what it received: the
    /// form body as the error code, the client secret in the description
    /// (also just past where a message is cut), the token in a 334
    /// challenge. None of it may reach the output (review of issue 12).
    @Test(arguments: ["echo-error", "echo-desc", "echo-reversed", "echo-hex", "echo-spaced", "echo-word", "odd-status", "straddle", "smtp-echo"])
    func hostileServersCannotGetSecretsPrinted(_ mode: String) throws {
        let lab = try OAuthLab.get()
        let tokenURL = mode == "smtp-echo" ? lab.info.generic_token_url
            : lab.info.generic_token_url.replacingOccurrences(of: "/generic/token", with: "/hostile/\(mode)/token")
        let oauth2 = "provider: generic\ntoken_url: \(tokenURL)\nclient_id: \(lab.info.generic.client_id)\nclient_secret: ${file:../secrets/generic.txt}"
        let ws = try workspace(lab, ["c": Self.company("c", server: mode == "smtp-echo" ? "xoauth2_echo" : "xoauth2_microsoft", lab: lab, oauth2: oauth2)])
        for format in ["text", "json"] {
            let result = try CommandRunner.run(["probe", ".", "--send-credentials", "--trace", "--format", format], in: ws.root, environment: lab.environment)
            #expect(result.exitCode == 3, "\(result.stdout)\(result.stderr)")
            let out = result.stdout + result.stderr
            try expectNoSecrets(out, lab)
            // Not even the start of the secret.
            #expect(!out.contains(String(lab.info.generic.client_secret.prefix(6))), "\(out)")
            #expect(!out.contains("Bearer"), "\(out)")
            // Nor re-encoded: reversed, hex (either case), spaced out.
            let secret = lab.info.generic.client_secret
            let hex = secret.utf8.map { String(format: "%02x", $0) }.joined()
            for form in [String(secret.reversed()), hex, hex.uppercased(), secret.map(String.init).joined(separator: " ")] {
                #expect(!out.contains(String(form.prefix(8))), "\(mode): \(out)")
            }
            if mode != "smtp-echo" {
                #expect(out.contains("the server's own text is not shown"), "\(out)")
            }
            if mode == "odd-status" {
                // Shown as its class, not as the status that spells a byte of the secret.
                let spelled = 520 + Int(lab.info.generic.client_secret.utf8.first!) % 70
                #expect(out.contains("with HTTP 500") && !out.contains("HTTP \(spelled)"), "\(out)")
            }
        }
    }

    /// `--send-test` with an OAuth2 server signs in with XOAUTH2 or not at
    /// all: a server that offers only PLAIN/LOGIN gets no message (libcurl
    /// would otherwise fall back to PLAIN with an empty password).
    @Test func sendTestNeverFallsBackFromXOAUTH2() throws {
        let lab = try OAuthLab.get()
        let servers = try TestServers.get()
        let ws = try workspace(lab, [:])
        let cas = try String(contentsOfFile: lab.info.ca_file, encoding: .utf8) + String(contentsOfFile: servers.smtp.ca_file, encoding: .utf8)
        try ws.write("cas.pem", cas)
        try ws.write("mailform.yaml", "mode: on-premise\nprobe:\n  timeout: 3s\n  ca_file: ./cas.pem\n" + Self.sharedSecrets)
        let text = Self.company("c", server: "xoauth2_microsoft", lab: lab, oauth2: Self.generic(lab))
            .replacingOccurrences(of: "port: \(lab.port("xoauth2_microsoft"))", with: "port: \(servers.port("starttls_auth"))")
        try ws.write("companies/c.yaml", text)
        // A server that offers PLAIN and LOGIN, and one that offers no AUTH at all.
        for server in ["starttls_auth", "no_auth"] {
            try ws.write("companies/c.yaml", text.replacingOccurrences(of: "port: \(servers.port("starttls_auth"))", with: "port: \(servers.port(server))"))
            let before = servers.sentCommands.count
            let result = try CommandRunner.run(["probe", ".", "--send-credentials", "--send-test", TestServers.sendTestAddress],
                                               in: ws.root, environment: lab.environment)
            #expect(result.exitCode == 3, "\(server): \(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains(server == "no_auth" ? "offers no AUTH" : "does not offer AUTH XOAUTH2"), "\(server): \(result.stdout)")
            #expect(servers.sentCommands.count == before, "\(server): a message went out without XOAUTH2: \(servers.sentCommands.dropFirst(before))")
        }
    }

    /// 1,000 companies of one Microsoft app and ten of one Google mailbox:
    /// two token requests, 1,010 XOAUTH2 sign-ins.
    @Test func aThousandCompaniesFetchOneTokenPerClient() throws {
        let lab = try OAuthLab.get()
        var companies: [String: String] = [:]
        for i in 0..<1000 { companies[String(format: "m%04d", i)] = Self.company(String(format: "m%04d", i), server: "xoauth2_microsoft", lab: lab, oauth2: Self.microsoft(lab)) }
        for i in 0..<10 {
            companies[String(format: "g%02d", i)] = Self.company(String(format: "g%02d", i), server: "xoauth2_google", lab: lab,
                                                                 user: lab.info.google.subject, oauth2: Self.google())
        }
        let ws = try workspace(lab, companies)
        let before = lab.tokenRequests.count
        let authBefore = lab.authAttempts.count
        let result = try CommandRunner.run(["plan", ".", "--probe", "--send-credentials", "-q"], in: ws.root, environment: lab.environment)
        #expect(result.exitCode == 0, "\(result.stdout.suffix(2000))\(result.stderr.suffix(2000))")
        #expect(result.stdout.contains("Plan: 1,010 to add"))
        let requests = lab.tokenRequests.dropFirst(before)
        #expect(requests.count == 2, "\(requests)")
        #expect(lab.authAttempts.dropFirst(authBefore).filter { $0.contains("XOAUTH2") && $0.hasSuffix(" 235") }.count == 1010)
    }

    /// The credential gate covers OAuth2: a pull request that changes the
    /// client, the tenant or points the token URL elsewhere gets no stored
    /// secret sent to any token endpoint; unchanged settings do.
    @Test func pullRequestsCannotSendAStoredClientSecretElsewhere() throws {
        let lab = try OAuthLab.get()
        let ws = try workspace(lab, ["m365": Self.company("m365", server: "xoauth2_microsoft", lab: lab, oauth2: Self.microsoft(lab)),
                                     "idp": Self.company("idp", server: "xoauth2_microsoft", lab: lab, oauth2: Self.generic(lab))])
        let apply = try CommandRunner.run(["apply", ".", "--auto-approve", "--no-probe", "--create-store"], in: ws.root, environment: lab.environment)
        #expect(apply.exitCode == 0, "\(apply.stderr)")
        // The store's settings: the known client gets its token.
        var before = lab.tokenRequests.count
        let known = try CommandRunner.run(["probe", "."], in: ws.root, environment: lab.environment)
        #expect(known.exitCode == 0, "\(known.stdout)")
        #expect(lab.tokenRequests.count == before + 2)
        // A PR points the generic token URL at its own listener and changes the Microsoft tenant.
        let listener = try RecordingListener(banner: nil)
        try ws.write("companies/idp.yaml", try ws.read("companies/idp.yaml")
            .replacingOccurrences(of: lab.info.generic_token_url, with: "http://127.0.0.1:\(listener.port)/token"))
        try ws.write("companies/m365.yaml", try ws.read("companies/m365.yaml")
            .replacingOccurrences(of: lab.info.microsoft.tenant, with: "m365.example.test"))
        before = lab.tokenRequests.count
        let plan = try CommandRunner.run(["plan", ".", "--probe"], in: ws.root, environment: lab.environment)
        #expect(plan.exitCode == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("no token fetched"))
        #expect(lab.tokenRequests.count == before, "a token was requested with a stored secret for changed settings")
        #expect(listener.received.isEmpty, "the PR's token URL received a request")
        // The operator's override sends them.
        let trusted = try CommandRunner.run(["plan", ".", "--probe", "--send-credentials", "--company", "m365"], in: ws.root, environment: lab.environment)
        #expect(trusted.exitCode == 0, "\(trusted.stdout)")
        #expect(lab.tokenRequests.count == before + 1)
    }

    /// What validate says about OAuth2 files: the schema's conditionals, saas
    /// rules, and the Exchange Online basic-auth warning.
    @Test func validateExplainsOAuth2Settings() throws {
        let lab = try OAuthLab.get()
        let ws = try workspace(lab, [
            "both": Self.company("both", server: "xoauth2_microsoft", lab: lab, oauth2: Self.microsoft(lab)).replacingOccurrences(of: "  auth: oauth2\n", with: "  auth: oauth2\n  password: ${file:../secrets/password.txt}\n"),
            "notenant": Self.company("notenant", server: "xoauth2_microsoft", lab: lab, oauth2: "provider: microsoft\nclient_id: x\nclient_secret: ${file:../secrets/ms.txt}"),
            "literal": Self.company("literal", server: "xoauth2_microsoft", lab: lab, oauth2: "provider: generic\ntoken_url: https://idp.example.test/token\nclient_id: x\nclient_secret: hunter2"),
            "office": Self.passwordCompany(lab, server: "basic_disabled").replacingOccurrences(of: "company: c", with: "company: office")
                .replacingOccurrences(of: "host: localhost", with: "host: smtp.office365.com"),
        ])
        let result = try CommandRunner.run(["validate", "."], in: ws.root)
        #expect(result.exitCode == 1)
        let out = result.stdout + result.stderr
        #expect(out.contains("companies/both.yaml:"), "\(out)")
        #expect(out.contains("companies/notenant.yaml:") && out.contains("tenant"), "\(out)")
        #expect(out.contains("companies/literal.yaml:") && out.contains("client_secret must be a secret reference") && out.contains("[literal-secret]")
                && out.contains("${env:MAILFORM_LITERAL__SMTP_OAUTH2_CLIENT_SECRET}"), "\(out)")
        #expect(out.contains("smtp.password is not allowed here"), "auth: oauth2 with a password: \(out)")
        #expect(out.contains("companies/office.yaml:9:13: warning:") && out.contains("[oauth2-basic-auth-retired]") && out.contains("auth: oauth2"), "\(out)")
        #expect(!out.contains("hunter2"))
        // saas: OAuth2 authenticates (no saas-smtp-auth error), but still needs TLS.
        let saas = try workspace(lab, ["s": Self.company("s", server: "xoauth2_microsoft", lab: lab, oauth2: Self.microsoft(lab))
            .replacingOccurrences(of: "  auth: oauth2\n", with: "  auth: oauth2\n  starttls: optional\n")])
        try saas.write("mailform.yaml", "mode: saas\n")
        let checked = try CommandRunner.run(["validate", "."], in: saas.root)
        #expect(checked.stdout.contains("[saas-smtp-tls]") || checked.stderr.contains("[saas-smtp-tls]"), "\(checked.stdout)\(checked.stderr)")
        #expect(!(checked.stdout + checked.stderr).contains("[saas-smtp-auth]"))
    }

    /// Apply, plan, export and saved plans keep every OAuth2 field: the
    /// export of the store plans as no change, with the secrets as variables.
    @Test func oauth2SettingsRoundTripThroughStoreExportAndSavedPlans() throws {
        let lab = try OAuthLab.get()
        let ws = try workspace(lab, [
            "m365": Self.company("m365", server: "xoauth2_microsoft", lab: lab, oauth2: Self.microsoft(lab)),
            "gws": Self.company("gws", server: "xoauth2_google", lab: lab, user: lab.info.google.subject, oauth2: Self.google()),
        ])
        // A saved plan of a store that does not exist yet is signed with the
        // key apply will use: only apply creates a key file.
        let key = ["MAILFORM_STORE_KEY": Data((0..<32).map { UInt8($0 * 7 % 256) }).base64EncodedString()]
        let saved = try CommandRunner.run(["plan", ".", "--out", "plan.json"], in: ws.root, environment: key)
        #expect(saved.exitCode == 0, "\(saved.stderr)")
        #expect(saved.stdout.contains("+ smtp.oauth2.client_secret: (sensitive value; ${file:../secrets/ms.txt})")
                || saved.stdout.contains("smtp.oauth2.client_secret"), "\(saved.stdout)")
        let apply = try CommandRunner.run(["apply", "plan.json", "--create-store"], in: ws.root, environment: lab.environment.merging(key) { a, _ in a })
        #expect(apply.exitCode == 0, "\(apply.stdout)\(apply.stderr)")
        let db = try DatabaseQueue(path: ws.storePath)
        let rows = try db.read { db in try Row.fetchAll(db, sql: "SELECT company_id, auth, oauth2_provider, oauth2_tenant, oauth2_client_id, oauth2_client_secret_secret, oauth2_service_account_key_secret FROM smtp_servers ORDER BY company_id") }
        #expect(rows.map { $0["auth"] as String } == ["oauth2", "oauth2"])
        #expect(rows[1]["oauth2_tenant"] as String? == lab.info.microsoft.tenant)
        #expect(rows[1]["oauth2_client_secret_secret"] as String? == "smtp.oauth2.client_secret")
        #expect(rows[0]["oauth2_service_account_key_secret"] as String? == "smtp.oauth2.service_account_key")
        let export = try CommandRunner.run(["export", "--out", "exported", "--secrets-out", "exported.env"], in: ws.root, environment: key)
        #expect(export.exitCode == 0, "\(export.stderr)")
        let exported = try ws.read("exported/companies/m365.yaml")
        #expect(exported.contains("  auth: oauth2\n  oauth2:\n    provider: microsoft\n"))
        #expect(exported.contains("client_secret: ${env:MAILFORM_M365__SMTP_OAUTH2_CLIENT_SECRET}\n"), "\(exported)")
        #expect(try ws.read("exported/companies/gws.yaml").contains("${env:MAILFORM_GWS__SMTP_OAUTH2_SERVICE_ACCOUNT_KEY}"))
        // The dotenv values read back (the key is multi-line JSON) and plan shows no change.
        let replan = try CommandRunner.run(["plan", "exported", "--detailed-exitcode"], in: ws.root,
                                           environment: try Self.dotenv(ws.path("exported.env")).merging(key) { a, _ in a })
        #expect(replan.exitCode == 0, "\(replan.stdout)\(replan.stderr)")
    }

    /// Reads a dotenv file as the shell would (single-quoted values).
    static func dotenv(_ path: String) throws -> [String: String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "set -a; . \"$1\"; set +a; env -0", "bash", path]
        let out = Pipe()
        process.standardOutput = out
        process.environment = [:]
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var env: [String: String] = [:]
        for entry in data.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let eq = text.firstIndex(of: "="), text.hasPrefix("MAILFORM_") else { continue }
            env[String(text[..<eq])] = String(text[text.index(after: eq)...])
        }
        return env
    }
}
