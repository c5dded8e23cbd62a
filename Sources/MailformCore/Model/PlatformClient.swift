/// The platform's own mail client: the program that reads the store and
/// sends the mail. A probe's verdict is right only when this client would
/// agree, so what it does with each stored setting is described here, once,
/// and both the probe (after its connection) and the policy (before any
/// connection) ask this model.
///
/// Measured with JavaMail 1.6.5 and Jakarta Mail 2.0.0 (Debian) on OpenJDK 17
/// against Postfix 3.7 (docs/store.md, "What the platform's client does"):
/// - `mail.smtp.ssl.trust`: `*` or a host list. A listed host's chain is not
///   verified; a host not in a list is refused ("Server is not trusted")
///   whatever its certificate. Trust does not switch the identity check off.
/// - `mail.smtp.ssl.checkserveridentity` with an IP-address host fails on
///   Java 9+ ("Can't verify identity of server") unless the JVM runs with
///   `--add-exports java.base/sun.security.util=ALL-UNNAMED`; Angus Mail
///   2.0.3 and later check through the JDK's endpoint identification, which
///   reads IP entries.
/// - `mail.smtp.ssl.protocols` is the exact set of enabled versions.
/// - `mail.smtp.auth=true` does not make AUTH mandatory: without AUTH in
///   EHLO the connection succeeds unauthenticated.
/// - Password mechanisms, in order: LOGIN, PLAIN, DIGEST-MD5, NTLM (XOAUTH2
///   only with `mail.smtp.auth.mechanisms=XOAUTH2`).
public struct PlatformClient: Sendable, Equatable {
    public enum Library: String, Sendable, CaseIterable {
        case jakartaMail = "jakarta-mail"
        case javaMail = "javamail"
        case angusMail = "angus-mail"
    }

    /// `platform.mail_client.library` (default: Jakarta Mail 2.x, what most platforms run).
    public var library: Library = .jakartaMail
    /// `platform.mail_client.java_add_exports`: the JVM runs with
    /// `--add-exports java.base/sun.security.util=ALL-UNNAMED`.
    public var javaAddExports = false

    public init(library: Library = .jakartaMail, javaAddExports: Bool = false) {
        self.library = library
        self.javaAddExports = javaAddExports
    }

    /// "the platform's Jakarta Mail 2.x (Java 17)": how hints name it.
    public var name: String {
        let library = switch self.library {
        case .jakartaMail: "Jakarta Mail 2.x"
        case .javaMail: "JavaMail 1.6"
        case .angusMail: "Angus Mail"
        }
        return "the platform's \(library) (Java 17\(javaAddExports ? " with --add-exports" : ""))"
    }

    /// Whether the identity check can match an IP-address host against the
    /// certificate's IP entries.
    public var checksIPIdentity: Bool { library == .angusMail || javaAddExports }

    /// The mechanisms the client signs in with a password, in its order.
    public static let passwordMechanisms = ["LOGIN", "PLAIN", "DIGEST-MD5", "NTLM"]

    /// What the client refuses about a server whatever the server does.
    public struct Refusal: Sendable, Equatable {
        /// A stable id (`platform-ip-identity`, `platform-untrusted-host`, `platform-protocol-set`).
        public var id: String
        public var message: String
        public var hint: String
        /// The setting's key under the server (`host`, `ssl_trust`, `ssl_protocols`).
        public var field: String
    }

    /// Whether a host is an IP address (v4, or v6 with or without brackets).
    public static func isIPAddress(_ host: String) -> Bool {
        let h = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if h.contains(":") { return h.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isNumber) && Int(p)! <= 255 }
    }

    /// Whether a session with these settings uses TLS before signing in
    /// (implicit TLS, or STARTTLS; `optional` only when the server offers it).
    public static func usesTLS(_ s: SMTPSettings, starttlsOffered: Bool = true) -> Bool {
        s.ssl || s.starttls == .required || (s.starttls == .optional && starttlsOffered)
    }

    /// The versions a protocol set leaves out between its lowest and highest
    /// (`[TLSv1, TLSv1.3]` leaves out TLSv1.1 and TLSv1.2).
    public static func protocolGap(_ protocols: [String]) -> [String] {
        let order = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
        let ranks = protocols.compactMap { order.firstIndex(of: $0) }
        guard let low = ranks.min(), let high = ranks.max() else { return [] }
        return (low...high).filter { !ranks.contains($0) }.map { order[$0] }
    }

    /// Refusals the settings alone decide, once a session reaches TLS:
    /// the host left out of a trust list, an IP host under the identity check.
    public func refusals(_ s: SMTPSettings, path: String) -> [Refusal] {
        var out: [Refusal] = []
        if !s.sslTrust.isEmpty && !s.sslTrust.contains("*") && !s.sslTrust.contains(s.host) {
            out.append(Refusal(
                id: "platform-untrusted-host",
                message: "\(name) refuses \(s.host): \(path).ssl_trust lists only \(s.sslTrust.joined(separator: ", ")), and a host outside a trust list is not trusted at all (\"Server is not trusted\")",
                hint: "add \(s.host) to \(path).ssl_trust, or remove \(path).ssl_trust to verify the certificate normally",
                field: "ssl_trust"))
        }
        if s.sslCheckIdentity && Self.isIPAddress(s.host) && !checksIPIdentity {
            out.append(Refusal(
                id: "platform-ip-identity",
                message: "\(name) cannot check the IP address \(s.host) against the certificate (\"Can't verify identity of server\"): on Java 9+ its identity check reads only DNS names and the CN",
                hint: "use the host name the certificate names in \(path).host, or set \(path).ssl_check_identity: false, or run the platform with --add-exports java.base/sun.security.util=ALL-UNNAMED (then set platform.mail_client.java_add_exports: true)",
                field: "host"))
        }
        return out
    }

    /// The refusal of a negotiated TLS version the client does not enable:
    /// its protocol list is an exact set, not a range.
    public func protocolRefusal(_ s: SMTPSettings, negotiated: String, path: String) -> Refusal? {
        guard !s.sslProtocols.isEmpty, !s.sslProtocols.contains(negotiated) else { return nil }
        return Refusal(
            id: "platform-protocol-set",
            message: "\(name) enables exactly \(s.sslProtocols.joined(separator: " ")) (mail.smtp.ssl.protocols is a set, not a range); this server agreed on \(negotiated), which that set leaves out, so the platform's handshake fails (protocol_version)",
            hint: "add \(negotiated) to \(path).ssl_protocols, or list every version between the lowest and the highest you allow",
            field: "ssl_protocols")
    }
}
