import JSONSchema

/// The kinds of mail a pool can be used for.
public enum MailPurpose: String, CaseIterable, Sendable, Codable {
    case loginCodes = "login_codes"
    case consentProofs = "consent_proofs"
    case requestProtocols = "request_protocols"
    case dsar
    case notifications
}
