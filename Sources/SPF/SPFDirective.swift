/// A qualifier and a mechanism, plus the term as written so results and
/// reports can quote it (`-all`, `include:_spf.example.com`).
public struct SPFDirective: Sendable, Hashable, CustomStringConvertible {
    public var qualifier: SPFQualifier
    public var mechanism: SPFMechanism
    public var text: String

    public init(qualifier: SPFQualifier, mechanism: SPFMechanism, text: String) {
        self.qualifier = qualifier
        self.mechanism = mechanism
        self.text = text
    }

    public var description: String { text }
}
