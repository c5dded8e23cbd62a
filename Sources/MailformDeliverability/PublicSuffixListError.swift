/// Why the public suffix list could not be loaded. Without it DMARC cannot
/// find organisational domains, so the caller should stop rather than guess.
public struct PublicSuffixListError: Error, Sendable, CustomStringConvertible {
    /// Lowercase, names the file and the problem.
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
