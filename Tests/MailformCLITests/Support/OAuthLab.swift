import Foundation
import TestServerSupport
import Testing

/// Tests/Servers/oauth_lab.py, started once for the test process: token
/// endpoints shaped like Microsoft Entra ID, Google and a generic OAuth2
/// server, and SMTP servers that verify AUTH XOAUTH2 or answer password AUTH
/// like Exchange Online with basic authentication disabled.
final class OAuthLab: @unchecked Sendable {
    struct Info: Decodable {
        struct Microsoft: Decodable {
            var tenant, client_id, client_secret, expired_client_id, expired_client_secret, mailbox, nosend_mailbox: String
        }
        struct Google: Decodable { var service_account_key, other_key, subject: String }
        struct Generic: Decodable { var client_id, client_secret: String }
        var ports: [String: Int]
        var ca_file, microsoft_url, google_url, generic_token_url: String
        var token_port: Int
        var microsoft: Microsoft
        var google: Google
        var generic: Generic
    }

    let info: Info
    let state: URL
    private let lab: LabProcess

    static let shared: Result<OAuthLab, Error> = Result { try OAuthLab() }
    static func get() throws -> OAuthLab { try shared.get() }

    private init() throws {
        state = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-oauth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        lab = try LabProcess(script: CommandRunner.packageRoot.appendingPathComponent("Tests/Servers/oauth_lab.py"), arguments: [state.path],
                             missing: "are python3-aiosmtpd and python3-cryptography installed?")
        info = try JSONDecoder().decode(Info.self, from: lab.firstLine)
    }

    func port(_ name: String) -> Int { info.ports[name]! }

    /// The token bases mailform uses, pointed at the lab.
    var environment: [String: String] {
        ["MAILFORM_OAUTH_MICROSOFT_URL": info.microsoft_url, "MAILFORM_OAUTH_GOOGLE_URL": info.google_url]
    }

    private func lines(_ name: String) -> [String] {
        ((try? String(contentsOf: state.appendingPathComponent(name), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// "PROVIDER CLIENT SUB STATUS", one per token request.
    var tokenRequests: [String] { lines("token-requests.log") }
    /// "PORTNAME MECH USER RESULT", one per AUTH.
    var authAttempts: [String] { lines("auth.log") }
    /// Every token the lab issued (to search outputs for leaks).
    var issuedTokens: [String] { lines("issued-tokens.secret") }
    /// MAIL, RCPT, DATA: must stay empty.
    var forbidden: [String] { lines("forbidden.log") }
}
