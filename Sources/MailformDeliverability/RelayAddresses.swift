import SPF

/// The addresses an SMTP relay's host name resolves to (A and AAAA), and
/// which of those lookups failed. A host given as an address literal is its
/// own single address.
struct RelayAddresses: Sendable, Hashable {
    var host: String
    var addresses: [IPAddress]
    var failures: [DNSProblem]
    /// Whether the name does not exist (NXDOMAIN for A and AAAA alike).
    var nonexistent: Bool
}
