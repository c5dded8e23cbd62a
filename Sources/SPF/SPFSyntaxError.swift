/// A reason an SPF record (or an explanation string) does not follow the
/// RFC 7208 grammar. Evaluating such a record gives `permerror`; the analyser
/// reports the message as is, so it is lowercase and states the fact.
public struct SPFSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
