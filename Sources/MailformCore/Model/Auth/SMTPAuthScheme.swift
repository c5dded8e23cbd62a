/// An SMTP auth method's part of mailform, in one place: the fields it adds
/// to a server (settings and secrets) and the policy rules it brings. Its
/// probe (how it speaks AUTH) is `SMTPAuthenticator` in MailformProbe.
///
/// The server's shape is `SMTPServerShape.fields`: the common fields plus
/// every scheme's, so the decoder, plans, store, YAML writer, saved plans,
/// export names and credential gate know a scheme's fields without being
/// edited for it.
public protocol SMTPAuthScheme: Sendable {
    var method: SMTPAuthMethod { get }
    /// The fields it adds under a server, in plan order.
    var fields: [ServerField] { get }
    var rules: [any PolicyRule] { get }
}

/// Every auth method mailform knows (`none` adds nothing).
public enum SMTPAuthSchemes {
    public static let all: [any SMTPAuthScheme] = [PasswordAuth(), OAuth2Auth()]
}

/// `auth: password`: AUTH PLAIN or LOGIN with `username` and `password`.
public struct PasswordAuth: SMTPAuthScheme {
    public init() {}
    public var method: SMTPAuthMethod { .password }
    public var fields: [ServerField] { [.secret("password", envSuffix: "PASSWORD")] }
    public var rules: [any PolicyRule] { [CredentialsPairRule()] }
}
