/// Why a `DNSClient` could not be created. Thrown by `DNSClient.init`, so a
/// bad `--dns-server` is reported once, up front, and not as a failure of
/// every query.
public struct DNSConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
